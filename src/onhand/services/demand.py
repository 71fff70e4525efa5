"""Demand history from the ledger, per item and location (a location and everything below it):
net demand (sales, scrap, less returns) in day, week or month buckets, with the days the item was
out of stock there, so that lost sales do not read as low demand (see docs/replenishment.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.demand import (
    Bucket,
    DayLedger,
    DemandPoint,
    build_series,
    check_range,
    parse_bucket,
    stockout_days,
)
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro
from onhand.services.common import not_found, utcnow
from onhand.store import catalog, demand, sites
from onhand.store.unit_of_work import Database

MAX_ITEMS = 1000
DEFAULT_DAYS = 364


@dataclass(frozen=True, slots=True)
class DemandSeries:
    """One item's history, as parallel arrays ready for a forecasting model: bucket starts, net
    demand (Decimal in the item's precision), days of each bucket in the range, and days out of
    stock."""

    sku: str
    uom: str
    starts: list[date]
    qty: list[Decimal]
    days: list[int]
    stockout_days: list[int]


@dataclass(frozen=True, slots=True)
class DemandHistories:
    """The answer of the bulk form: where, how bucketed, over which days, one series per SKU."""

    location: str
    bucket: Bucket
    start: date
    end: date
    series: list[DemandSeries]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    end = end if end is not None else utcnow().date()
    start = start if start is not None else end - timedelta(days=DEFAULT_DAYS - 1)
    check_range(start, end)
    return start, end


def demand_histories(
    db: Database,
    actor: Actor,
    location: str,
    skus: list[str],
    bucket: str = "week",
    start: date | None = None,
    end: date | None = None,
) -> DemandHistories:
    """Demand history of up to MAX_ITEMS items at one location and everything below it (a
    warehouse, an area, a bin) over [start, end] (UTC days; default the last 364 days to
    today): one series per SKU, in the order asked."""
    actor.require(Permission.READ)
    kind = parse_bucket(bucket)
    start, end = _range(start, end)
    if not skus:
        raise InvalidInput("name at least one SKU", code="no_items")
    if len(skus) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items per question", code="too_many_items")
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    with db.reading() as uow:
        conn, org = uow.conn, actor.org_id
        loc = sites.location_by_path(conn, org, location)
        if loc is None:
            raise not_found("location", location)
        if loc.kind not in demand.STOCK_KINDS:
            raise InvalidInput(
                f"{location} is not a stock location: demand is read at stock locations",
                code="not_a_stock_location",
            )
        actor.require_warehouse(loc.warehouse_id, loc.path)
        refs = catalog.item_refs_by_sku(conn, org, skus)
        missing = [s for s in skus if s not in refs]
        if missing:
            raise not_found("SKU", missing[0])
        ids = sorted({r.id for r in refs.values()})
        qty: dict[int, dict[date, int]] = defaultdict(dict)
        for r in demand.demand_by_bucket(conn, org, ids, loc.path, kind, since, until):
            qty[r.item_id][r.start] = int(r.qty)
        opening = demand.on_hand_before(conn, org, ids, loc.path, since)
        ledger: dict[int, dict[date, DayLedger]] = defaultdict(dict)
        for r in demand.daily_balance_moves(conn, org, ids, loc.path, since, until):
            ledger[r.item_id][r.day] = DayLedger(low=int(r.low), net=int(r.net))
    series = []
    for sku in skus:
        ref = refs[sku]
        out = stockout_days(opening.get(ref.id, 0), ledger[ref.id], start, end)
        points = build_series(kind, start, end, qty[ref.id], out)
        series.append(_arrays(sku, ref.uom, ref.precision, points))
    return DemandHistories(loc.path, kind, start, end, series)


def _arrays(sku: str, uom: str, precision: int, points: list[DemandPoint]) -> DemandSeries:
    return DemandSeries(
        sku=sku,
        uom=uom,
        starts=[p.start for p in points],
        qty=[from_micro(p.qty, precision) for p in points],
        days=[p.days for p in points],
        stockout_days=[p.stockout_days for p in points],
    )


def demand_history(
    db: Database,
    actor: Actor,
    sku: str,
    location: str,
    bucket: str = "week",
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Demand history of one item at a location and everything below it, one row per bucket:
    its first day, days in the range, net demand, days out of stock and whether it was out of
    stock at all in it."""
    got = demand_histories(db, actor, location, [sku], bucket, start, end)
    (s,) = got.series
    return {
        "sku": s.sku,
        "uom": s.uom,
        "location": got.location,
        "bucket": got.bucket.value,
        "start": got.start,
        "end": got.end,
        # A range has at least one day, so at least one bucket to take the precision from.
        "total": sum(s.qty, Decimal(0)).quantize(s.qty[0]),
        "series": [
            {
                "start": first,
                "days": n,
                "qty": q,
                "stockout_days": outs,
                "out_of_stock": outs > 0,
            }
            for first, n, q, outs in zip(s.starts, s.days, s.qty, s.stockout_days, strict=True)
        ],
    }
