"""Inventory KPIs per organisation, warehouse, category or item over any period: turnover and
days of inventory, fill and backorder rates, stockouts, carrying cost, GMROI, sell-through,
dead and excess stock, stock accuracy. Each comes with the inputs it was computed from, so a
person can check it (docs/kpis.md has every formula).

The database sums the ledger per item and scope (store.kpis, set operations only); this
module adds those sums up per group and applies the formulas of domain.kpis.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from onhand.domain import kpis as f
from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import FACTOR
from onhand.services import count_reports, kpi_settings, valuation
from onhand.services.common import utcnow
from onhand.services.valuation_reports import report_scope
from onhand.store import catalog
from onhand.store import kpis as store
from onhand.store import valuation as vstore
from onhand.store.unit_of_work import Database

GROUPS = ("org", "warehouse", "category", "item")
MAX_DAYS = 3660
MONEY = Decimal("0.01")
RATIO = Decimal("0.0001")


@dataclass(slots=True)
class Sums:
    """What one group adds up: money in micro-units, quantities in micro-units, counts."""

    open_v: int = 0
    close_v: int = 0
    weighted_v: int = 0
    cogs: int = 0
    open_q: int = 0
    close_q: int = 0
    sold: int = 0
    received: int = 0
    revenue: Decimal = Decimal(0)
    priced_cost: int = 0
    stockout_days: int = 0
    stocked_days: int = 0
    dead_v: int = 0
    excess_v: int = 0
    lines: int = 0
    units: int = 0
    shipped: int = 0
    complete: int = 0
    back_lines: int = 0
    back_units: int = 0
    items: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Query:
    """A checked request: the period, the grouping and what it is limited to."""

    start: date
    end: date
    by: str
    dead_days: int
    cover_days: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def dead_from(self) -> date:
        return date.fromordinal(self.end.toordinal() - self.dead_days + 1)


def _check(start: date, end: date, by: str, dead_days: int, cover_days: int) -> Query:
    if by not in GROUPS:
        raise InvalidInput(f"by must be one of {', '.join(GROUPS)}", code="invalid_by")
    if end < start:
        raise InvalidInput("end is before start", code="invalid_period")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"a period covers at most {MAX_DAYS} days", code="invalid_period")
    if end > utcnow().date():
        raise InvalidInput(
            "end is in the future: KPIs cover days that have ended or are under way",
            code="invalid_period",
        )
    f.check_days(dead_days, "dead_days")
    f.check_days(cover_days, "cover_days")
    return Query(start, end, by, dead_days, cover_days)


def kpis(
    db: Database,
    actor: Actor,
    *,
    start: date,
    end: date,
    by: str = "org",
    warehouse: str | None = None,
    category: str | None = None,
    sku: str | None = None,
    dead_days: int = f.DEFAULT_DEAD_DAYS,
    cover_days: int = f.DEFAULT_COVER_DAYS,
) -> dict[str, Any]:
    """Every KPI over [start, end] (whole UTC days) per organisation, warehouse, category or
    item, limited to a warehouse, category or SKU if given (a restricted user: their
    warehouses), each with its inputs; the organisation's totals beside the rows."""
    actor.require(Permission.READ)
    q = _check(start, end, by, dead_days, cover_days)
    valuation.catch_up(db, actor.org_id)
    with db.reading() as uow:
        found = report_scope(uow, actor, warehouse, sku, category)
        scopes, item_ids, paths = found.scopes, found.item_ids, found.paths
        kw: dict[str, Any] = {"item_ids": item_ids, "category": category}
        org = actor.org_id
        pairs = store.ledger(
            uow.conn, org, start=q.start, end=q.end, dead_from=q.dead_from, scopes=scopes, **kw
        )
        lines = store.order_lines(uow.conn, org, start=q.start, end=q.end, warehouses=scopes, **kw)
        issues = store.priced_issues(uow.conn, org, start=q.start, end=q.end, scopes=scopes, **kw)
        maxima = store.policy_max(uow.conn, org)
        rates, defaults = kpi_settings.rates_of(uow, org)
        currency, _ = vstore.settings(uow.conn, org)
        ids = {r.item_id for r in lines} | {r.item_id for r in issues}
        labels = catalog.item_labels(uow.conn, org, sorted(ids))
    # Counts are measured per warehouse and class, not per category or item.
    accuracy: dict[str, Any] | None = None
    if category is None and sku is None:
        accuracy = count_reports.accuracy(
            db, actor, period="month", since=q.start, until=q.end, warehouse=warehouse
        )
    groups: dict[Any, Sums] = defaultdict(Sums)
    total = Sums()

    def key_of(item_id: int, scope_id: int, sku: str, cat: str | None) -> Any:
        return {"org": None, "warehouse": paths.get(scope_id), "category": cat, "item": sku}[by]

    for r in pairs:
        if _idle(r):
            continue
        for s in (groups[key_of(r.item_id, r.scope_id, r.sku, r.category)], total):
            _add_pair(s, r, q, maxima)
    for r in lines:
        lab = labels[r.item_id]
        for s in (groups[key_of(r.item_id, r.warehouse_id, lab.sku, lab.category)], total):
            _add_lines(s, r)
    for r in issues:
        lab = labels[r.item_id]
        for s in (groups[key_of(r.item_id, r.scope_id, lab.sku, lab.category)], total):
            _add_issue(s, r)
    by_wh = {w["warehouse"]: w for w in accuracy["by_warehouse"]} if accuracy else {}
    rows = []
    for key in sorted(groups, key=lambda k: (k is None, k or "")):
        row: dict[str, Any] = {} if by == "org" else {_KEY_FIELD[by]: key}
        acc = by_wh.get(key) if by == "warehouse" else accuracy if by == "org" else None
        rows.append(row | _row(groups[key], q, rates.total, acc))
    return {
        "start": q.start,
        "end": q.end,
        "days": q.days,
        "by": by,
        "currency": currency,
        "dead_days": q.dead_days,
        "cover_days": q.cover_days,
        "carrying_rates": kpi_settings.settings_out(rates, defaults),
        "rows": rows,
        "total": _row(total, q, rates.total, accuracy),
    }


