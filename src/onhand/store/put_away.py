"""Where received stock could go: bins already holding an item, empty bins, home zones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, case, delete, exists, insert, select

from onhand.domain.locations import subtree_bounds
from onhand.store.sales import outside
from onhand.store.tables import balances, locations, lots, put_away_zones

_child = locations.alias("child")


def _bins_under(org_id: int, path: str, exclude: Sequence[int], held: Sequence[str]) -> list[Any]:
    """Conditions: an active internal leaf (no active child) below ``path``, not held, not one
    of ``exclude``."""
    lo, hi = subtree_bounds(path)
    return [
        locations.c.org_id == org_id,
        locations.c.path >= lo,
        locations.c.path < hi,
        locations.c.kind == "internal",
        locations.c.active.is_(True),
        locations.c.id.not_in(list(exclude)),
        *outside(held),
        ~exists().where(
            _child.c.org_id == org_id,
            _child.c.parent_id == locations.c.id,
            _child.c.active.is_(True),
        ),
    ]


def bins_holding(
    conn: Connection,
    org_id: int,
    item_id: int,
    warehouse_path: str,
    exclude: Sequence[int],
    lot: str | None,
    held: Sequence[str],
) -> list[Row[Any]]:
    """Bins of a warehouse holding the item: the given lot first, then the most stock."""
    same_lot = case((lots.c.code == lot, 1), else_=0) if lot is not None else None
    q = (
        select(locations.c.id, locations.c.path, balances.c.qty, lots.c.code.label("lot"))
        .select_from(
            balances.join(locations, locations.c.id == balances.c.location_id).outerjoin(
                lots, lots.c.id == balances.c.lot_id
            )
        )
        .where(
            balances.c.org_id == org_id,
            balances.c.item_id == item_id,
            balances.c.qty > 0,
            *_bins_under(org_id, warehouse_path, exclude, held),
        )
    )
    order = [balances.c.qty.desc(), locations.c.path]
    if same_lot is not None:
        order.insert(0, same_lot.desc())
    return list(conn.execute(q.order_by(*order).limit(5)))


def first_empty_bin(
    conn: Connection, org_id: int, path: str, exclude: Sequence[int], held: Sequence[str]
) -> Row[Any] | None:
    """The first bin below ``path`` (by path) that holds nothing at all."""
    q = (
        select(locations.c.id, locations.c.path)
        .where(
            *_bins_under(org_id, path, exclude, held),
            ~exists().where(
                and_(
                    balances.c.org_id == org_id,
                    balances.c.location_id == locations.c.id,
                    balances.c.qty != 0,
                )
            ),
        )
        .order_by(locations.c.path)
        .limit(1)
    )
    return conn.execute(q).first()


def home_zone(conn: Connection, org_id: int, item_id: int, warehouse_id: int) -> Row[Any] | None:
    q = (
        select(locations.c.id, locations.c.path)
        .select_from(put_away_zones.join(locations, locations.c.id == put_away_zones.c.zone_id))
        .where(
            put_away_zones.c.org_id == org_id,
            put_away_zones.c.item_id == item_id,
            put_away_zones.c.warehouse_id == warehouse_id,
        )
    )
    return conn.execute(q).first()


def set_home_zone(
    conn: Connection, org_id: int, item_id: int, warehouse_id: int, zone_id: int
) -> None:
    conn.execute(
        delete(put_away_zones).where(
            put_away_zones.c.org_id == org_id,
            put_away_zones.c.item_id == item_id,
            put_away_zones.c.warehouse_id == warehouse_id,
        )
    )
    conn.execute(
        insert(put_away_zones).values(
            org_id=org_id, item_id=item_id, warehouse_id=warehouse_id, zone_id=zone_id
        )
    )
