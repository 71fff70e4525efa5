"""Streaming reads for CSV export: balances and the whole ledger of one organisation.

Rows are fetched in chunks (``yield_per``: a server-side cursor on PostgreSQL), so a million
movements never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from onhand.domain.locations import STOCK_KINDS
from onhand.store.tables import balances, items, locations, lots, movements, serials, users

FETCH = 2000

_balances = (
    select(
        items.c.sku,
        items.c.precision,
        locations.c.path.label("location"),
        lots.c.code.label("lot"),
        lots.c.expiry_date,
        serials.c.serial,
        balances.c.qty,
    )
    .select_from(balances)
    .join(items, items.c.id == balances.c.item_id)
    .join(locations, locations.c.id == balances.c.location_id)
    .outerjoin(lots, lots.c.id == balances.c.lot_id)
    .outerjoin(serials, serials.c.id == balances.c.serial_id)
)


def stock_balances(conn: Connection, org_id: int) -> Iterator[Any]:
    """Non-zero balances in stock locations (internal and transit), by location, SKU, lot."""
    q = _balances.where(
        balances.c.org_id == org_id,
        balances.c.qty != 0,
        locations.c.kind.in_([k.value for k in STOCK_KINDS]),
    ).order_by(locations.c.path, items.c.sku, lots.c.code, serials.c.serial)
    yield from conn.execution_options(yield_per=FETCH).execute(q)


_src = aliased(locations, name="src")
_dst = aliased(locations, name="dst")

_ledger = (
    select(
        movements.c.id,
        movements.c.posting_id,
        movements.c.effective_at,
        movements.c.recorded_at,
        items.c.sku,
        items.c.precision,
        _src.c.path.label("from_path"),
        _dst.c.path.label("to_path"),
        movements.c.qty,
        lots.c.code.label("lot"),
        serials.c.serial,
        movements.c.ref_type,
        movements.c.ref_id,
        movements.c.reason,
        users.c.username.label("actor"),
        movements.c.reverses_id,
        movements.c.hash,
    )
    .select_from(movements)
    .join(items, items.c.id == movements.c.item_id)
    .join(_src, _src.c.id == movements.c.from_location_id)
    .join(_dst, _dst.c.id == movements.c.to_location_id)
    .outerjoin(lots, lots.c.id == movements.c.lot_id)
    .outerjoin(serials, serials.c.id == movements.c.serial_id)
    .outerjoin(users, users.c.id == movements.c.actor_id)
)


def ledger_rows(conn: Connection, org_id: int) -> Iterator[Any]:
    """Every movement of an organisation in id order (the order they were recorded)."""
    q = _ledger.where(movements.c.org_id == org_id).order_by(movements.c.id)
    yield from conn.execution_options(yield_per=FETCH).execute(q)
