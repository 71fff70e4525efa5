"""The exceptions list's stock queries: one set-based statement per kind, limited, over the
balances, the ledger and the planning levels (documents: store/exception_docs.py).

Every function takes the organisation, ``scope`` (the warehouse ids to look in; None: all) and
``item_id`` (one item; None: all), and returns at most ``limit`` rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, literal, or_, select, union

from onhand.store.exception_sets import (
    OPEN_SO,
    Scope,
    backordered,
    big,
    crossings,
    levels,
    of_item,
    on_hand,
    on_order,
    within,
)
from onhand.store.tables import (
    balances,
    commitments,
    items,
    locations,
    lots,
    movements,
    replenishment_policies,
    sales_order_lines,
    sales_orders,
    serials,
)


def named(q: Any, item_col: Any, wh_col: Any) -> Any:
    """``q`` with the item's SKU, precision and unit cost and the warehouse's path."""
    w = locations.alias("w")
    return (
        q.add_columns(
            items.c.sku, items.c.precision, items.c.unit_cost, w.c.path.label("warehouse")
        )
        .join(items, items.c.id == item_col)
        .join(w, w.c.id == wh_col)
    )


def negative_balances(
    conn: Connection, org_id: int, *, scope: Scope, item_id: int | None, limit: int
) -> list[Row[Any]]:
    """Balances below zero in internal locations, each with the effective time of the latest
    movement into or out of it (since when it has stood there); the longest-standing first."""
    m, b = movements, balances
    last = (
        select(m.c.effective_at)
        .where(
            m.c.org_id == org_id,
            m.c.item_id == b.c.item_id,
            (m.c.from_location_id == b.c.location_id) | (m.c.to_location_id == b.c.location_id),
            func.coalesce(m.c.lot_id, 0) == b.c.lot_id,
            func.coalesce(m.c.serial_id, 0) == b.c.serial_id,
        )
        # Walks the item's movements newest first (ix_movements_org_item_effective) and stops
        # at the first one touching the balance.
        .order_by(m.c.effective_at.desc())
        .limit(1)
        .scalar_subquery()
        .label("since")
    )
    q = (
        select(
            b.c.item_id,
            b.c.location_id,
            b.c.lot_id,
            b.c.serial_id,
            locations.c.path,
            lots.c.code.label("lot"),
            serials.c.serial,
            b.c.qty,
            last,
        )
        .select_from(b)
        .join(locations, locations.c.id == b.c.location_id)
        .outerjoin(lots, lots.c.id == b.c.lot_id)
        .outerjoin(serials, serials.c.id == b.c.serial_id)
        .where(b.c.org_id == org_id, b.c.qty < 0, locations.c.kind == "internal")
        .where(*within(locations.c.warehouse_id, scope), *of_item(b.c.item_id, item_id))
    )
    q = named(q, b.c.item_id, locations.c.warehouse_id)
    q = q.order_by(last, items.c.sku, locations.c.path, lots.c.code, serials.c.serial)
    return list(conn.execute(q.limit(limit)))


def below_reorder_point(
    conn: Connection, org_id: int, *, scope: Scope, item_id: int | None, limit: int
) -> list[Row[Any]]:
    """Items whose inventory position at a warehouse (on hand + on order - reserved -
    backordered) is below their reorder point; the furthest below first."""
    lv = levels(org_id, scope, item_id)
    oh, oo = on_hand(org_id, scope, item_id), on_order(org_id, scope, item_id)
    bo = backordered(org_id, scope, item_id)
    c = commitments
    zero = literal(0)
    position = (
        func.coalesce(oh.c.qty, zero)
        + func.coalesce(oo.c.qty, zero)
        - func.coalesce(c.c.reserved, zero)
        - func.coalesce(bo.c.qty, zero)
    )
    q = (
        select(
            lv.c.item_id,
            lv.c.warehouse_id,
            lv.c.reorder_point,
            lv.c.rop_run.label("run"),
            func.coalesce(oh.c.qty, zero).label("on_hand"),
            func.coalesce(oo.c.qty, zero).label("on_order"),
            func.coalesce(c.c.reserved, zero).label("reserved"),
            func.coalesce(bo.c.qty, zero).label("backordered"),
            position.label("position"),
        )
        .select_from(lv)
        .outerjoin(oh, and_(oh.c.item_id == lv.c.item_id, oh.c.warehouse_id == lv.c.warehouse_id))
        .outerjoin(oo, and_(oo.c.item_id == lv.c.item_id, oo.c.warehouse_id == lv.c.warehouse_id))
        .outerjoin(bo, and_(bo.c.item_id == lv.c.item_id, bo.c.warehouse_id == lv.c.warehouse_id))
        .outerjoin(
            c,
            and_(
                c.c.org_id == org_id,
                c.c.item_id == lv.c.item_id,
                c.c.warehouse_id == lv.c.warehouse_id,
            ),
        )
        .where(lv.c.reorder_point.is_not(None), position < lv.c.reorder_point)
    )
    q = named(q, lv.c.item_id, lv.c.warehouse_id)
    q = q.order_by((position - lv.c.reorder_point), items.c.sku)
    return list(conn.execute(q.limit(limit)))


def stockouts(
    conn: Connection,
    org_id: int,
    *,
    scope: Scope,
    item_id: int | None,
    usage_since: datetime,
    limit: int,
) -> list[Row[Any]]:
    """Items with nothing on hand (or less) at a warehouse where they have demand (open order
    lines, or outbound since ``usage_since``) or a replenishment policy. Customers waiting
    first, then the longest out."""
    p, sol, so = replenishment_policies, sales_order_lines, sales_orders
    cx = crossings(org_id, scope, item_id, usage_since)
    bo = backordered(org_id, scope, item_id)
    pairs = union(
        select(p.c.item_id, p.c.warehouse_id).where(
            p.c.org_id == org_id, *within(p.c.warehouse_id, scope), *of_item(p.c.item_id, item_id)
        ),
        select(sol.c.item_id, sol.c.warehouse_id)
        .join(so, so.c.id == sol.c.so_id)
        .where(
            sol.c.org_id == org_id,
            so.c.status.in_(OPEN_SO),
            sol.c.qty_reserved + sol.c.qty_shipped + sol.c.qty_cancelled < sol.c.qty_ordered,
            *within(sol.c.warehouse_id, scope),
            *of_item(sol.c.item_id, item_id),
        ),
        select(cx.c.item_id, cx.c.warehouse_id).where(cx.c.used > 0),
    ).subquery("pairs")
    oh = on_hand(org_id, scope, item_id)
    zero = literal(0)

    def at(sub: Any) -> Any:
        return and_(sub.c.item_id == pairs.c.item_id, sub.c.warehouse_id == pairs.c.warehouse_id)

    q = (
        select(
            pairs.c.item_id,
            pairs.c.warehouse_id,
            func.coalesce(oh.c.qty, zero).label("on_hand"),
            func.coalesce(bo.c.qty, zero).label("backordered"),
            cx.c.last_out.label("since"),
        )
        .select_from(pairs)
        .outerjoin(oh, at(oh))
        .outerjoin(bo, at(bo))
        .outerjoin(cx, at(cx))
        .where(func.coalesce(oh.c.qty, zero) <= 0)
    )
    q = named(q, pairs.c.item_id, pairs.c.warehouse_id)
    q = q.order_by(func.coalesce(bo.c.qty, zero).desc(), cx.c.last_out, items.c.sku)
    return list(conn.execute(q.limit(limit)))


def expiring_lots(
    conn: Connection, org_id: int, *, scope: Scope, item_id: int | None, until: date, limit: int
) -> list[Row[Any]]:
    """Lots on hand (in internal locations, per warehouse) expiring on or before ``until``,
    expired ones included; the soonest first."""
    b, loc = balances, locations
    q = (
        select(
            b.c.item_id,
            loc.c.warehouse_id,
            lots.c.id.label("lot_id"),
            lots.c.code.label("lot"),
            lots.c.expiry_date,
            lots.c.on_hold,
            func.sum(b.c.qty).label("qty"),
        )
        .join(loc, loc.c.id == b.c.location_id)
        .join(lots, lots.c.id == b.c.lot_id)
        .where(
            b.c.org_id == org_id,
            b.c.qty > 0,
            loc.c.kind == "internal",
            lots.c.expiry_date <= until,
            *within(loc.c.warehouse_id, scope),
            *of_item(b.c.item_id, item_id),
        )
        .group_by(
            b.c.item_id,
            loc.c.warehouse_id,
            lots.c.id,
            lots.c.code,
            lots.c.expiry_date,
            lots.c.on_hold,
        )
    )
    g = q.subquery("lx")
    q = named(select(g), g.c.item_id, g.c.warehouse_id)
    q = q.order_by(g.c.expiry_date, items.c.sku, g.c.lot)
    return list(conn.execute(q.limit(limit)))


def dead_stock(
    conn: Connection,
    org_id: int,
    *,
    scope: Scope,
    item_id: int | None,
    cutoff: datetime,
    limit: int,
) -> list[Row[Any]]:
    """Stock on hand at a warehouse that nothing has left since ``cutoff`` and that was there
    before it: ``since`` is the last outbound movement, or the first inbound one when none
    left. The highest value first."""
    oh = on_hand(org_id, scope, item_id)
    cx = crossings(org_id, scope, item_id, cutoff)
    since = func.coalesce(cx.c.last_out, cx.c.first_in)
    q = (
        select(oh.c.item_id, oh.c.warehouse_id, oh.c.qty, since.label("since"))
        .join(cx, and_(cx.c.item_id == oh.c.item_id, cx.c.warehouse_id == oh.c.warehouse_id))
        .where(oh.c.qty > 0, since < cutoff)
    )
    q = named(q, oh.c.item_id, oh.c.warehouse_id)
    q = q.order_by((big(oh.c.qty) * big(items.c.unit_cost)).desc(), items.c.sku)
    return list(conn.execute(q.limit(limit)))


def excess_stock(
    conn: Connection,
    org_id: int,
    *,
    scope: Scope,
    item_id: int | None,
    usage_since: datetime,
    usage_days: int,
    cover_days: int,
    limit: int,
) -> list[Row[Any]]:
    """Stock on hand at a warehouse above its maximum (policy or newest run), or above
    ``cover_days`` of the daily outbound measured since ``usage_since`` (``usage_days`` days;
    items that did not move are dead stock's business). The most on hand first."""
    oh = on_hand(org_id, scope, item_id)
    cx = crossings(org_id, scope, item_id, usage_since)
    lv = levels(org_id, scope, item_id)
    used = func.coalesce(cx.c.used, literal(0))
    over_max = and_(lv.c.maximum.is_not(None), oh.c.qty > lv.c.maximum)
    over_cover = and_(used > 0, big(oh.c.qty) * usage_days > big(used) * cover_days)
    q = (
        select(
            oh.c.item_id,
            oh.c.warehouse_id,
            oh.c.qty,
            lv.c.maximum,
            lv.c.max_run.label("run"),
            used.label("used"),
        )
        .outerjoin(cx, and_(cx.c.item_id == oh.c.item_id, cx.c.warehouse_id == oh.c.warehouse_id))
        .outerjoin(lv, and_(lv.c.item_id == oh.c.item_id, lv.c.warehouse_id == oh.c.warehouse_id))
        .where(oh.c.qty > 0, or_(over_max, over_cover))
    )
    q = named(q, oh.c.item_id, oh.c.warehouse_id)
    q = q.order_by(oh.c.qty.desc(), items.c.sku)
    return list(conn.execute(q.limit(limit)))
