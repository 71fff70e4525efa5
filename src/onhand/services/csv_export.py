"""CSV export of items, locations, balances and movements.

Items, locations and balances come out in the columns their import reads, so an export can be
imported into another organisation or database. Movements stream from the store in chunks.
Quantities are exact decimals in the unit's precision, never floats.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from onhand.domain.access import Actor, Permission
from onhand.domain.quantities import from_micro
from onhand.services import items, locations
from onhand.services.csv_balances import BALANCE_COLUMNS
from onhand.services.csv_import import ITEM_COLUMNS, LOCATION_COLUMNS
from onhand.store import exports
from onhand.store.unit_of_work import Database

PAGE = 1000
MOVEMENT_COLUMNS = (
    "id",
    "posting_id",
    "effective_at",
    "recorded_at",
    "sku",
    "from",
    "to",
    "quantity",
    "lot",
    "serial",
    "ref_type",
    "ref_id",
    "reason",
    "actor",
    "reverses_id",
    "hash",
)
Progress = Callable[[int], None] | None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _writer(out: TextIO, columns: tuple[str, ...]) -> Any:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    return w


def _money(value: Decimal) -> Decimal:
    """12.500000 -> 12.5, 100.000000 -> 100: money without the storage scale's zeros."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def export_items(db: Database, actor: Actor, out: TextIO, progress: Progress = None) -> int:
    """Write every item (active or not) as CSV in the columns `import items` reads."""
    actor.require(Permission.READ)
    w = _writer(out, ITEM_COLUMNS)
    count, after = 0, None
    while True:
        page = items.list_items(db, actor, after=after, limit=PAGE)
        for it in page:
            w.writerow(
                _cell(v)
                for v in (
                    it["sku"],
                    it["name"],
                    it["category"],
                    it["uom"],
                    it["precision"],
                    _money(it["unit_cost"]),
                    it["currency"],
                    it["tracking"],
                    it["shelf_life_days"],
                    "|".join(it["barcodes"]),
                    it["active"],
                )
            )
        count += len(page)
        if progress is not None:
            progress(len(page))
        if len(page) < PAGE:
            return count
        after = page[-1]["sku"]


def export_locations(db: Database, actor: Actor, out: TextIO, progress: Progress = None) -> int:
    """Write the active locations (not the virtual ones) as CSV, parents before children."""
    actor.require(Permission.READ)
    w = _writer(out, LOCATION_COLUMNS)
    count, after = 0, None
    while True:
        page = locations.list_locations(db, actor, active=True, after=after, limit=PAGE)
        rows = [loc for loc in page if not loc["path"].startswith("@")]
        for loc in rows:
            w.writerow(
                _cell(v) for v in (loc["path"], loc["name"], loc["kind"], loc["allow_negative"])
            )
        count += len(rows)
        if progress is not None:
            progress(len(rows))
        if len(page) < PAGE:
            return count
        after = page[-1]["path"]


def export_balances(db: Database, actor: Actor, out: TextIO, progress: Progress = None) -> int:
    """Write the non-zero balances of stock locations as CSV (`import balances` columns)."""
    actor.require(Permission.READ)
    w = _writer(out, BALANCE_COLUMNS)
    count = 0
    with db.reading() as uow:
        for r in exports.stock_balances(uow.conn, actor.org_id):
            w.writerow(
                _cell(v)
                for v in (
                    r.sku,
                    r.location,
                    from_micro(r.qty, r.precision),
                    r.lot,
                    r.expiry_date,
                    r.serial,
                )
            )
            count += 1
            if progress is not None and count % PAGE == 0:
                progress(PAGE)
    return count


def export_movements(db: Database, actor: Actor, out: TextIO, progress: Progress = None) -> int:
    """Stream the whole ledger of the organisation as CSV, in the order it was recorded."""
    actor.require(Permission.READ)
    w = _writer(out, MOVEMENT_COLUMNS)
    count = 0
    with db.reading() as uow:
        for r in exports.ledger_rows(uow.conn, actor.org_id):
            w.writerow(
                _cell(v)
                for v in (
                    r.id,
                    r.posting_id,
                    r.effective_at,
                    r.recorded_at,
                    r.sku,
                    r.from_path,
                    r.to_path,
                    from_micro(r.qty, r.precision),
                    r.lot,
                    r.serial,
                    r.ref_type,
                    r.ref_id,
                    r.reason,
                    r.actor,
                    r.reverses_id,
                    r.hash,
                )
            )
            count += 1
            if progress is not None and count % PAGE == 0:
                progress(PAGE)
    return count


EXPORTS: dict[str, Callable[[Database, Actor, TextIO, Progress], int]] = {
    "items": export_items,
    "locations": export_locations,
    "balances": export_balances,
    "movements": export_movements,
}
