"""Reads for the KPIs, as set operations: grouping passes over the valuation entries (per item
and scope; per item, scope and day over the period, with the running stock level by a window
function), one over the order lines due in the period, one over the period's shipments of sales
orders and their issues (for the revenue), and the small settings and policy tables.

Days are whole UTC days numbered from 1970-01-01 (``day_number``) so both databases subtract
them as integers.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, Row, and_, case, cast, func, literal, select

from onhand.domain.valuation import COGS_KINDS, Kind
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

EPOCH = date(1970, 1, 1)
SOLD_KINDS = (Kind.ISSUE.value, Kind.CUSTOMER_RETURN.value)
OUT_KINDS = (Kind.ISSUE.value, Kind.TRANSFER_OUT.value)


def day_index(day: date) -> int:
    """The number of a UTC day, as ``day_number`` computes it in the database."""
    return (day - EPOCH).days


def day_number(conn: Connection, column: Any) -> Any:
    """The UTC day of a stored time as an integer (days since 1970-01-01)."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 86400), Integer)
    return cast(func.julianday(func.date(column)) - 2440587.5, Integer)


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
    """Per item and scope (warehouse or transit) holding stock now or moving since
    min(start, dead_from): the position now, the quantity and value at the start, the period's
    net value weighted by the days it was held, cost of goods sold, units sold, received,
    transferred in and sent out, units sent out since ``dead_from``, the quantity held before
    ``dead_from``, and the days in [start, end] it was carried (from the start if it opened with stock, else
    from the first day that ended with some) and those of them that ended with nothing.

    Two grouping passes over the valuation entries, both through the index (org_id, at): per
    item and scope (narrow groups, so the hash aggregate stays in memory), and per item, scope
    and day over the period only, for the running stock level. The first reads the entries
    from min(start, dead_from) on and takes the stock at each boundary as the position now less
    what changed since; or, when the history before the period is the shorter side, the entries
    up to the end, summing what changed before each boundary."""
    e = valuation_entries.c
    s, t = day_index(start), day_index(end)
    lo, after = midnight(min(start, dead_from)), midnight(end + timedelta(days=1))
    since_start, since_cut = e.at >= midnight(start), e.at >= midnight(dead_from)
    in_period = and_(since_start, e.at < after)
    backward = _history_before_is_shorter(conn, org_id, lo, after)

    def when(cond: Any, col: Any) -> Any:
        return func.coalesce(func.sum(case((cond, col), else_=0)), 0)

    def changes(at: datetime, col: Any) -> Any:
        """What changed before ``at`` (backward) or from ``at`` on (forward)."""
        return when(e.at < at if backward else e.at >= at, col)

    def kinds(*names: str) -> Any:
        return e.kind.in_(list(names))

    cogs = kinds(*(k.value for k in COGS_KINDS))
    filters = (e.org_id == org_id, _in(e.scope_id, scopes), _in(e.item_id, item_ids))
    agg = (
        select(
            e.item_id,
            e.scope_id,
            changes(midnight(start), e.qty).label("start_q"),
            changes(midnight(start), e.value).label("start_v"),
            changes(after, e.qty).label("end_q"),
            changes(after, e.value).label("end_v"),
            changes(midnight(dead_from), e.qty).label("cut_q"),
            # A change on day d counts in the end-of-day values of days d..end.
            when(in_period, e.value * (t + 1 - day_number(conn, e.at))).label("weighted_v"),
            when(in_period & cogs, e.expense).label("cogs"),
            when(in_period & kinds(*SOLD_KINDS), e.qty).label("sold"),
            when(in_period & kinds(Kind.RECEIPT.value), e.qty).label("received"),
            when(in_period & kinds(Kind.TRANSFER_IN.value), e.qty).label("tin"),
            when(in_period & kinds(*OUT_KINDS), e.qty).label("outq"),
            when(since_cut & (e.at < after) & kinds(*OUT_KINDS), e.qty).label("recent_outq"),
        )
        .where(*filters, e.at < after if backward else e.at >= lo)
        .group_by(e.item_id, e.scope_id)
        .cte("agg")
    )
    d = day_number(conn, e.at)
    daily = (
        select(e.item_id, e.scope_id, d.label("d"), func.sum(e.qty).label("dq"))
        .where(*filters, in_period)
        .group_by(e.item_id, e.scope_id, d)
        .cte("daily")
    )
    dc = daily.c
    p, a = valuation_positions.c, agg.c

    def held(now: Any, changed: Any) -> Any:
        """The stock at a boundary: what changed before it, or what is held now less what
        changed since."""
        return func.coalesce(changed, 0) if backward else now - func.coalesce(changed, 0)

    pairs = (
        select(
            p.item_id,
            p.scope_id,
            p.qty,
            p.value,
            held(p.qty, a.start_q).label("open_q"),
            held(p.value, a.start_v).label("open_v"),
            held(p.qty, a.end_q).label("close_q"),
            held(p.value, a.end_v).label("close_v"),
            held(p.qty, a.cut_q).label("cut_q"),
            func.coalesce(a.weighted_v, 0).label("weighted_v"),
            func.coalesce(a.cogs, 0).label("cogs"),
            (literal(0) - func.coalesce(a.sold, 0)).label("sold"),
            func.coalesce(a.received, 0).label("received"),
            func.coalesce(a.tin, 0).label("tin"),
            (literal(0) - func.coalesce(a.outq, 0)).label("outbound"),
            (literal(0) - func.coalesce(a.recent_outq, 0)).label("recent_out"),
        )
        .select_from(valuation_positions)
        .outerjoin(agg, (a.item_id == p.item_id) & (a.scope_id == p.scope_id))
        .join(items, items.c.id == p.item_id)
        .where(p.org_id == org_id, _in(p.scope_id, scopes), _in(p.item_id, item_ids))
    )
    if category is not None:
        pairs = pairs.where(items.c.category == category)
    pairs_cte = pairs.cte("pairs")
    pc = pairs_cte.c
    part, order = (dc.item_id, dc.scope_id), dc.d
    levels = (
        select(
            dc.item_id,
            dc.scope_id,
            dc.d,
            (pc.open_q + func.sum(dc.dq).over(partition_by=part, order_by=order)).label("level"),
            func.lead(dc.d, 1, t + 1).over(partition_by=part, order_by=order).label("next_d"),
        )
        .join(pairs_cte, (pc.item_id == dc.item_id) & (pc.scope_id == dc.scope_id))
        .cte("levels")
    )
    lv = levels.c
    outs = (
        select(
            lv.item_id,
            lv.scope_id,
            func.sum(case((lv.level <= 0, lv.next_d - lv.d), else_=0)).label("out_days"),
            func.min(lv.d).label("first_d"),
            func.min(case((lv.level > 0, lv.d), else_=None)).label("first_stocked"),
        )
        .group_by(lv.item_id, lv.scope_id)
        .cte("outs")
    )
    o = outs.c
    # Carried from the start when it opened with stock, else from the first day that ended
    # with some: a warehouse that did not have the item yet is not out of it. The days before
    # that first day all ended at zero or below, so they come off the stockout days.
    opened = pc.open_q > 0
    stocked_days = case(
        (opened, t - s + 1),
        (o.first_stocked.is_not(None), t + 1 - o.first_stocked),
        else_=0,
    )
    stockout_days = case(
        (opened, func.coalesce(o.out_days, 0)),
        (o.first_stocked.is_not(None), o.out_days - (o.first_stocked - o.first_d)),
        else_=0,
    )
    q = (
        select(
            pairs_cte,
            items.c.sku,
            items.c.category,
            items.c.precision,
            locations.c.path.label("scope"),
            locations.c.kind.label("scope_kind"),
            stockout_days.label("stockout_days"),
            stocked_days.label("stocked_days"),
        )
        .select_from(pairs_cte)
        .outerjoin(outs, (o.item_id == pc.item_id) & (o.scope_id == pc.scope_id))
        .join(items, items.c.id == pc.item_id)
        .join(locations, locations.c.id == pc.scope_id)
    )
    return list(conn.execute(q))


def _history_before_is_shorter(
    conn: Connection, org_id: int, lo: datetime, after: datetime
) -> bool:
    """Whether fewer days of entries lie before ``lo`` than after ``after`` (a past period):
    then reading up to the period's end is the shorter scan."""
    first = conn.execute(
        select(func.min(valuation_entries.c.at)).where(valuation_entries.c.org_id == org_id)
    ).scalar()
    if first is None:
        return False
    return bool(lo - first < datetime.now(UTC) - after)


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
