"""RFID: a batch of EPC reads at a location, de-duplicated, decoded as SGTIN-96 and reconciled
against the book of that location and every location below it (a reader sweeping a zone reads
its bins). Nothing is posted: the reconciliation is what a count would start from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.epc import EpcError, Sgtin, decode_sgtin96, normalise
from onhand.domain.errors import InvalidInput
from onhand.domain.gs1 import gtin_forms
from onhand.domain.quantities import from_micro
from onhand.domain.rfid import BookLine, TagRead, reconcile
from onhand.services.common import stock_location
from onhand.store import scanning
from onhand.store.unit_of_work import Database

MAX_READS = 100_000


def _distinct(reads: list[str]) -> list[str]:
    """The distinct EPCs, in first-read order; malformed hex refuses the batch (naming it)."""
    if not reads:
        raise InvalidInput("send at least one read", code="no_reads")
    if len(reads) > MAX_READS:
        raise InvalidInput(f"at most {MAX_READS} reads at once", code="too_many_reads")
    out: dict[str, None] = {}
    for n, raw in enumerate(reads, start=1):
        try:
            out[normalise(raw)] = None
        except EpcError as e:
            raise InvalidInput(f"read {n}: {e.message}", code=e.code, line=n) from None
    return list(out)


def _decode(epcs: list[str]) -> tuple[list[Sgtin], list[dict[str, str]]]:
    """SGTIN-96 tags, and the reads that are other kinds of tag (an SSCC-96 pallet, ...)."""
    tags, ignored = [], []
    for epc in epcs:
        try:
            tags.append(decode_sgtin96(epc))
        except EpcError as e:
            ignored.append({"epc": epc, "code": e.code, "reason": e.message})
    return tags, ignored


def reconcile_reads(db: Database, actor: Actor, location: str, reads: list[str]) -> dict[str, Any]:
    """Reconcile a batch of EPC reads (hex) against the book at ``location`` and below:
    matched serials, missing ones, unexpected reads, and counts of items without serials."""
    actor.require(Permission.READ)
    epcs = _distinct(reads)
    tags, ignored = _decode(epcs)
    with db.reading() as uow:
        conn, org = uow.conn, actor.org_id
        loc = stock_location(uow, actor, location)
        forms = {g: gtin_forms(g) for g in {t.gtin for t in tags}}
        owners = scanning.items_by_barcodes(conn, org, [f for fs in forms.values() for f in fs])
        item_of = {g: next((owners[f] for f in fs if f in owners), None) for g, fs in forms.items()}
        rows = scanning.book_under(conn, org, loc.path)
        book = [
            BookLine(
                sku=r.sku,
                location=r.path,
                quantity=from_micro(r.qty, r.precision),
                serial=r.serial,
            )
            for r in rows
        ]
        tag_reads = []
        for t in tags:
            item = item_of[t.gtin]
            tag_reads.append(
                TagRead(
                    epc=t.epc,
                    gtin=t.gtin,
                    serial=t.serial,
                    sku=None if item is None else item.sku,
                    serialised=item is not None and item.tracking == "serial",
                )
            )
        result = reconcile(book, tag_reads)
        ids = {item.sku: item.id for item in item_of.values() if item is not None}
        elsewhere = scanning.serial_paths(
            conn,
            org,
            [(ids[u.sku], u.serial) for u in result.unexpected if u.sku is not None],
        )
    return {
        "location": loc.path,
        "reads": len(reads),
        "distinct": len(epcs),
        "duplicates": len(reads) - len(epcs),
        "ignored": ignored,
        "matched": [
            {"sku": m.sku, "serial": m.serial, "location": m.location, "epc": m.epc}
            for m in result.matched
        ],
        "missing": [
            {"sku": m.sku, "serial": m.serial, "location": m.location} for m in result.missing
        ],
        "unexpected": [
            {
                "epc": u.epc,
                "gtin": u.gtin,
                "serial": u.serial,
                "sku": u.sku,
                "reason": u.reason,
                "book_location": None if u.sku is None else elsewhere.get((ids[u.sku], u.serial)),
            }
            for u in result.unexpected
        ],
        "counts": [
            {"sku": c.sku, "book": c.book, "read": Decimal(c.read), "difference": c.difference}
            for c in result.counts
        ],
    }
