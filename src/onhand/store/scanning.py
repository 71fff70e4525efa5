"""Lookups behind scanning: items by barcode, lots, serials, locations by code, and the book of
a location for RFID reconciliation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from onhand.domain.locations import subtree_bounds
from onhand.store.fastsql import Prepared
from onhand.store.locking import chunks
from onhand.store.tables import balances, item_barcodes, items, locations, lots, serials

# A GTIN has at most four stored forms (GTIN-14, EAN-13, UPC-A, EAN-8): a statement with four
# parameters, compiled once, answers any scan with one index lookup per form.
FORMS = 4
_item_cols = (
    items.c.id,
    items.c.sku,
    items.c.name,
    items.c.uom,
    items.c.precision,
    items.c.tracking,
    items.c.active,
    item_barcodes.c.barcode,
)
_items_by_barcode = Prepared(
    lambda _: (
        select(*_item_cols)
        .select_from(item_barcodes)
        .join(items, items.c.id == item_barcodes.c.item_id)
        .where(
            item_barcodes.c.org_id == bindparam("o"),
            item_barcodes.c.barcode.in_([bindparam(f"b{n}") for n in range(FORMS)]),
        )
    )
)


def items_by_barcode(conn: Connection, org_id: int, forms: Sequence[str]) -> list[Any]:
    """Items with any of the barcodes ``forms`` (at most four), as tuples in ``_item_cols``
    order: (id, sku, name, uom, precision, tracking, active, barcode)."""
    padded = list(forms[:FORMS]) + [forms[0]] * (FORMS - len(forms[:FORMS]))
    params: dict[str, Any] = {"o": org_id} | {f"b{n}": b for n, b in enumerate(padded)}
    return _items_by_barcode.all(conn, params)


def items_by_barcodes(conn: Connection, org_id: int, codes: Sequence[str]) -> dict[str, Any]:
    """barcode -> (item id, sku, tracking) for every stored barcode among ``codes``."""
    found: dict[str, Any] = {}
    for part in chunks(sorted(set(codes))):
        q = (
            select(item_barcodes.c.barcode, items.c.id, items.c.sku, items.c.tracking)
            .join(items, items.c.id == item_barcodes.c.item_id)
            .where(item_barcodes.c.org_id == org_id, item_barcodes.c.barcode.in_(part))
        )
        found.update((r.barcode, r) for r in conn.execute(q))
    return found


def lot_of(conn: Connection, org_id: int, item_id: int, code: str) -> Any:
    q = select(lots.c.id, lots.c.code, lots.c.expiry_date, lots.c.on_hold).where(
        lots.c.org_id == org_id, lots.c.item_id == item_id, lots.c.code == code
    )
    return conn.execute(q).first()


def serial_of(conn: Connection, org_id: int, item_id: int, serial: str) -> Any:
    """The serial and where the book has it now (path and warehouse; None when not in stock)."""
    q = (
        select(serials.c.id, serials.c.serial, locations.c.path, locations.c.warehouse_id)
        .outerjoin(locations, locations.c.id == serials.c.location_id)
        .where(serials.c.org_id == org_id, serials.c.item_id == item_id, serials.c.serial == serial)
    )
    return conn.execute(q).first()


def locations_with_code(conn: Connection, org_id: int, code: str) -> list[Row[Any]]:
    """Active locations whose own code is ``code`` (at most two: enough to tell if unique)."""
    q = (
        select(locations)
        .where(locations.c.org_id == org_id, locations.c.code == code, locations.c.active)
        .limit(2)
    )
    return list(conn.execute(q))


def book_under(conn: Connection, org_id: int, path: str) -> list[Row[Any]]:
    """Non-zero balances in the location at ``path`` and every location below it: sku,
    tracking, location path, serial, quantity (micro-units) and the unit's precision."""
    lo, hi = subtree_bounds(path)
    q = (
        select(
            items.c.sku,
            items.c.tracking,
            items.c.precision,
            locations.c.path,
            serials.c.serial,
            balances.c.qty,
        )
        .select_from(balances)
        .join(items, items.c.id == balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .outerjoin(serials, serials.c.id == balances.c.serial_id)
        .where(
            balances.c.org_id == org_id,
            balances.c.qty != 0,
            locations.c.org_id == org_id,
            (locations.c.path == path) | ((locations.c.path >= lo) & (locations.c.path < hi)),
        )
    )
    return list(conn.execute(q))


def serial_paths(
    conn: Connection, org_id: int, pairs: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], str | None]:
    """(item_id, serial) -> the path where the book has that unit (None: known, not in stock);
    pairs that are not known serials are left out."""
    found: dict[tuple[int, str], str | None] = {}
    by_item: dict[int, list[str]] = {}
    for item_id, serial in pairs:
        by_item.setdefault(item_id, []).append(serial)
    for item_id, wanted in by_item.items():
        for part in chunks(sorted(set(wanted))):
            q = (
                select(serials.c.serial, locations.c.path)
                .outerjoin(locations, locations.c.id == serials.c.location_id)
                .where(
                    serials.c.org_id == org_id,
                    serials.c.item_id == item_id,
                    serials.c.serial.in_(part),
                )
            )
            found.update(((item_id, r.serial), r.path) for r in conn.execute(q))
    return found
