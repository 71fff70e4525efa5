"""Resolving a scanned barcode to what it names: an item (with lot, expiry, serial, count), a
location (a bin label), or an SSCC.

A GTIN (bare, or the (01) of a GS1 string) matches an item barcode stored in any GTIN form:
GTIN-14, EAN-13, UPC-A or EAN-8. Anything else matches an item barcode exactly (an internal
Code 128 code), else a location path, else the code of exactly one active location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput, NotFound
from onhand.domain.gs1 import Gs1Error, Scan, gtin_forms, looks_like_gs1, parse_scan
from onhand.services import accounts
from onhand.store import scanning, sites
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_CODE = 256


@dataclass(frozen=True, slots=True)
class ScannedItem:
    id: int
    sku: str
    name: str
    uom: str
    precision: int
    tracking: str
    active: bool


@dataclass(slots=True)
class Resolved:
    """What a scan names; ``notes`` say what a person should know (an unknown lot, ...)."""

    kind: str  # item | location | sscc
    scan: Scan
    item: ScannedItem | None = None
    lot: str | None = None
    lot_known: bool | None = None
    expiry: date | None = None
    serial: str | None = None
    serial_location: str | None = None
    quantity: Decimal | None = None
    location: Any = None
    notes: list[str] = field(default_factory=list)


def _check_code(code: str) -> None:
    if not code or len(code) > MAX_CODE:
        raise InvalidInput(f"a scan is 1 to {MAX_CODE} characters", code="invalid_scan")
    if any(ch < " " and ch != "\x1d" for ch in code) or "\x7f" in code:
        raise InvalidInput(
            "a scan contains control characters other than GS (FNC1)", code="invalid_scan"
        )


def _item_by_barcode(uow: UnitOfWork, actor: Actor, forms: list[str]) -> ScannedItem | None:
    rows = scanning.items_by_barcode(uow.conn, actor.org_id, forms)
    ids = {r[0] for r in rows}
    if len(ids) > 1:
        skus = ", ".join(sorted({r[1] for r in rows}))
        raise Conflict(
            f"barcode {forms[0]} is stored on more than one item ({skus}) in different forms",
            code="barcode_ambiguous",
        )
    return ScannedItem(*rows[0][:7]) if rows else None


def _with_item(uow: UnitOfWork, actor: Actor, out: Resolved, item: ScannedItem) -> Resolved:
    s, conn, org = out.scan, uow.conn, actor.org_id
    out.item = item
    out.expiry = s.expiry
    out.quantity = s.count
    if s.lot is not None:
        out.lot = s.lot
        if item.tracking != "lot":
            out.notes.append(f"{item.sku} is not lot-tracked: the lot {s.lot!r} is ignored")
        else:
            lot = scanning.lot_of(conn, org, item.id, s.lot)
            out.lot_known = lot is not None
            if lot is None:
                out.notes.append(
                    f"lot {s.lot!r} of {item.sku} is not known yet: a new lot if received"
                )
            else:
                if None not in (lot.expiry_date, s.expiry) and lot.expiry_date != s.expiry:
                    out.notes.append(
                        f"the label says expiry {s.expiry}, lot {s.lot!r} has {lot.expiry_date}"
                    )
                out.expiry = lot.expiry_date or s.expiry
                if lot.on_hold:
                    out.notes.append(f"lot {s.lot!r} is on hold")
    if s.serial is not None:
        out.serial = s.serial
        if item.tracking != "serial":
            out.notes.append(f"{item.sku} is not serial-tracked: the serial is ignored")
        else:
            unit = scanning.serial_of(conn, org, item.id, s.serial)
            if unit is None:
                out.notes.append(f"serial {s.serial!r} of {item.sku} is not known yet")
            elif unit.path is not None and actor.may_touch_warehouse(unit.warehouse_id):
                out.serial_location = unit.path
    if not item.active:
        out.notes.append(f"{item.sku} is deactivated")
    return out


def _text(uow: UnitOfWork, actor: Actor, scan: Scan) -> Resolved | None:
    """A non-GS1 code: an item barcode as stored, else a location path or unique code."""
    body = scan.raw[3:] if scan.symbology else scan.raw
    item = _item_by_barcode(uow, actor, [body])
    if item is not None:
        return _with_item(uow, actor, Resolved("item", scan), item)
    loc = sites.location_by_path(uow.conn, actor.org_id, body)
    if loc is None:
        same_code = scanning.locations_with_code(uow.conn, actor.org_id, body)
        if len(same_code) > 1:
            raise Conflict(
                f"{body[:80]!r} is the code of several locations: scan the full path",
                code="location_ambiguous",
            )
        loc = same_code[0] if same_code else None
    if loc is None:
        return None
    actor.require_warehouse(loc.warehouse_id, loc.path)
    out = Resolved("location", scan, location=loc)
    if not loc.active:
        out.notes.append(f"{loc.path} is deactivated")
    return out


def resolve_in(uow: UnitOfWork, actor: Actor, code: str) -> Resolved:
    """Resolve ``code`` inside a unit of work (see the module docstring)."""
    _check_code(code)
    try:
        scan = parse_scan(code)
    except Gs1Error:
        if looks_like_gs1(code):
            raise
        # A code that only looks like a GTIN (13 digits, a wrong check digit) may still be an
        # internal code someone stored, or a location: those win; else the GS1 error stands.
        found = _text(uow, actor, Scan(kind="text", raw=code))
        if found is None:
            raise
        return found
    if scan.kind == "text":
        found = _text(uow, actor, scan)
        if found is None:
            raise NotFound(
                f"no item barcode or location matches {code[:80]!r}", code="barcode_not_found"
            )
        return found
    if scan.gtin is None:
        if scan.sscc is not None:
            return Resolved("sscc", scan, quantity=scan.count, expiry=scan.expiry)
        raise InvalidInput(
            f"the scan names no item: it has no (01) GTIN or (00) SSCC ({code[:80]!r})",
            code="gs1_no_item",
        )
    item = _item_by_barcode(uow, actor, gtin_forms(scan.gtin))
    if item is None and scan.kind == "gtin":
        # Digits that happen to carry a valid check digit may still be a bin's code.
        found = _text(uow, actor, scan)
        if found is not None:
            return found
    if item is None:
        raise NotFound(
            f"no item has the GTIN {scan.gtin} (in any of its forms)",
            code="barcode_not_found",
            gtin=scan.gtin,
        )
    return _with_item(uow, actor, Resolved("item", scan), item)


def resolved_out(r: Resolved) -> dict[str, Any]:
    """A resolved scan as the API and CLI show it."""
    s = r.scan
    return {
        "kind": r.kind,
        "code": s.raw,
        "symbology": s.symbology,
        "gtin": s.gtin,
        "sscc": s.sscc,
        "item": None
        if r.item is None
        else {
            "sku": r.item.sku,
            "name": r.item.name,
            "uom": r.item.uom,
            "tracking": r.item.tracking,
        },
        "lot": r.lot,
        "lot_known": r.lot_known,
        "expiry_date": r.expiry,
        "serial": r.serial,
        "serial_location": r.serial_location,
        "quantity": r.quantity,
        "location": None
        if r.location is None
        else {"path": r.location.path, "kind": r.location.kind, "name": r.location.name},
        "ais": s.ais,
        "notes": r.notes,
    }


def resolve(db: Database, actor: Actor, code: str) -> dict[str, Any]:
    """What a scanned barcode names: an item (and its lot, expiry, serial, count), a location,
    or an SSCC; a 4xx naming what is wrong otherwise."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return resolved_out(resolve_in(uow, actor, code))


def resolve_for_token(db: Database, token: str, code: str) -> dict[str, Any]:
    """resolve for the bearer of an API token, authenticated in the same read transaction (the
    API's scanning hot path: one transaction per scan rather than two)."""
    with db.reading() as uow:
        actor = accounts.authenticate_in(uow, token)
        actor.require(Permission.READ)
        return resolved_out(resolve_in(uow, actor, code))
