"""On-hand reads: current balances (the projection) and "as of" balances replayed from the ledger."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, literal, select, true, union_all

from onhand.domain.locations import LocationKind, subtree_bounds
from onhand.store.tables import balances, items, locations, lots, movements, serials


def _ledger_balances(org_id: int, as_of: datetime) -> Any:
    """A subquery shaped like ``balances``: the ledger replayed up to ``as_of`` (inclusive)."""
    inbound = select(
        movements.c.item_id,
        movements.c.to_location_id.label("location_id"),
        func.coalesce(movements.c.lot_id, 0).label("lot_id"),
        func.coalesce(movements.c.serial_id, 0).label("serial_id"),
        movements.c.qty.label("qty"),
    ).where(movements.c.org_id == org_id, movements.c.effective_at <= as_of)
    outbound = select(
        movements.c.item_id,
        movements.c.from_location_id.label("location_id"),
        func.coalesce(movements.c.lot_id, 0).label("lot_id"),
        func.coalesce(movements.c.serial_id, 0).label("serial_id"),
        (literal(0) - movements.c.qty).label("qty"),
    ).where(movements.c.org_id == org_id, movements.c.effective_at <= as_of)
    return inbound, outbound


def _source(org_id: int, as_of: datetime | None, extra: list[Any], ledger_extra: Any) -> Any:
    """Balance rows (item, location, lot, serial, qty) from the projection or the replay."""
    if as_of is None:
        q = select(
            balances.c.item_id,
            balances.c.location_id,
            balances.c.lot_id,
            balances.c.serial_id,
            balances.c.qty,
        ).where(balances.c.org_id == org_id, balances.c.qty != 0, *extra)
        return q.subquery("b")
    inbound, outbound = _ledger_balances(org_id, as_of)
    inbound = ledger_extra(inbound, "to")
    outbound = ledger_extra(outbound, "from")
    u = union_all(inbound, outbound).subquery("u")
    return (
        select(
            u.c.item_id, u.c.location_id, u.c.lot_id, u.c.serial_id, func.sum(u.c.qty).label("qty")
        )
        .group_by(u.c.item_id, u.c.location_id, u.c.lot_id, u.c.serial_id)
        .subquery("b")
    )


def _detail(b: Any) -> Any:
    return (
        select(
            items.c.sku,
            items.c.name,
            items.c.uom,
            items.c.precision,
            locations.c.path,
            locations.c.kind,
            locations.c.warehouse_id,
            lots.c.code.label("lot"),
            lots.c.expiry_date,
            serials.c.serial,
            b.c.qty,
        )
        .select_from(b)
        .join(items, items.c.id == b.c.item_id)
        .join(locations, locations.c.id == b.c.location_id)
        .outerjoin(lots, lots.c.id == b.c.lot_id)
        .outerjoin(serials, serials.c.id == b.c.serial_id)
        .where(b.c.qty != 0)
    )


def on_hand_of_item(
    conn: Connection,
    org_id: int,
    item_id: int,
    *,
    as_of: datetime | None,
    lot_id: int | None = None,
    stock_only: bool = True,
) -> list[Row[Any]]:
    """Non-zero balances of one item per location / lot / serial."""
    extra = [balances.c.item_id == item_id]
    if lot_id is not None:
        extra.append(balances.c.lot_id == lot_id)

    def ledger_extra(q: Any, _side: str) -> Any:
        q = q.where(movements.c.item_id == item_id)
        return q.where(movements.c.lot_id == lot_id) if lot_id is not None else q

    b = _source(org_id, as_of, extra, ledger_extra)
    q = _detail(b)
    if stock_only:
        q = q.where(locations.c.kind.in_(("internal", "transit")))
    return list(conn.execute(q.order_by(locations.c.path, lots.c.code, serials.c.serial)))


def on_hand_in_location(
    conn: Connection,
    org_id: int,
    path: str,
    location_id: int,
    *,
    rollup: bool,
    as_of: datetime | None,
    item_id: int | None,
    by_location: bool,
) -> list[Row[Any]]:
    """Balances in a location, or in its whole subtree when ``rollup``."""
    lo, hi = subtree_bounds(path)
    if rollup:
        ids = select(locations.c.id).where(
            locations.c.org_id == org_id,
            (locations.c.path == path) | ((locations.c.path >= lo) & (locations.c.path < hi)),
        )
    else:
        ids = select(literal(location_id))
    extra = [balances.c.location_id.in_(ids)]
    if item_id is not None:
        extra.append(balances.c.item_id == item_id)

    def ledger_extra(q: Any, side: str) -> Any:
        col = movements.c.to_location_id if side == "to" else movements.c.from_location_id
        q = q.where(col.in_(ids))
        return q.where(movements.c.item_id == item_id) if item_id is not None else q

    b = _source(org_id, as_of, extra, ledger_extra)
    if by_location:
        q = _detail(b).order_by(items.c.sku, locations.c.path, lots.c.code, serials.c.serial)
        return list(conn.execute(q))
    q = (
        select(
            items.c.sku,
            items.c.name,
            items.c.uom,
            items.c.precision,
            lots.c.code.label("lot"),
            lots.c.expiry_date,
            serials.c.serial,
            func.sum(b.c.qty).label("qty"),
        )
        .select_from(b)
        .join(items, items.c.id == b.c.item_id)
        .outerjoin(lots, lots.c.id == b.c.lot_id)
        .outerjoin(serials, serials.c.id == b.c.serial_id)
        .group_by(
            items.c.sku,
            items.c.name,
            items.c.uom,
            items.c.precision,
            lots.c.code,
            lots.c.expiry_date,
            serials.c.serial,
        )
        .having(func.sum(b.c.qty) != 0)
        .order_by(items.c.sku, lots.c.code, serials.c.serial)
    )
    return list(conn.execute(q))


def balance_of(conn: Connection, org_id: int, key: tuple[int, int, int, int]) -> int:
    item_id, location_id, lot_id, serial_id = key
    q = select(balances.c.qty).where(
        balances.c.org_id == org_id,
        balances.c.item_id == item_id,
        balances.c.location_id == location_id,
        balances.c.lot_id == lot_id,
        balances.c.serial_id == serial_id,
    )
    return int(conn.execute(q).scalar() or 0)


def negative_balances(
    conn: Connection, org_id: int, *, warehouse_ids: Collection[int], limit: int
) -> list[Row[Any]]:
    """Balances below zero in internal locations (of these warehouses, unless empty), each with
    the effective time of the latest movement into or out of it: since when it has stood at that
    quantity. Oldest first: the longest-standing first."""
    m = movements
    last = (
        select(m.c.effective_at)
        .where(
            m.c.org_id == org_id,
            m.c.item_id == balances.c.item_id,
            (m.c.from_location_id == balances.c.location_id)
            | (m.c.to_location_id == balances.c.location_id),
            func.coalesce(m.c.lot_id, 0) == balances.c.lot_id,
            func.coalesce(m.c.serial_id, 0) == balances.c.serial_id,
        )
        # Walks the item's movements newest first (ix_movements_org_item_effective) and stops
        # at the first one touching the balance.
        .order_by(m.c.effective_at.desc())
        .limit(1)
        .scalar_subquery()
        .label("last_movement_at")
    )
    q = (
        select(
            items.c.sku,
            items.c.name,
            items.c.uom,
            items.c.precision,
            locations.c.path,
            locations.c.warehouse_id,
            lots.c.code.label("lot"),
            serials.c.serial,
            balances.c.qty,
            last,
        )
        .select_from(balances)
        .join(items, items.c.id == balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .outerjoin(lots, lots.c.id == balances.c.lot_id)
        .outerjoin(serials, serials.c.id == balances.c.serial_id)
        .where(
            balances.c.org_id == org_id,
            balances.c.qty < 0,
            locations.c.kind == LocationKind.INTERNAL.value,
        )
    )
    if warehouse_ids:
        q = q.where(locations.c.warehouse_id.in_(sorted(warehouse_ids)))
    q = q.order_by(last, items.c.sku, locations.c.path, lots.c.code, serials.c.serial)
    return list(conn.execute(q.limit(limit)))


def _in_warehouses(warehouse_ids: Collection[int]) -> Any:
    """Locations of these warehouses or virtual ones (every location when none is given)."""
    if not warehouse_ids:
        return true()
    return locations.c.warehouse_id.is_(None) | locations.c.warehouse_id.in_(sorted(warehouse_ids))


def totals_of_items(
    conn: Connection, org_id: int, item_ids: Collection[int], *, warehouse_ids: Collection[int]
) -> dict[int, int]:
    """Stock (internal and transit locations) of each of these items, in these warehouses
    (all when empty) and in transit: one grouped query."""
    if not item_ids:
        return {}
    q = (
        select(balances.c.item_id, func.sum(balances.c.qty).label("qty"))
        .select_from(balances)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.org_id == org_id,
            balances.c.item_id.in_(sorted(item_ids)),
            balances.c.qty != 0,
            locations.c.kind.in_((LocationKind.INTERNAL.value, LocationKind.TRANSIT.value)),
            _in_warehouses(warehouse_ids),
        )
        .group_by(balances.c.item_id)
    )
    return {r.item_id: int(r.qty) for r in conn.execute(q)}


def totals_by_location(
    conn: Connection, org_id: int, *, under: str | None, warehouse_ids: Collection[int]
) -> list[Row[Any]]:
    """(path, item_id, qty) of every non-zero stock in the warehouse trees (or one subtree),
    summed over lots and serials: one grouped query, whatever the number of bins."""
    q = (
        select(locations.c.path, balances.c.item_id, func.sum(balances.c.qty).label("qty"))
        .select_from(balances)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.org_id == org_id,
            balances.c.qty != 0,
            locations.c.warehouse_id.is_not(None),
        )
        .group_by(locations.c.path, balances.c.item_id)
        .having(func.sum(balances.c.qty) != 0)
    )
    if under is not None:
        lo, hi = subtree_bounds(under)
        q = q.where(
            (locations.c.path == under) | ((locations.c.path >= lo) & (locations.c.path < hi))
        )
    if warehouse_ids:
        q = q.where(locations.c.warehouse_id.in_(sorted(warehouse_ids)))
    return list(conn.execute(q))