# Columns of a ledger row of which one is not zero when the item was held or moved.
_ACTIVITY = (
    *("open_q", "open_v", "close_q", "close_v", "weighted_v", "cogs", "sold", "received"),
    *("tin", "outbound", "cut_q", "stocked_days"),
)
_KEY_FIELD = {"warehouse": "warehouse", "category": "category", "item": "sku"}


def _idle(r: Any) -> bool:
    """Held nothing and moved nothing in the period (an item sold out long ago)."""
    return not any(int(getattr(r, n)) for n in _ACTIVITY)


def _add_pair(s: Sums, r: Any, q: Query, maxima: dict[tuple[int, int], int]) -> None:
    """One item in one scope: its values, flows, stockouts, dead and excess stock."""
    close_q, close_v = int(r.close_q), int(r.close_v)
    s.open_v += int(r.open_v)
    s.close_v += close_v
    s.weighted_v += int(r.weighted_v)
    s.cogs += int(r.cogs)
    s.open_q += int(r.open_q)
    s.close_q += close_q
    s.sold += int(r.sold)
    # By warehouse, stock transferred in is what the warehouse received; across warehouses a
    # transfer only moves stock the organisation already had.
    s.received += int(r.received) + (int(r.tin) if q.by == "warehouse" else 0)
    s.items.add(r.item_id)
    if r.scope_kind != "internal":  # transit: valued, but never out of stock, dead or excess
        return
    s.stocked_days += int(r.stocked_days)
    s.stockout_days += int(r.stockout_days)
    dead = f.dead_quantity(close_q, int(r.cut_q), int(r.recent_out))
    s.dead_v += f.part_of_value(close_v, dead, close_q)
    limit = maxima.get((r.item_id, r.scope_id))
    if limit is None:
        limit = f.cover_limit(int(r.outbound), q.days, q.cover_days)
    s.excess_v += f.part_of_value(close_v, f.excess_quantity(close_q, limit), close_q)


def _add_lines(s: Sums, r: Any) -> None:
    s.lines += int(r.lines)
    s.units += int(r.units)
    s.shipped += int(r.shipped)
    s.complete += int(r.complete)
    s.back_lines += int(r.back_lines)
    s.back_units += int(r.back_units)


def _add_issue(s: Sums, r: Any) -> None:
    if r.price is None:  # counted in the COGS without a price
        return
    s.priced_cost += int(r.cost)
    s.revenue += Decimal(-int(r.qty)) * Decimal(int(r.price)) / FACTOR


def _money(micro: int | Decimal) -> Decimal:
    return (Decimal(micro) / FACTOR).quantize(MONEY, ROUND_HALF_UP)


