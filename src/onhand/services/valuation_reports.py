"""What the stock is worth and what it cost: inventory value (now or as of any time) by item,
warehouse, category or location; the cost of goods sold by period; the age of the stock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import FACTOR, from_micro
from onhand.domain.valuation import COGS_KINDS, Kind, share
from onhand.domain.valuation_totals import SHRINK_KINDS
from onhand.services import valuation
from onhand.services.common import not_found, utcnow
from onhand.services.sales_orders import warehouse_row
from onhand.store import catalog
from onhand.store import valuation as vstore
from onhand.store import valuation_reports as store
from onhand.store.unit_of_work import Database, UnitOfWork

VALUE_GROUPS = ("item", "warehouse", "category", "location")
COGS_GROUPS = ("total", "item", "category", "warehouse")
PERIODS = ("day", "week", "month")
AGE_BUCKETS = (30, 90, 180)
MAX_DAYS = 3700
# Up to this many periods, figures come from the running totals at their ends (a seek per
# item and scope and end); beyond, from one pass over the entries.
MAX_BOUNDARIES = 60


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report looks at: which scopes (None: all), items and category."""

    scopes: list[int] | None
    item_ids: list[int] | None
    category: str | None
    paths: dict[int, str]


def report_scope(
    uow: UnitOfWork, actor: Actor, warehouse: str | None, sku: str | None, category: str | None
) -> Scope:
    """What a report looks at: the warehouse named (if the actor may), else a restricted
    user's warehouses (not transit), else every scope; the item named; the category."""
    paths = store.scope_paths(uow.conn, actor.org_id)
    scopes: list[int] | None = None
    if warehouse is not None:
        scopes = [warehouse_row(uow, actor, warehouse).id]
    elif actor.warehouse_ids:  # a restricted user: their warehouses, not transit
        scopes = sorted(actor.warehouse_ids)
    item_ids = None
    if sku is not None:
        item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
        if item is None:
            raise not_found("SKU", sku)
        item_ids = [item.id]
    return Scope(scopes, item_ids, category, paths)


def _money(micro: int) -> Decimal:
    return from_micro(micro, 2)


def _check_group(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}", code=f"invalid_{field}")


