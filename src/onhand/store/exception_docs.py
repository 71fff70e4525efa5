"""The exceptions list's document and ledger queries (count lines, purchase orders, reservations,
adjustments) and its acknowledgements. Arguments as in store/exceptions.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, delete, false, func, literal, or_, select

from onhand.store.exception_sets import OPEN_PO, OPEN_SO, Scope, big, of_item, within
from onhand.store.exceptions import named
from onhand.store.locking import dialect_insert
from onhand.store.sales import outside
from onhand.store.tables import (
    balances,
    commitments,
    count_documents,
    count_lines,
    exception_acks,
    items,
    locations,
    lots,
    movements,
    purchase_order_lines,
    purchase_orders,
    sales_order_lines,
    sales_orders,
    suppliers,
    users,
)


def count_variances(
    conn: Connection, org_id: int, *, scope: Scope, item_id: int | None, limit: int
) -> list[Row[Any]]:
    """Count lines counted outside their tolerance: waiting for a recount or for a manager's
    decision (review); the oldest count first."""
    cl, cd, loc = count_lines, count_documents, locations
    q = (
        select(
            cl.c.item_id,
            cl.c.warehouse_id,
            cd.c.number,
            cl.c.line_no,
            cl.c.status,
            cl.c.lot,
            cl.c.serial,
            cl.c.counted,
            cl.c.book,
            cl.c.tolerance,
            cl.c.recorded_at,
            loc.c.path,
        )
        .join(cd, cd.c.id == cl.c.count_id)
        .join(loc, loc.c.id == cl.c.location_id)
        .where(cl.c.org_id == org_id, cl.c.status.in_(("recount", "review")))
        .where(*within(cl.c.warehouse_id, scope), *of_item(cl.c.item_id, item_id))
    )
    q = named(q, cl.c.item_id, cl.c.warehouse_id)
    q = q.order_by(cl.c.recorded_at, cd.c.number, cl.c.line_no)
    return list(conn.execute(q.limit(limit)))


def late_po_lines(
    conn: Connection, org_id: int, *, scope: Scope, item_id: int | None, today: date, limit: int
) -> list[Row[Any]]:
    """Open purchase order lines (of ordered or partly received orders, not closed, not all
    received) whose expected date (the line's, else the order's) is before ``today``."""
    pol, po = purchase_order_lines, purchase_orders
    due = func.coalesce(pol.c.expected_date, po.c.expected_date)
    q = (
        select(
            pol.c.item_id,
            po.c.warehouse_id,
            po.c.number,
            pol.c.line_no,
            (pol.c.qty_ordered - pol.c.qty_received).label("open_qty"),
            pol.c.qty_ordered,
            due.label("due"),
            suppliers.c.code.label("supplier"),
        )
        .join(po, po.c.id == pol.c.po_id)
        .join(suppliers, suppliers.c.id == po.c.supplier_id)
        .where(
            pol.c.org_id == org_id,
            po.c.status.in_(OPEN_PO),
            pol.c.closed.is_(False),
            pol.c.qty_received < pol.c.qty_ordered,
            due < today,
            *within(po.c.warehouse_id, scope),
            *of_item(pol.c.item_id, item_id),
        )
    )
    q = named(q, pol.c.item_id, po.c.warehouse_id)
    q = q.order_by(due, po.c.number, pol.c.line_no)
    return list(conn.execute(q.limit(limit)))


def reservation_shortfalls(
    conn: Connection,
    org_id: int,
    *,
    scope: Scope,
    item_id: int | None,
    held_paths: Sequence[str],
    today: date,
    limit: int,
) -> list[Row[Any]]:
    """Items whose reserved quantity at a warehouse is more than can ship: positive balances of
    its internal locations, less what is in held locations (``held_paths`` and below), in held
    lots or in lots expired before ``today``. With the oldest order holding a reservation."""
    b, loc, c = balances, locations, commitments
    in_held_loc = ~and_(*outside(held_paths, loc)) if held_paths else false()
    in_bad_lot = and_(
        lots.c.id.is_not(None),
        or_(lots.c.on_hold.is_(True), lots.c.expiry_date < today),
    )
    zero = literal(0)
    stock = (
        select(
            b.c.item_id,
            loc.c.warehouse_id,
            func.sum(b.c.qty).label("on_hand"),
            func.sum(case((in_held_loc, b.c.qty), else_=0)).label("held_location"),
            func.sum(case((and_(~in_held_loc, in_bad_lot), b.c.qty), else_=0)).label("held_lot"),
        )
        .join(loc, loc.c.id == b.c.location_id)
        .outerjoin(lots, lots.c.id == b.c.lot_id)
        .where(b.c.org_id == org_id, b.c.qty > 0, loc.c.kind == "internal")
        .where(*within(loc.c.warehouse_id, scope), *of_item(b.c.item_id, item_id))
        .group_by(b.c.item_id, loc.c.warehouse_id)
        .subquery("st")
    )
    sol, so = sales_order_lines, sales_orders
    orders = (
        select(
            sol.c.item_id,
            sol.c.warehouse_id,
            func.min(so.c.number).label("oldest"),
            func.count(func.distinct(so.c.id)).label("orders"),
        )
        .join(so, so.c.id == sol.c.so_id)
        .where(sol.c.org_id == org_id, so.c.status.in_(OPEN_SO), sol.c.qty_reserved > 0)
        .where(*within(sol.c.warehouse_id, scope), *of_item(sol.c.item_id, item_id))
        .group_by(sol.c.item_id, sol.c.warehouse_id)
        .subquery("ords")
    )
    shippable = (
        func.coalesce(stock.c.on_hand, zero)
        - func.coalesce(stock.c.held_location, zero)
        - func.coalesce(stock.c.held_lot, zero)
    )
    q = (
        select(
            c.c.item_id,
            c.c.warehouse_id,
            c.c.reserved,
            func.coalesce(stock.c.on_hand, zero).label("on_hand"),
            func.coalesce(stock.c.held_location, zero).label("held_location"),
            func.coalesce(stock.c.held_lot, zero).label("held_lot"),
            shippable.label("shippable"),
            orders.c.oldest,
            func.coalesce(orders.c.orders, zero).label("orders"),
        )
        .outerjoin(
            stock, and_(stock.c.item_id == c.c.item_id, stock.c.warehouse_id == c.c.warehouse_id)
        )
        .outerjoin(
            orders,
            and_(orders.c.item_id == c.c.item_id, orders.c.warehouse_id == c.c.warehouse_id),
        )
        .where(c.c.org_id == org_id, c.c.reserved > 0, c.c.reserved > shippable)
        .where(*within(c.c.warehouse_id, scope), *of_item(c.c.item_id, item_id))
    )
    q = named(q, c.c.item_id, c.c.warehouse_id)
    q = q.order_by((shippable - c.c.reserved), items.c.sku)
    return list(conn.execute(q.limit(limit)))


def _adjustments(org_id: int, scope: Scope, item_id: int | None, since: datetime) -> Any:
    """Movements into or out of an adjustment location since ``since``, with the internal side
    (location and warehouse) and the direction (+1 found, -1 lost)."""
    m, f, t = movements, locations.alias("f"), locations.alias("t")
    gain = f.c.kind == "adjustment"
    warehouse = case((gain, t.c.warehouse_id), else_=f.c.warehouse_id)
    return (
        select(
            m.c.id,
            m.c.item_id,
            m.c.qty,
            m.c.effective_at,
            m.c.reason,
            m.c.actor_id,
            warehouse.label("warehouse_id"),
            case((gain, t.c.path), else_=f.c.path).label("path"),
            case((gain, 1), else_=-1).label("sign"),
        )
        .select_from(m)
        .join(f, f.c.id == m.c.from_location_id)
        .join(t, t.c.id == m.c.to_location_id)
        .where(
            m.c.org_id == org_id,
            m.c.effective_at >= since,
            or_(gain, t.c.kind == "adjustment"),
            *within(warehouse, scope),
            *of_item(m.c.item_id, item_id),
        )
        .subquery("adj")
    )


def large_adjustments(
    conn: Connection,
    org_id: int,
    *,
    scope: Scope,
    item_id: int | None,
    since: datetime,
    value_over: int,
    qty_over: int | None,
    limit: int,
) -> list[Row[Any]]:
    """Adjustments since ``since`` worth more than ``value_over`` (micro-units of money, at the
    item's unit cost) or of more than ``qty_over`` (micro-units); the newest first."""
    a = _adjustments(org_id, scope, item_id, since)
    # qty and unit cost are both micro-units: their product is value x 10**12.
    large = big(a.c.qty) * big(items.c.unit_cost) > big(literal(value_over)) * 10**6
    if qty_over is not None:
        large = or_(large, a.c.qty > qty_over)
    q = select(a, users.c.username).outerjoin(users, users.c.id == a.c.actor_id).where(large)
    q = named(q, a.c.item_id, a.c.warehouse_id)
    q = q.order_by(a.c.effective_at.desc(), a.c.id.desc())
    return list(conn.execute(q.limit(limit)))


def frequent_adjusters(
    conn: Connection,
    org_id: int,
    *,
    scope: Scope,
    item_id: int | None,
    since: datetime,
    more_than: int,
    limit: int,
) -> list[Row[Any]]:
    """Users who posted more than ``more_than`` adjustments since ``since``; the busiest first."""
    a = _adjustments(org_id, scope, item_id, since)
    n = func.count().label("adjustments")
    q = (
        select(
            a.c.actor_id,
            users.c.username,
            n,
            func.min(a.c.effective_at).label("first_at"),
            func.count(func.distinct(a.c.item_id)).label("items"),
        )
        .outerjoin(users, users.c.id == a.c.actor_id)
        .group_by(a.c.actor_id, users.c.username)
        .having(func.count() > more_than)
        .order_by(n.desc(), users.c.username)
    )
    return list(conn.execute(q.limit(limit)))


# --- acknowledgements -----------------------------------------------------------------------


def acks_of(conn: Connection, org_id: int, keys: Sequence[str]) -> dict[str, Row[Any]]:
    """The acknowledgements of these keys, with who made them."""
    e = exception_acks
    out: dict[str, Row[Any]] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        q = (
            select(e, users.c.username)
            .outerjoin(users, users.c.id == e.c.acked_by)
            .where(e.c.org_id == org_id, e.c.key.in_(unique[start : start + 500]))
        )
        out |= {r.key: r for r in conn.execute(q)}
    return out


def save_ack(conn: Connection, values: dict[str, Any]) -> None:
    """Replace the acknowledgement of a key (one per key): one upsert, so that two people
    acknowledging the same exception at once both succeed and the later one stays."""
    changes = {k: v for k, v in values.items() if k not in ("org_id", "key")}
    ins = dialect_insert(conn, exception_acks).values(values)
    conn.execute(ins.on_conflict_do_update(index_elements=["org_id", "key"], set_=changes))


def delete_ack(conn: Connection, org_id: int, key: str) -> bool:
    e = exception_acks
    return conn.execute(delete(e).where(e.c.org_id == org_id, e.c.key == key)).rowcount > 0