def _units(micro: int) -> Decimal:
    d = Decimal(micro).scaleb(-6)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _round(value: Decimal | None, places: Decimal) -> Decimal | None:
    return None if value is None else value.quantize(places, ROUND_HALF_UP)


def _kpi(value: Decimal | None, places: Decimal, formula: str, **inputs: Any) -> dict[str, Any]:
    return {"value": _round(value, places), "formula": formula, "inputs": inputs}


def _row(s: Sums, q: Query, rate: Decimal, accuracy: dict[str, Any] | None) -> dict[str, Any]:
    """The KPIs of one group from its sums."""
    avg = f.average_value(s.open_v, s.weighted_v, q.days) / FACTOR
    avg_m = avg.quantize(MONEY, ROUND_HALF_UP)
    cogs = _money(s.cogs)
    revenue = s.revenue / FACTOR
    sold, opening, received = (Decimal(x) / FACTOR for x in (s.sold, s.open_q, s.received))
    out = {
        "items": len(s.items),
        "opening_value": _money(s.open_v),
        "closing_value": _money(s.close_v),
        "average_inventory_value": avg_m,
        "cost_of_goods_sold": cogs,
        "turnover": _kpi(
            f.turnover(Decimal(s.cogs) / FACTOR, avg),
            RATIO,
            "cost_of_goods_sold / average_inventory_value",
            cost_of_goods_sold=cogs,
            average_inventory_value=avg_m,
        ),
        "days_of_inventory": _kpi(
            f.days_of_inventory(q.days, Decimal(s.cogs) / FACTOR, avg),
            MONEY,
            "average_inventory_value / cost_of_goods_sold x days",
            average_inventory_value=avg_m,
            cost_of_goods_sold=cogs,
            days=q.days,
        ),
        "fill_rate_by_unit": _kpi(
            f.fill_rate_by_unit(s.shipped, s.units),
            MONEY,
            "units_shipped / units_ordered x 100",
            units_shipped=_units(s.shipped),
            units_ordered=_units(s.units),
        ),
        "fill_rate_by_line": _kpi(
            f.fill_rate_by_line(s.complete, s.lines),
            MONEY,
            "lines_shipped_complete / lines x 100",
            lines_shipped_complete=s.complete,
            lines=s.lines,
        ),
        "backorder_rate_by_line": _kpi(
            f.backorder_rate(s.back_lines, s.lines),
            MONEY,
            "lines_backordered / lines x 100",
            lines_backordered=s.back_lines,
            lines=s.lines,
        ),
        "backorder_rate_by_unit": _kpi(
            f.backorder_rate(s.back_units, s.units),
            MONEY,
            "units_backordered / units_ordered x 100",
            units_backordered=_units(s.back_units),
            units_ordered=_units(s.units),
        ),
        "stockout_rate": _kpi(
            f.stockout_rate(s.stockout_days, s.stocked_days),
            MONEY,
            "stockout_days / stocked_days x 100",
            stockout_days=s.stockout_days,
            stocked_days=s.stocked_days,
        ),
        "stockout_days": s.stockout_days,
        "carrying_cost": _kpi(
            f.carrying_cost(avg, rate, q.days),
            MONEY,
            "average_inventory_value x rate_pct / 100 x days / 365",
            average_inventory_value=avg_m,
            rate_pct=rate,
            days=q.days,
        ),
        "gmroi": _kpi(
            f.gmroi(revenue, _money(s.priced_cost), avg) if revenue or s.priced_cost else None,
            RATIO,
            "(revenue - cost_of_priced_sales) / average_inventory_value",
            revenue=revenue.quantize(MONEY, ROUND_HALF_UP),
            cost_of_priced_sales=_money(s.priced_cost),
            cogs_without_price=_money(s.cogs - s.priced_cost),
            average_inventory_value=avg_m,
        ),
        "sell_through": _kpi(
            f.sell_through(sold, opening, received),
            MONEY,
            "units_sold / (opening_units + units_received) x 100",
            units_sold=_units(s.sold),
            opening_units=_units(s.open_q),
            units_received=_units(s.received),
        ),
        "dead_stock_value": _money(s.dead_v),
        "excess_stock_value": _money(s.excess_v),
        "stock_accuracy": None,
    }
    if accuracy is not None:
        out["stock_accuracy"] = _kpi(
            None if accuracy["accuracy_pct"] is None else Decimal(accuracy["accuracy_pct"]),
            MONEY,
            "records_within_tolerance / records_counted x 100",
            records_within_tolerance=accuracy["within"],
            records_counted=accuracy["counted"],
        )
    return out