def inventory_value(
    db: Database,
    actor: Actor,
    *,
    by: str = "item",
    as_of: datetime | None = None,
    warehouse: str | None = None,
    sku: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """The value of the stock, now or as of ``as_of``, by item (and warehouse), warehouse,
    category or location. A location's value is its share of its warehouse's value for the item
    (quantity x the warehouse's unit value): valuation is kept per warehouse."""
    return inventory_values(
        db, actor, (by,), as_of=as_of, warehouse=warehouse, sku=sku, category=category
    )[by]


def inventory_values(
    db: Database,
    actor: Actor,
    groups: Sequence[str],
    *,
    as_of: datetime | None = None,
    warehouse: str | None = None,
    sku: str | None = None,
    category: str | None = None,
) -> dict[str, dict[str, Any]]:
    """``inventory_value`` grouped in several ways at once (a report per grouping), from one
    read of the stock: the groupings add up to the same total, even while postings commit."""
    actor.require(Permission.READ)
    groups = tuple(dict.fromkeys(groups))
    for by in groups:
        _check_group(by, VALUE_GROUPS, "by")
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput("as_of needs a time zone", code="invalid_as_of")
    valuation.catch_up(db, actor.org_id)
    out: dict[str, list[dict[str, Any]]] = {}
    with db.reading() as uow:
        s = report_scope(uow, actor, warehouse, sku, category)
        currency, _ = vstore.settings(uow.conn, actor.org_id)
        kw = {"scopes": s.scopes, "item_ids": s.item_ids, "category": s.category}
        rows = store.values(uow.conn, actor.org_id, as_of=as_of, **kw)
        for by in groups:
            out[by] = (
                _by_location(uow, actor, rows, as_of, kw)
                if by == "location"
                else _grouped(rows, by)
            )
        warnings = _warnings(uow, actor.org_id, currency)
    moment = as_of or utcnow()
    return {
        by: {
            "as_of": moment,
            "currency": currency,
            "by": by,
            "rows": got,
            "total_value": sum(r["value"] for r in got),
            "warnings": warnings,
        }
        for by, got in out.items()
    }


def _grouped(rows: list[Any], by: str) -> list[dict[str, Any]]:
    if by == "item":
        return [
            {
                "sku": r.sku,
                "name": r.name,
                "category": r.category,
                "warehouse": r.scope,
                "quantity": from_micro(r.qty, r.precision),
                "value": _money(r.value),
                "unit_cost": _money(share(r.value, FACTOR, r.qty)) if r.qty > 0 else None,
            }
            for r in rows
        ]
    key = (lambda r: r.scope) if by == "warehouse" else (lambda r: r.category)
    sums: dict[Any, int] = defaultdict(int)
    skus: dict[Any, set[str]] = defaultdict(set)
    for r in rows:
        sums[key(r)] += r.value
        skus[key(r)].add(r.sku)
    return [
        {by: k, "value": _money(v), "items": len(skus[k])}
        for k, v in sorted(sums.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]


def _by_location(
    uow: UnitOfWork, actor: Actor, rows: list[Any], as_of: datetime | None, kw: dict[str, Any]
) -> list[dict[str, Any]]:
    positions = {(r.item_id, r.scope_id): r for r in rows}
    out = []
    for q in store.location_quantities(uow.conn, actor.org_id, as_of=as_of, **kw):
        scope = q.warehouse_id if q.kind == "internal" else q.location_id
        pos = positions.get((q.item_id, scope))
        if pos is None:
            continue
        value = share(pos.value, q.qty, pos.qty) if pos.qty else 0
        out.append(
            {
                "location": q.path,
                "sku": pos.sku,
                "quantity": from_micro(q.qty, pos.precision),
                "value": _money(value),
            }
        )
    return sorted(out, key=lambda r: (r["location"], r["sku"]))


def _warnings(uow: UnitOfWork, org_id: int, currency: str) -> list[str]:
    missing = vstore.currencies_without_rate(uow.conn, org_id, currency)
    return [
        f"items priced in {c} have no {c} exchange rate: their catalogue cost counts as 0 "
        "where valuation falls back on it"
        for c in missing
    ]


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


# The days a report over periods may cover: a period's bounds and the moment before its start
# must be times Python and the databases can hold (years 1 to 9999), with a period to spare.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def check_days(start: date, end: date, what: str) -> None:
    """Refuse (422 date_out_of_range) days a report over periods cannot cover."""
    if start < FIRST_DAY or end > LAST_DAY:
        raise InvalidInput(
            f"{what} covers days from {FIRST_DAY} to {LAST_DAY}", code="date_out_of_range"
        )


def period_starts(start: date, end: date, period: str) -> list[date]:
    """The first day of each period in [start, end], the first one being ``start``."""
    out, day = [start], period_start(start, period)
    while True:
        day = next_period(day, period)
        if day > end:
            return out
        out.append(day)


def next_period(day: date, period: str) -> date:
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7 if period == "week" else 1)


Sums = dict[tuple[date, Any], dict[str, int]]


def _filters_of(s: Scope) -> dict[str, Any]:
    return {"scopes": s.scopes, "item_ids": s.item_ids, "category": s.category}


def _sums_from_totals(
    uow: UnitOfWork,
    org_id: int,
    starts: list[date],
    end: date,
    period: str,
    by: str,
    s: Scope,
) -> Sums:
    """Each period's figures as the difference of the running totals at its two ends."""
    days = [*starts, end + timedelta(days=1)]
    bounds = [datetime.combine(d, time(), UTC) for d in days]
    at: dict[Any, dict[int, Any]] = defaultdict(dict)
    for r in store.totals_at(uow.conn, org_id, bounds, group=by, **_filters_of(s)):
        key = s.paths.get(r.key) if by == "warehouse" else r.key
        at[key][r.k] = r
    sums: Sums = {}
    for key, per in at.items():
        for k, day in enumerate(starts):
            lo, hi = per.get(k), per.get(k + 1)
            sums[(period_start(day, period), key)] = {
                n: int(getattr(hi, n) if hi else 0) - int(getattr(lo, n) if lo else 0)
                for n in ("cogs", "shrinkage", "ppv")
            }
    return sums


def _sums_from_entries(
    uow: UnitOfWork,
    org_id: int,
    start: date,
    end: date,
    period: str,
    by: str,
    s: Scope,
) -> Sums:
    """Each period's figures summed over its entries (many short periods)."""
    rows = store.expenses_by_day(
        uow.conn,
        org_id,
        start=datetime.combine(start, time(), UTC),
        end=datetime.combine(end + timedelta(days=1), time(), UTC),
        **_filters_of(s),
    )
    names = catalog.item_labels(uow.conn, org_id, sorted({r.item_id for r in rows}))
    sums: Sums = defaultdict(lambda: {"cogs": 0, "shrinkage": 0, "ppv": 0})
    for r in rows:
        day = r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day))
        label = names[r.item_id]
        key_of = {
            "total": None,
            "item": label.sku,
            "category": label.category,
            "warehouse": s.paths.get(r.scope_id),
        }
        bucket = sums[(period_start(day, period), key_of[by])]
        kind = Kind(r.kind)
        if kind in COGS_KINDS:
            bucket["cogs"] += int(r.expense)
        elif kind in SHRINK_KINDS:
            bucket["shrinkage"] += int(r.expense)
        elif kind is Kind.PPV:
            bucket["ppv"] += int(r.expense)
    return sums


