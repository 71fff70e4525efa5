"""Building blocks of the exceptions list's queries: subqueries per item and warehouse (on hand,
movements across the warehouse's boundary, planning levels, on order, backordered) and the
scope conditions every kind shares."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Numeric, and_, case, cast, func, literal, null, or_, select, union, union_all

from onhand.store.tables import (
    balances,
    locations,
    movements,
    planning_lines,
    planning_runs,
    purchase_order_lines,
    purchase_orders,
    replenishment_policies,
    sales_order_lines,
    sales_orders,
    transfer_lines,
    transfers,
)

Scope = Collection[int] | None
OPEN_PO = ("ordered", "partially_received")
OPEN_SO = ("open", "partially_shipped")


def within(column: Any, scope: Scope) -> list[Any]:
    """The condition keeping ``column`` (a warehouse id) in scope, if there is a scope."""
    return [] if scope is None else [column.in_(sorted(scope))]


def of_item(column: Any, item_id: int | None) -> list[Any]:
    return [] if item_id is None else [column == item_id]


def big(x: Any) -> Any:
    # Products of two micro-unit integers may pass 2**63: compared as exact numerics.
    return cast(x, Numeric(38, 0))


def on_hand(org_id: int, scope: Scope, item_id: int | None) -> Any:
    """Subquery: on hand per item and warehouse, over its internal locations (all lots)."""
    b, loc = balances, locations
    return (
        select(b.c.item_id, loc.c.warehouse_id, func.sum(b.c.qty).label("qty"))
        .join(loc, loc.c.id == b.c.location_id)
        .where(b.c.org_id == org_id, loc.c.kind == "internal")
        .where(*within(loc.c.warehouse_id, scope), *of_item(b.c.item_id, item_id))
        .group_by(b.c.item_id, loc.c.warehouse_id)
        .subquery("oh")
    )


def crossings(org_id: int, scope: Scope, item_id: int | None, usage_since: datetime) -> Any:
    """Subquery per item and warehouse: the last movement out of the warehouse (to a virtual
    location or another warehouse), the first one into it, and what left since
    ``usage_since``. Moves between locations of one warehouse are neither."""
    m, f, t = movements, locations.alias("f"), locations.alias("t")
    leaves = or_(t.c.kind != "internal", t.c.warehouse_id != f.c.warehouse_id)
    enters = or_(f.c.kind != "internal", f.c.warehouse_id != t.c.warehouse_id)

    def side(wh: Any, inside: Any, crossing: Any, out: bool) -> Any:
        return (
            select(
                m.c.item_id,
                wh.label("warehouse_id"),
                literal(1 if out else 0).label("out"),
                m.c.qty,
                m.c.effective_at,
            )
            .select_from(m)
            .join(f, f.c.id == m.c.from_location_id)
            .join(t, t.c.id == m.c.to_location_id)
            .where(m.c.org_id == org_id, inside.c.kind == "internal", crossing)
            .where(*within(wh, scope), *of_item(m.c.item_id, item_id))
        )

    both = union_all(
        side(f.c.warehouse_id, f, leaves, True), side(t.c.warehouse_id, t, enters, False)
    ).subquery("x")
    is_out = both.c.out == 1
    return (
        select(
            both.c.item_id,
            both.c.warehouse_id,
            func.max(case((is_out, both.c.effective_at))).label("last_out"),
            func.min(case((~is_out, both.c.effective_at))).label("first_in"),
            func.coalesce(
                func.sum(
                    case((and_(is_out, both.c.effective_at >= usage_since), both.c.qty), else_=0)
                ),
                0,
            ).label("used"),
        )
        .group_by(both.c.item_id, both.c.warehouse_id)
        .subquery("cx")
    )


def levels(org_id: int, scope: Scope, item_id: int | None) -> Any:
    """Subquery per item and warehouse with a reorder point or a maximum: the policy's min and
    max where set, else the levels of the newest finished planning run of the warehouse."""
    p, ln, run = replenishment_policies, planning_lines, planning_runs
    newest = (
        select(run.c.warehouse_id, func.max(run.c.id).label("run_id"))
        .where(run.c.org_id == org_id, run.c.status == "done", *within(run.c.warehouse_id, scope))
        .group_by(run.c.warehouse_id)
        .subquery("nr")
    )
    lines = (
        select(
            ln.c.item_id,
            newest.c.warehouse_id,
            ln.c.reorder_point,
            ln.c.order_up_to,
            run.c.number.label("run"),
        )
        .join(newest, newest.c.run_id == ln.c.run_id)
        .join(run, run.c.id == ln.c.run_id)
        .where(ln.c.org_id == org_id, *of_item(ln.c.item_id, item_id))
        .subquery("nl")
    )
    pairs = union(
        select(p.c.item_id, p.c.warehouse_id).where(
            p.c.org_id == org_id,
            or_(p.c.min_qty.is_not(None), p.c.max_qty.is_not(None)),
            *within(p.c.warehouse_id, scope),
            *of_item(p.c.item_id, item_id),
        ),
        select(lines.c.item_id, lines.c.warehouse_id).where(
            or_(lines.c.reorder_point.is_not(None), lines.c.order_up_to.is_not(None))
        ),
    ).subquery("pairs")
    return (
        select(
            pairs.c.item_id,
            pairs.c.warehouse_id,
            func.coalesce(p.c.min_qty, lines.c.reorder_point).label("reorder_point"),
            func.coalesce(p.c.max_qty, lines.c.order_up_to).label("maximum"),
            case((p.c.min_qty.is_not(None), null()), else_=lines.c.run).label("rop_run"),
            case((p.c.max_qty.is_not(None), null()), else_=lines.c.run).label("max_run"),
        )
        .select_from(pairs)
        .outerjoin(
            p,
            and_(
                p.c.org_id == org_id,
                p.c.item_id == pairs.c.item_id,
                p.c.warehouse_id == pairs.c.warehouse_id,
            ),
        )
        .outerjoin(
            lines,
            and_(lines.c.item_id == pairs.c.item_id, lines.c.warehouse_id == pairs.c.warehouse_id),
        )
        .subquery("lv")
    )


def on_order(org_id: int, scope: Scope, item_id: int | None) -> Any:
    """Subquery per item and warehouse: still to come on open purchase order lines and on
    planned or shipped transfers into it."""
    pol, po, tl, tr = purchase_order_lines, purchase_orders, transfer_lines, transfers
    parts = union_all(
        select(
            pol.c.item_id,
            po.c.warehouse_id,
            (pol.c.qty_ordered - pol.c.qty_received).label("qty"),
        )
        .join(po, po.c.id == pol.c.po_id)
        .where(
            pol.c.org_id == org_id,
            po.c.status.in_(OPEN_PO),
            pol.c.closed.is_(False),
            pol.c.qty_received < pol.c.qty_ordered,
            *within(po.c.warehouse_id, scope),
            *of_item(pol.c.item_id, item_id),
        ),
        select(tl.c.item_id, tr.c.to_warehouse_id.label("warehouse_id"), tl.c.qty)
        .join(tr, tr.c.id == tl.c.transfer_id)
        .where(
            tr.c.org_id == org_id,
            tr.c.status.in_(("planned", "shipped")),
            *within(tr.c.to_warehouse_id, scope),
            *of_item(tl.c.item_id, item_id),
        ),
    ).subquery("oo_parts")
    return (
        select(parts.c.item_id, parts.c.warehouse_id, func.sum(parts.c.qty).label("qty"))
        .group_by(parts.c.item_id, parts.c.warehouse_id)
        .subquery("oo")
    )


def backordered(org_id: int, scope: Scope, item_id: int | None) -> Any:
    """Subquery per item and warehouse: open order quantity neither reserved, shipped nor
    cancelled (customers waiting for stock)."""
    sol, so = sales_order_lines, sales_orders
    waiting = sol.c.qty_ordered - sol.c.qty_reserved - sol.c.qty_shipped - sol.c.qty_cancelled
    return (
        select(sol.c.item_id, sol.c.warehouse_id, func.sum(waiting).label("qty"))
        .join(so, so.c.id == sol.c.so_id)
        .where(sol.c.org_id == org_id, so.c.status.in_(OPEN_SO), waiting > 0)
        .where(*within(sol.c.warehouse_id, scope), *of_item(sol.c.item_id, item_id))
        .group_by(sol.c.item_id, sol.c.warehouse_id)
        .subquery("bo")
    )
