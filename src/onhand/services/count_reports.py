"""Count reports: inventory accuracy (records within tolerance / records counted) per period,
warehouse and class with its trend, and the value of the variances.

A record is a count line; it is measured by its first count (before any recount), as the
usual definition has it: a recount that finds the book right after all does not make the
first count accurate.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.counting import (
    CLASSES,
    PERIODS,
    AccuracyPoint,
    accuracy_series,
    check_day,
    trend,
)
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro
from onhand.services.common import not_found, utcnow
from onhand.store import counting, sites
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_DAYS = 3660


def _range(since: date | None, until: date | None, default_days: int) -> tuple[date, date]:
    end = check_day(until or utcnow().date(), "to")
    start = check_day(since or end - timedelta(days=default_days - 1), "from")
    if start > end:
        raise InvalidInput("from must not be after to", code="invalid_range")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_DAYS} days", code="invalid_range")
    return start, end


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
    )


def _path(uow: UnitOfWork, org_id: int, location_id: int) -> str:
    loc = sites.location_by_id(uow.conn, org_id, location_id)
    return "?" if loc is None else str(loc.path)


def _summary(points: list[AccuracyPoint]) -> dict[str, Any]:
    total = AccuracyPoint(
        period=date.min,
        counted=sum(p.counted for p in points),
        within=sum(p.within for p in points),
    )
    return {
        "counted": total.counted,
        "within": total.within,
        "accuracy_pct": total.accuracy if total.counted else None,
        "trend_pct_per_period": trend(points),
        "series": [
            {
                "period": p.period,
                "counted": p.counted,
                "within": p.within,
                "accuracy_pct": p.accuracy,
            }
            for p in points
        ],
    }


def accuracy(
    db: Database,
    actor: Actor,
    *,
    period: str = "week",
    since: date | None = None,
    until: date | None = None,
    warehouse: str | None = None,
    abc: str | None = None,
) -> dict[str, Any]:
    """Inventory accuracy over [since, until] (default: the last 90 days), overall and per
    warehouse and class, each with its series per period and the series' trend."""
    actor.require(Permission.READ)
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}", code="invalid_period")
    if abc is not None and abc not in CLASSES:
        raise InvalidInput("class must be A, B or C", code="invalid_class")
    start, end = _range(since, until, 90)
    with db.reading() as uow:
        warehouse_id = None
        if warehouse is not None:
            loc = sites.location_by_path(uow.conn, actor.org_id, warehouse)
            if loc is None or loc.warehouse_id != loc.id:
                raise not_found("warehouse", warehouse)
            actor.require_warehouse(loc.id, loc.path)
            warehouse_id = loc.id
        rows = [
            r
            for r in counting.first_counts_per_day(
                uow.conn, actor.org_id, *_bounds(start, end), warehouse_id=warehouse_id, abc=abc
            )
            if actor.may_touch_warehouse(r.warehouse_id)
        ]
        paths = {w: _path(uow, actor.org_id, w) for w in {r.warehouse_id for r in rows}}
    overall: list[tuple[date, int, int]] = []
    per_wh: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    per_class: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for r in rows:
        point = (counting.as_date(r.day), int(r.counted), int(r.within))
        overall.append(point)
        per_wh[paths[r.warehouse_id]].append(point)
        per_class[r.abc].append(point)
    return {
        "period": period,
        "from": start,
        "to": end,
        **_summary(accuracy_series(overall, period)),
        "by_warehouse": [
            {"warehouse": w, **_summary(accuracy_series(per_wh[w], period))} for w in sorted(per_wh)
        ],
        "by_class": [
            {"class": c, **_summary(accuracy_series(per_class[c], period))}
            for c in sorted(per_class)
        ],
    }


def variance_report(
    db: Database, actor: Actor, *, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    """Decided count lines whose count differed from the book, with the money each is worth
    (variance x the unit cost when counted), and the totals per currency: for managers."""
    actor.require(Permission.MANAGE_COUNTS)
    start, end = _range(since, until, 30)
    with db.reading() as uow:
        rows = counting.variances(
            uow.conn, actor.org_id, *_bounds(start, end), warehouse_ids=actor.warehouse_ids
        )
    lines = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        variance = r.counted - r.book
        value = (from_micro(variance) * from_micro(r.unit_cost or 0)).quantize(Decimal("0.01"))
        if r.status == "approved":
            totals[r.currency] += value
        lines.append(
            {
                "count": r.number,
                "line_no": r.line_no,
                "location": r.path,
                "sku": r.sku,
                "lot": r.lot or None,
                "serial": r.serial or None,
                "status": r.status,
                "book": from_micro(r.book, r.precision),
                "counted": from_micro(r.counted, r.precision),
                "variance": from_micro(variance, r.precision),
                "value": value,
                "currency": r.currency,
                "reason": r.reason,
                "decided_at": r.decided_at,
            }
        )
    return {
        "from": start,
        "to": end,
        "lines": lines,
        "posted_value": [{"currency": c, "value": v} for c, v in sorted(totals.items())],
    }