def cost_of_goods_sold(
    db: Database,
    actor: Actor,
    *,
    start: date,
    end: date,
    period: str = "month",
    by: str = "total",
    warehouse: str | None = None,
    sku: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """The cost of goods sold per period in [start, end] (days, UTC), with the shrinkage (count
    losses and scrap, net of gains) and the purchase price variance beside it."""
    actor.require(Permission.READ)
    _check_group(period, PERIODS, "period")
    _check_group(by, COGS_GROUPS, "by")
    if end < start:
        raise InvalidInput("end is before start", code="invalid_period")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(f"at most {MAX_DAYS} days at once", code="invalid_period")
    check_days(start, end, "the cost of goods sold")
    valuation.catch_up(db, actor.org_id)
    starts = period_starts(start, end, period)
    with db.reading() as uow:
        s = report_scope(uow, actor, warehouse, sku, category)
        currency, _ = vstore.settings(uow.conn, actor.org_id)
        if len(starts) <= MAX_BOUNDARIES:
            sums = _sums_from_totals(uow, actor.org_id, starts, end, period, by, s)
        else:
            sums = _sums_from_entries(uow, actor.org_id, start, end, period, by, s)
    out = []
    for (start_day, key), v in sorted(sums.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if not any(v.values()):
            continue
        row: dict[str, Any] = {"period_start": start_day}
        if by != "total":
            row[by] = key
        row |= {
            "cost_of_goods_sold": _money(v["cogs"]),
            "shrinkage": _money(v["shrinkage"]),
            "purchase_price_variance": _money(v["ppv"]),
        }
        out.append(row)
    return {
        "currency": currency,
        "start": start,
        "end": end,
        "period": period,
        "by": by,
        "rows": out,
        "total": _money(sum(v["cogs"] for v in sums.values())),
    }


def aging(
    db: Database,
    actor: Actor,
    *,
    by: str = "warehouse",
    warehouse: str | None = None,
    sku: str | None = None,
    category: str | None = None,
    buckets: tuple[int, ...] = AGE_BUCKETS,
) -> dict[str, Any]:
    """The stock held now by days since it was received (0-30, 31-90, 91-180, over 180 by
    default), from the open cost layers: each layer's quantity and its share of the book value.
    Stock keeps its receipt date when moved between warehouses."""
    actor.require(Permission.READ)
    _check_group(by, ("total", "item", "category", "warehouse"), "by")
    if not buckets or list(buckets) != sorted(set(buckets)) or buckets[0] < 1:
        raise InvalidInput("buckets must be increasing whole days", code="invalid_buckets")
    valuation.catch_up(db, actor.org_id)
    now = utcnow()
    labels = [*_bucket_labels(buckets)]
    with db.reading() as uow:
        s = report_scope(uow, actor, warehouse, sku, category)
        currency, _ = vstore.settings(uow.conn, actor.org_id)
        rows = store.open_layers(
            uow.conn, actor.org_id, scopes=s.scopes, item_ids=s.item_ids, category=s.category
        )
    layer_totals: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows:
        layer_totals[(r.item_id, r.scope_id)] += r.value
    sums: dict[Any, list[int]] = defaultdict(lambda: [0] * len(labels))
    for r in rows:
        age = (now - r.received_at).days
        n = next((i for i, top in enumerate(buckets) if age <= top), len(buckets))
        key = {"total": None, "item": r.sku, "category": r.category, "warehouse": r.scope}[by]
        sums[key][n] += _layer_share(r, layer_totals[(r.item_id, r.scope_id)])
    out = []
    for key, values in sorted(sums.items(), key=lambda kv: str(kv[0])):
        row: dict[str, Any] = {} if by == "total" else {by: key}
        row["buckets"] = {label: _money(v) for label, v in zip(labels, values, strict=True)}
        row["value"] = _money(sum(values))
        out.append(row)
    return {"as_of": now, "currency": currency, "by": by, "buckets": labels, "rows": out}


def _layer_share(r: Any, layers_value: int) -> int:
    """A layer's part of its position's book value: its own cost where the book is the layers'
    (fifo, lifo), else its share by quantity (average, standard: every unit at the same cost)."""
    if layers_value == r.position_value:
        return int(r.value)
    return share(r.position_value, r.qty, r.position_qty) if r.position_qty > 0 else 0


def _bucket_labels(buckets: tuple[int, ...]) -> list[str]:
    labels, low = [], 0
    for top in buckets:
        labels.append(f"{low}-{top}")
        low = top + 1
    labels.append(f"over {buckets[-1]}")
    return labels
