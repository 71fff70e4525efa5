"""Reads for the KPIs, as set operations: the running totals of the valuation entries at the
period's boundaries (per item and scope), one pass over the order lines due in the period, one
over the period's shipments of sales orders and their issues (for the revenue), and the small
settings and policy tables. Days are numbered as in domain/valuation_totals.py."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Row, case, func, literal, select

from onhand.domain.valuation import Kind
from onhand.domain.valuation_totals import day_number
from onhand.store import valuation_totals as totals
from onhand.store.locking import dialect_insert
from onhand.store.tables import (
    items,
    kpi_settings,
    locations,
    movements,
    replenishment_policies,
    sales_order_lines,
    sales_orders,
    shipments,
    valuation_entries,
    valuation_positions,
)
from onhand.store.valuation_reports import day_of


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _in(col: Any, values: Collection[int] | None) -> Any:
    return literal(True) if values is None else col.in_(list(values))


def ledger(
    conn: Connection,
    org_id: int,
    *,
    start: date,
    end: date,
    dead_from: date,
    scopes: Collection[int] | None,
    item_ids: Collection[int] | None,
    category: str | None,
) -> list[Row[Any]]:
    """Per item and scope (warehouse or transit) ever valued: the position now, the quantity
    and value at the start and at the end, the period's net value weighted by the days it was
    held, cost of goods sold, units sold, received, transferred in and sent out, units sent out
    since ``dead_from``, the quantity held before ``dead_from``, and the days in [start, end]
    it was carried (from the start if it opened with stock, else from the first day that ended
    with some) and those of them that ended with nothing.

    Each figure is a difference of the running totals (store/valuation_totals.py) at the
    period's boundaries: three index seeks per item and scope, whatever the history's length.
    Only items that opened the period without stock look into it, for their first day that
    ended with some."""
    s, t = day_number(start), day_number(end)
    after = end + timedelta(days=1)
    pair_q = totals.pairs(org_id, scopes=scopes, item_ids=item_ids, category=category)
    b_start = totals.boundary(org_id, pair_q, midnight(start), "b_start")
    b_end = totals.boundary(org_id, pair_q, midnight(after), "b_end")
    b_cut = totals.boundary(org_id, pair_q, midnight(dead_from), "b_cut")
    e_start, e_end, e_cut = (valuation_entries.alias(n) for n in ("e_start", "e_end", "e_cut"))

    def moved(field: str, since: Any = e_start) -> Any:
        return totals.level(e_end, field) - totals.level(since, field)

    p = valuation_positions.c
    open_q = totals.level(e_start, "level_qty")
    open_v = totals.level(e_start, "level_value")
    days = t - s + 1
    held = totals.held_value(e_end, t + 1) - totals.held_value(e_start, s)
    out = totals.out_days(e_end, t + 1) - totals.out_days(e_start, s)
    first_day, first_stocked = _first_days(org_id, b_start, midnight(start), midnight(after))
    # Opened without stock: carried from its first day that ended with some. The days before
    # it in the period all ended with nothing; those the totals count (from the item's first
    # entry in the scope, or from the start) come off.
    counted_from = case((e_start.c.id.is_(None), first_day), else_=literal(s))
    opened = open_q > 0
    not_opened = case((open_q <= 0, first_stocked), else_=None)
    stocked_days = case(
        (opened, days), (not_opened.is_not(None), literal(t + 1) - not_opened), else_=0
    )
    stockout_days = case(
        (opened, out),
        (not_opened.is_not(None), out - (not_opened - counted_from)),
        else_=0,
    )
    q = (
        select(
            b_start.c.item_id,
            b_start.c.scope_id,
            p.qty,
            p.value,
            open_q.label("open_q"),
            open_v.label("open_v"),
            totals.level(e_end, "level_qty").label("close_q"),
            totals.level(e_end, "level_value").label("close_v"),
            totals.level(e_cut, "level_qty").label("cut_q"),
            (held - open_v * days).label("weighted_v"),
            moved("sum_cogs").label("cogs"),
            (literal(0) - moved("sum_sold")).label("sold"),
            moved("sum_received").label("received"),
            moved("sum_transferred_in").label("tin"),
            (literal(0) - moved("sum_outbound")).label("outbound"),
            (literal(0) - moved("sum_outbound", e_cut)).label("recent_out"),
            items.c.sku,
            items.c.category,
            items.c.precision,
            locations.c.path.label("scope"),
            locations.c.kind.label("scope_kind"),
            stockout_days.label("stockout_days"),
            stocked_days.label("stocked_days"),
        )
        .select_from(b_start)
        .join(b_end, (b_end.c.item_id == b_start.c.item_id) & (b_end.c.scope_id == b_start.c.scope_id))
        .join(b_cut, (b_cut.c.item_id == b_start.c.item_id) & (b_cut.c.scope_id == b_start.c.scope_id))
        .outerjoin(e_start, e_start.c.id == b_start.c.entry_id)
        .outerjoin(e_end, e_end.c.id == b_end.c.entry_id)
        .outerjoin(e_cut, e_cut.c.id == b_cut.c.entry_id)
        .join(
            valuation_positions,
            (p.org_id == org_id) & (p.item_id == b_start.c.item_id) & (p.scope_id == b_start.c.scope_id),
        )
        .join(items, items.c.id == b_start.c.item_id)
        .join(locations, locations.c.id == b_start.c.scope_id)
    )  # fmt: skip
    return list(conn.execute(q))


def _first_days(org_id: int, bound: Any, lo: datetime, hi: datetime) -> tuple[Any, Any]:
    """For an item and scope (the boundary's row): the day of its first entry in [lo, hi), and
    the first day in it that ended with stock (an entry with stock and no later one that day)."""
    e, later = valuation_entries.alias("f"), valuation_entries.alias("g")
    in_range = (
        e.c.org_id == org_id,
        e.c.item_id == bound.c.item_id,
        e.c.scope_id == bound.c.scope_id,
        e.c.at >= lo,
        e.c.at < hi,
    )
    first_day = select(e.c.day).where(*in_range).order_by(e.c.at, e.c.id).limit(1).scalar_subquery()
    same_day_after = (
        select(later.c.id)
        .where(
            later.c.org_id == org_id,
            later.c.item_id == e.c.item_id,
            later.c.scope_id == e.c.scope_id,
            later.c.day == e.c.day,
            (later.c.at > e.c.at) | ((later.c.at == e.c.at) & (later.c.id > e.c.id)),
        )
        .exists()
    )
    first_stocked = (
        select(e.c.day)
        .where(*in_range, e.c.level_qty > 0, ~same_day_after)
        .order_by(e.c.at, e.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return first_day, first_stocked


def order_lines(
    conn: Connection,
    org_id: int,
    *,
    start: date,
    end: date,
    warehouses: Collection[int] | None,
    item_ids: Collection[int] | None,
    category: str | None,
) -> list[Row[Any]]:
    """Per item and warehouse, the sales order lines due in [start, end] (the line's requested
    date, else the order's, else the day it was created) and not wholly cancelled: how many,
    units ordered net of cancellations, shipped, lines shipped complete, and lines and units
    neither reserved nor shipped (backordered)."""
    sol, so = sales_order_lines.c, sales_orders.c
    due = func.coalesce(sol.requested_date, so.requested_date, day_of(conn, so.created_at))
    net = sol.qty_ordered - sol.qty_cancelled
    back = net - sol.qty_reserved - sol.qty_shipped
    q = (
        select(
            sol.item_id,
            sol.warehouse_id,
            func.count().label("lines"),
            func.sum(net).label("units"),
            func.sum(sol.qty_shipped).label("shipped"),
            func.sum(case((sol.qty_shipped >= net, 1), else_=0)).label("complete"),
            func.sum(case((back > 0, 1), else_=0)).label("back_lines"),
            func.sum(case((back > 0, back), else_=0)).label("back_units"),
        )
        .join(sales_orders, so.id == sol.so_id)
        .join(items, items.c.id == sol.item_id)
        .where(
            sol.org_id == org_id,
            net > 0,
            due >= start,
            due <= end,
            _in(sol.warehouse_id, warehouses),
            _in(sol.item_id, item_ids),
        )
        .group_by(sol.item_id, sol.warehouse_id)
    )
    if category is not None:
        q = q.where(items.c.category == category)
    return list(conn.execute(q))


def priced_issues(
    conn: Connection,
    org_id: int,
    *,
    start: date,
    end: date,
    scopes: Collection[int] | None,
    item_ids: Collection[int] | None,
    category: str | None,
) -> list[Row[Any]]:
    """Per item, scope and unit price: the quantity (negative) and cost of the period's issues
    shipped against sales orders, with the order's price for the item (its lowest, where
    several lines of the order hold it; None: unpriced).

    Driven by the shipments (a day either side of the period, to meet the entries' times),
    each joined to its movements by posting (index) and those to their entries by movement
    (index org_id, movement_id): it grows with the orders shipped, not with all issues."""
    e, m, sh, sol = valuation_entries.c, movements.c, shipments.c, sales_order_lines.c
    one = timedelta(days=1)
    price = (
        select(sol.so_id, sol.item_id, func.min(sol.unit_price).label("price"))
        .where(sol.org_id == org_id, sol.unit_price.is_not(None))
        .group_by(sol.so_id, sol.item_id)
        .subquery()
    )
    q = (
        select(
            e.item_id,
            e.scope_id,
            price.c.price,
            func.sum(e.qty).label("qty"),
            func.sum(e.expense).label("cost"),
        )
        .select_from(shipments)
        .join(movements, (m.org_id == sh.org_id) & (m.posting_id == sh.posting_id))
        .join(valuation_entries, (e.org_id == m.org_id) & (e.movement_id == m.id))
        .outerjoin(price, (price.c.so_id == sh.so_id) & (price.c.item_id == e.item_id))
        .join(items, items.c.id == e.item_id)
        .where(
            sh.org_id == org_id,
            sh.shipped_at >= midnight(start) - one,
            sh.shipped_at < midnight(end) + 2 * one,
            e.kind == Kind.ISSUE.value,
            e.at >= midnight(start),
            e.at < midnight(end) + one,
            _in(e.scope_id, scopes),
            _in(e.item_id, item_ids),
        )
        .group_by(e.item_id, e.scope_id, price.c.price)
    )
    if category is not None:
        q = q.where(items.c.category == category)
    return list(conn.execute(q))


def policy_max(conn: Connection, org_id: int) -> dict[tuple[int, int], int]:
    """(item_id, warehouse_id) -> the maximum level of its replenishment policy, where set."""
    rp = replenishment_policies.c
    rows = conn.execute(
        select(rp.item_id, rp.warehouse_id, rp.max_qty).where(
            rp.org_id == org_id, rp.max_qty.is_not(None)
        )
    )
    return {(r.item_id, r.warehouse_id): int(r.max_qty) for r in rows}


def settings(conn: Connection, org_id: int) -> Row[Any] | None:
    """The organisation's carrying-cost components (micro-percent), or None: the defaults."""
    return conn.execute(select(kpi_settings).where(kpi_settings.c.org_id == org_id)).first()


def save_settings(conn: Connection, org_id: int, values: dict[str, Any]) -> None:
    stmt = dialect_insert(conn, kpi_settings).values(org_id=org_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["org_id"], set_=values))
