"""ABC / XYZ classification of items, stored as runs with the parameters they used.

Consumption is the net outward quantity (out of stock into customer and scrap locations, less
what came back) over the window, summed per item in one SQL query, times the item's unit cost.
Demand variability is the coefficient of variation of that quantity per bucket (week or month).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.counting import (
    CLASSES,
    XYZ,
    CountSettings,
    check_day,
    classify,
    demand_buckets,
)
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro, to_micro
from onhand.services.common import audit, utcnow
from onhand.services.count_settings import settings_in
from onhand.store import classification, counting
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_MICRO = 2**63 - 1
SIX = Decimal("0.000001")


def _micro(value: Decimal) -> int:
    return min(to_micro(value.quantize(SIX)), MAX_MICRO)


def classify_in(uow: UnitOfWork, actor: Actor, settings: CountSettings, as_of: date) -> int:
    """Classify every item of the organisation as of the end of ``as_of`` (UTC); the run's id."""
    conn, org = uow.conn, actor.org_id
    until = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    since = until - timedelta(days=settings.window_days)
    values: dict[int, Decimal] = {}
    for row in classification.consumption(conn, org, since, until):
        qty = max(int(row.qty), 0)
        values[row.id] = from_micro(qty) * from_micro(row.unit_cost)
    daily: dict[int, list[tuple[date, Decimal]]] = {}
    for row in classification.daily_demand(conn, org, since, until):
        daily.setdefault(row.item_id, []).append((counting.as_date(row.day), from_micro(row.qty)))
    demand = {
        item_id: demand_buckets(
            days, as_of=as_of, window_days=settings.window_days, bucket=settings.bucket
        )
        for item_id, days in daily.items()
    }
    classes = classify(values, demand, settings)
    now = utcnow()
    parameters = {
        "window_days": settings.window_days,
        "bucket": settings.bucket,
        "abc_a_pct": str(settings.abc_a_pct),
        "abc_b_pct": str(settings.abc_b_pct),
        "xyz_x_cv": str(settings.xyz_x_cv),
        "xyz_y_cv": str(settings.xyz_y_cv),
    }
    run_id = classification.insert_run(
        conn,
        {
            "org_id": org,
            "as_of": as_of,
            "parameters": json.dumps(parameters, sort_keys=True),
            "item_count": len(classes),
            "created_at": now,
            "created_by": actor.user_id,
        },
        [
            {
                "org_id": org,
                "item_id": c.item_id,
                "abc": c.abc,
                "xyz": c.xyz,
                "value": _micro(c.value),
                "share": _micro(c.share),
                "cv": None if c.cv is None else _micro(c.cv),
            }
            for c in classes
        ],
    )
    audit(uow, actor, "classification", run_id, "computed", as_of=as_of)
    return run_id


def fresh_run_in(uow: UnitOfWork, actor: Actor, settings: CountSettings, today: date) -> int:
    """The latest classification, or a new one when there is none or it is older than the
    settings' max_age_days (how the daily plan keeps classes current without a cron job)."""
    latest = classification.latest_run(uow.conn, actor.org_id)
    if latest is not None and (today - latest.as_of).days <= settings.max_age_days:
        return int(latest.id)
    return classify_in(uow, actor, settings, today)


def _run_out(
    uow: UnitOfWork, actor: Actor, run: Any, abc: str | None, xyz: str | None
) -> dict[str, Any]:
    rows = classification.classes_of_run(uow.conn, actor.org_id, run.id, abc=abc, xyz=xyz)
    return {
        "run_id": run.id,
        "as_of": run.as_of,
        "computed_at": run.created_at,
        "parameters": json.loads(run.parameters),
        "item_count": run.item_count,
        "items": [
            {
                "sku": r.sku,
                "abc": r.abc,
                "xyz": r.xyz,
                "value": from_micro(r.value, 2),
                "currency": r.currency,
                "share_pct": (from_micro(r.share) * 100).quantize(Decimal("0.01")),
                "cv": None if r.cv is None else from_micro(r.cv, 3),
            }
            for r in rows
        ],
    }


def classify_items(db: Database, actor: Actor, *, as_of: date | None = None) -> dict[str, Any]:
    """Compute and store a classification of every item now (or as of the end of a day)."""
    actor.require(Permission.MANAGE_COUNTS)
    day = check_day(as_of or utcnow().date(), "as_of")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        run_id = classify_in(uow, actor, settings_in(uow, actor.org_id), day)
        return _run_out(
            uow, actor, classification.run_by_id(uow.conn, actor.org_id, run_id), None, None
        )

    return db.write(work)


def current_classes(
    db: Database, actor: Actor, *, abc: str | None = None, xyz: str | None = None
) -> dict[str, Any] | None:
    """The latest classification (items by value, highest first), or None before the first."""
    actor.require(Permission.READ)
    if abc is not None and abc not in CLASSES:
        raise InvalidInput("abc must be A, B or C", code="invalid_class")
    if xyz is not None and xyz not in XYZ:
        raise InvalidInput("xyz must be X, Y or Z", code="invalid_class")
    with db.reading() as uow:
        run = classification.latest_run(uow.conn, actor.org_id)
        return None if run is None else _run_out(uow, actor, run, abc, xyz)
