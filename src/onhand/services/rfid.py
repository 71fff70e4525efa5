"""RFID: a batch of EPC reads at a location, de-duplicated, decoded as SGTIN-96 and reconciled
against the book of that location and every location below it (a reader sweeping a zone reads
its bins); nothing is posted. Or the read of one bin recorded as that bin's count, which goes
through the count's tolerances, recounts and approvals like any other.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.epc import EpcError, Sgtin, decode_sgtin96, normalise
from onhand.domain.errors import InvalidInput
from onhand.domain.gs1 import gtin_forms
from onhand.domain.quantities import from_micro
from onhand.domain.rfid import BookLine, TagRead, reconcile, serial_key
from onhand.services import counts
from onhand.services.common import stock_location
from onhand.services.counts import CountEntry
from onhand.store import scanning
from onhand.store.unit_of_work import Database, UnitOfWork

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


def _batch_out(
    path: str, reads: list[str], epcs: list[str], ignored: list[dict[str, str]]
) -> dict[str, Any]:
    """What every answer about a batch of reads says first: where, how many, what was skipped."""
    return {
        "location": path,
        "reads": len(reads),
        "distinct": len(epcs),
        "duplicates": len(reads) - len(epcs),
        "ignored": ignored,
    }


def _looked_up(
    uow: UnitOfWork, org: int, tags: list[Sgtin]
) -> tuple[dict[str, Any], list[TagRead]]:
    """The item of each tag's GTIN (None: no item has it), and the tags as reads."""
    forms = {g: gtin_forms(g) for g in {t.gtin for t in tags}}
    owners = scanning.items_by_barcodes(uow.conn, org, [f for fs in forms.values() for f in fs])
    item_of = {g: next((owners[f] for f in fs if f in owners), None) for g, fs in forms.items()}
    reads = []
    for t in tags:
        item = item_of[t.gtin]
        reads.append(
            TagRead(
                epc=t.epc,
                gtin=t.gtin,
                serial=t.serial,
                sku=None if item is None else item.sku,
                serialised=item is not None and item.tracking == "serial",
            )
        )
    return item_of, reads


def reconcile_reads(db: Database, actor: Actor, location: str, reads: list[str]) -> dict[str, Any]:
    """Reconcile a batch of EPC reads (hex) against the book at ``location`` and below:
    matched serials, missing ones, unexpected reads, and counts of items without serials."""
    actor.require(Permission.READ)
    epcs = _distinct(reads)
    tags, ignored = _decode(epcs)
    with db.reading() as uow:
        conn, org = uow.conn, actor.org_id
        loc = stock_location(uow, actor, location)
        item_of, tag_reads = _looked_up(uow, org, tags)
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
        result = reconcile(book, tag_reads)
        ids = {item.sku: item.id for item in item_of.values() if item is not None}
        elsewhere = scanning.serial_paths(
            conn,
            org,
            [(ids[u.sku], u.serial) for u in result.unexpected if u.sku is not None],
        )
    return {
        **_batch_out(loc.path, reads, epcs, ignored),
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


def count_reads(
    db: Database,
    actor: Actor,
    count: str,
    location: str,
    reads: list[str],
    *,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Record an RFID read of one bin as its count in count document ``count``: each serial
    read counts 1 (serials in the book here keep their book spelling), items without serials
    count their tags, and what the count expected in the bin but was not read counts 0. Tags
    of unknown GTINs and other kinds of tag are listed, not recorded. A location with stock in
    locations below it is refused (a read cannot tell which bin a tag is in), and so are tags
    of lot-tracked items (an SGTIN carries no lot). A retry with the same ``idempotency_key``
    records nothing and answers ``replayed``."""
    actor.require(Permission.POST_MOVEMENTS)
    epcs = _distinct(reads)
    tags, ignored = _decode(epcs)
    with db.reading() as uow:
        org = actor.org_id
        loc = stock_location(uow, actor, location)
        item_of, tag_reads = _looked_up(uow, org, tags)
        rows = scanning.book_under(uow.conn, org, loc.path)
    below = sorted({r.path for r in rows if r.path != loc.path})
    if below:
        raise InvalidInput(
            f"{loc.path} has stock in locations below it ({below[0]}): read one bin at a time "
            "to count it",
            code="rfid_count_needs_bin",
        )
    lot_items = sorted({i.sku for i in item_of.values() if i is not None and i.tracking == "lot"})
    if lot_items:
        raise InvalidInput(
            f"{lot_items[0]} is lot-tracked and an SGTIN tag carries no lot: count it by "
            "scanning its lot barcodes",
            code="rfid_lot_tracked",
        )
    spelled = {(r.sku, serial_key(r.serial)): r.serial for r in rows if r.serial is not None}
    units: dict[str, Decimal] = {}
    entries: dict[tuple[str, str | None], CountEntry] = {}
    unknown = []
    for t in tag_reads:
        if t.sku is None:
            unknown.append({"epc": t.epc, "gtin": t.gtin, "serial": t.serial})
        elif t.serialised:
            serial = spelled.get((t.sku, serial_key(t.serial)), t.serial)
            entries[(t.sku, serial)] = CountEntry(sku=t.sku, quantity=Decimal(1), serial=serial)
        else:
            units[t.sku] = units.get(t.sku, Decimal(0)) + 1
    listed = list(entries.values()) + [CountEntry(sku=k, quantity=q) for k, q in units.items()]
    recorded = counts.record_counts(
        db,
        actor,
        count,
        location=str(loc.path),
        entries=listed,
        complete=True,
        idempotency_key=idempotency_key,
    )
    return {
        **_batch_out(loc.path, reads, epcs, ignored),
        "unknown": unknown,
        "count": recorded,
        "replayed": recorded["replayed"],
    }
