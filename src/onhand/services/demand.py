"""Demand history from the ledger, per item and location (a location and everything below it):
net demand (sales, scrap, less returns) in day, week or month buckets, with the days the item was
out of stock there, so that lost sales do not read as low demand (see docs/replenishment.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from onhand.domain.access import Actor, Permission
from onhand.domain.demand import Bucket, check_range, parse_bucket
from onhand.domain.errors import InvalidInput
from onhand.domain.items import ItemRef
from onhand.domain.quantities import SCALE, from_micro
from onhand.planning import history
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


def _stock_scope(conn: Any, actor: Actor, location: str) -> Any:
    """The location row of a scope the actor may read, or the matching error."""
    loc = sites.location_by_path(conn, actor.org_id, location)
    if loc is None:
        raise not_found("location", location)
    if loc.kind not in demand.STOCK_KINDS:
        raise InvalidInput(
            f"{location} is not a stock location: demand is read at stock locations",
            code="not_a_stock_location",
        )
    actor.require_warehouse(loc.warehouse_id, loc.path)
    return loc


@dataclass(frozen=True, slots=True)
class DemandMatrix:
    """Demand history of many items at one scope as arrays, one row per item: net demand in
    item units (float) and days out of stock per bucket, with the buckets' first days and their
    days inside [start, end]."""

    location: str  # the scope's path
    bucket: Bucket
    start: date
    end: date
    starts: list[date]  # first day of each bucket
    days: np.ndarray  # (b,) int: days of each bucket inside [start, end]
    item_ids: np.ndarray  # (n,) int64
    skus: list[str]  # (n,)
    precisions: np.ndarray  # (n,) int
    qty: np.ndarray  # (n, b) float64, net demand in item units (not micro-units)
    stockout_days: np.ndarray  # (n, b) int


@dataclass(frozen=True, slots=True)
class _Exact:
    """The matrix with demand in micro-units (int64), for answers in Decimal."""

    location: str
    bucket: Bucket
    start: date
    end: date
    refs: list[ItemRef]
    cut: history.Buckets
    micro: np.ndarray  # (n, b) int64
    stockout_days: np.ndarray  # (n, b) int64


def _exact(
    db: Database,
    actor: Actor,
    location: str,
    bucket: str,
    start: date | None,
    end: date | None,
    skus: list[str] | None,
) -> _Exact:
    actor.require(Permission.READ)
    kind = parse_bucket(bucket)
    start, end = _range(start, end)
    if skus is not None and not skus:
        raise InvalidInput("name at least one SKU", code="no_items")
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    with db.reading() as uow:
        conn, org = uow.conn, actor.org_id
        loc = _stock_scope(conn, actor, location)
        wanted: list[int] | None = None
        if skus is not None:
            asked = catalog.item_refs_by_sku(conn, org, skus)
            missing = [s for s in skus if s not in asked]
            if missing:
                raise not_found("SKU", missing[0])
            wanted = sorted({r.id for r in asked.values()})
        stock, outward = demand.scope_location_ids(conn, org, loc.path)
        opening = demand.scope_opening(conn, org, stock, since, wanted)
        raw = demand.scope_instants(conn, org, stock, outward, since, until, wanted)
        if skus is None:
            # Every active item that ever moved in or out of the scope up to the range's end.
            seen = sorted({i for i, _ in opening} | {r[0] for r in raw})
            found = catalog.active_item_refs(conn, org, seen)
            refs = sorted(found, key=lambda r: r.sku)
    if skus is not None:
        refs = [asked[s] for s in skus]
    ids = np.array(sorted({r.id for r in refs}), dtype=np.int64)
    cut = history.buckets(kind, start, end)
    rows = history.day_rows(raw, ids)
    first = np.zeros(len(ids), dtype=np.int64)
    if opening:
        got = np.array(opening, dtype=np.int64)
        pos = np.searchsorted(ids, got[:, 0])
        ok = pos < len(ids)
        ok[ok] = ids[pos[ok]] == got[ok, 0]
        first[pos[ok]] = got[ok, 1]
    micro = history.demand_by_bucket(rows, len(ids), cut)
    outs = history.stockout_days(first, rows, cut)
    # One row per item asked, in order (an SKU asked twice gets two rows).
    take = np.searchsorted(ids, np.array([r.id for r in refs], dtype=np.int64))
    return _Exact(loc.path, kind, start, end, refs, cut, micro[take], outs[take])


def demand_matrix(
    db: Database,
    actor: Actor,
    location: str,
    bucket: str = "week",
    start: date | None = None,
    end: date | None = None,
    skus: list[str] | None = None,
) -> DemandMatrix:
    """Demand history of every item at one location and everything below it, as matrices
    (items x buckets) of net demand and out-of-stock days over [start, end] (UTC days; default
    the last 364 days to today). ``skus`` None means every active item that has moved in or out
    of the scope up to the end of the range, ordered by SKU; else the items asked, in order.
    Same rules as :func:`demand_histories`, from two grouped passes over the ledger whatever the
    number of items (see docs/replenishment.md)."""
    got = _exact(db, actor, location, bucket, start, end, skus)
    scale = float(10**SCALE)
    return DemandMatrix(
        location=got.location,
        bucket=got.bucket,
        start=got.start,
        end=got.end,
        starts=got.cut.starts,
        days=got.cut.days,
        item_ids=np.array([r.id for r in got.refs], dtype=np.int64),
        skus=[r.sku for r in got.refs],
        precisions=np.array([r.precision for r in got.refs], dtype=np.int64),
        qty=got.micro / scale,
        stockout_days=got.stockout_days,
    )


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
    today): one series per SKU, in the order asked, quantities exact (Decimal)."""
    if len(skus) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items per question", code="too_many_items")
    got = _exact(db, actor, location, bucket, start, end, skus)
    starts, days = got.cut.starts, [int(x) for x in got.cut.days]
    series = [
        DemandSeries(
            sku=ref.sku,
            uom=ref.uom,
            starts=starts,
            qty=[from_micro(int(q), ref.precision) for q in qty],
            days=days,
            stockout_days=[int(x) for x in outs],
        )
        for ref, qty, outs in zip(got.refs, got.micro, got.stockout_days, strict=True)
    ]
    return DemandHistories(got.location, got.bucket, got.start, got.end, series)


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
