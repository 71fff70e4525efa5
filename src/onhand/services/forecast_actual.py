"""Forecast against actual for one item at one warehouse (the dashboard's chart): the item's net
demand per period over the recent past, read from the ledger, beside the forecast the newest
finished planning run of the warehouse stored for it (± its error).

Nothing is forecast here: the chart of a stored forecast costs one demand history and one
planning line, whatever the number of items. Periods are the run's (day, week or month); the
actual demand covers complete periods only, as a run reads it (a period still running would
read as a dip in demand)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.demand import Bucket, bucket_start
from onhand.domain.planning import whole_buckets
from onhand.services import demand, planning_decisions
from onhand.services.common import utcnow
from onhand.services.planning_runs import BUCKET_DAYS
from onhand.services.report_model import Band, Chart
from onhand.services.sales_orders import warehouse_row
from onhand.store import planning
from onhand.store.unit_of_work import Database

# Periods of actual demand shown, per kind of period: about half a year (a year of months).
PAST = {"day": 56, "week": 26, "month": 12}
DEFAULT_BUCKET = "week"  # the periods when no run of the warehouse stored a forecast
CHOICES = 200  # items offered to choose from (the rest can be typed)
ACTUAL, FORECAST = "actual demand", "forecast"


@dataclass(frozen=True, slots=True)
class Period:
    """One period of the chart: its first day, the demand in it (None: not over yet, or before
    the window), its days out of stock, and the stored forecast for it with its ± 1 sd range
    (None: the run forecast other periods)."""

    start: date
    actual: Decimal | None
    stockout_days: int
    forecast: Decimal | None
    low: Decimal | None
    high: Decimal | None


@dataclass(frozen=True, slots=True)
class ForecastView:
    """An item's demand and stored forecast at a warehouse, period by period."""

    sku: str
    uom: str
    warehouse: str
    bucket: str  # day, week or month
    periods: list[Period]
    line: dict[str, Any] | None  # the stored planning line (None: never planned there)
    demand_total: Decimal  # over the periods shown
    demand_periods: int  # periods of actual demand shown
    stockout_periods: int  # of those, out of stock some day since it was first in stock here
    stale: bool  # a forecast is stored but all its periods lie before the window

    @property
    def has_demand(self) -> bool:
        return any(p.actual for p in self.periods)

    @property
    def has_forecast(self) -> bool:
        return any(p.forecast is not None for p in self.periods)

    def chart(self) -> Chart | None:
        """The line chart (actual, forecast and its band; gaps where a series has no value),
        or None when there is nothing to draw (no demand and no forecast)."""
        if not self.has_demand and not self.has_forecast:
            return None
        fmt = "%Y-%m" if self.bucket == "month" else "%Y-%m-%d"
        series: dict[str, list[Decimal | None]] = {ACTUAL: [p.actual for p in self.periods]}
        band = None
        if self.has_forecast:
            series[FORECAST] = [p.forecast for p in self.periods]
            band = Band(
                FORECAST,
                "forecast ± 1 sd",
                [p.low for p in self.periods],
                [p.high for p in self.periods],
            )
        # The unit in the title: a short unit ("l") set upright on the value axis reads as a dash.
        return Chart(
            "line",
            f"{self.sku} at {self.warehouse}: demand by {self.bucket} ({self.uom})",
            [p.start.strftime(fmt) for p in self.periods],
            series,
            ordered=True,
            dashed=(FORECAST,),
            band=band,
        )


def _next(start: date, bucket: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(days=7)
    year, month = divmod(start.year * 12 + start.month, 12)  # the month after, 0-based
    return date(year, month + 1, 1)


def _decimal(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


def view(
    db: Database, actor: Actor, sku: str, warehouse: str, *, today: date | None = None
) -> ForecastView:
    """Forecast against actual for one item at one warehouse: net demand in the last complete
    periods (``PAST``) and the forecast the newest finished run of the warehouse stored for
    the item, in that run's periods (weeks when none is stored). NotFound for an unknown SKU,
    Forbidden for a warehouse the actor may not see."""
    line = planning_decisions.latest_line(db, actor, sku, warehouse)
    bucket = (line or {}).get("bucket") or DEFAULT_BUCKET
    today = today or utcnow().date()
    start, end = whole_buckets(today, bucket, round(PAST[bucket] * BUCKET_DAYS[bucket]))
    history = demand.demand_history(db, actor, sku, warehouse, bucket, start, end)
    actual = {r["start"]: r for r in history["series"]}
    forecast: dict[date, tuple[Decimal, Decimal, Decimal]] = {}
    stale = False
    if line is not None and line["run_finished_at"] is not None:
        # The run forecast from the complete periods before its day: its first forecast period
        # is the one holding the day it ran.
        first = bucket_start(line["run_finished_at"].date(), Bucket(bucket))
        sd_day = line["forecast"]["demand_sd_per_day"] or 0.0
        sd = sd_day * math.sqrt(BUCKET_DAYS[bucket])  # the one-period error the run measured
        period = first
        for value in line["forecast"]["per_bucket"] or []:
            if period >= start:
                forecast[period] = (
                    _decimal(value), _decimal(max(value - sd, 0.0)), _decimal(value + sd),
                )  # fmt: skip
            period = _next(period, bucket)
        stale = not forecast and bool(line["forecast"]["per_bucket"])
    # Periods before the item was first in stock here are out of stock all through: it was not
    # carried yet, which is no stockout.
    stocked = [r for r in history["series"] if r["stockout_days"] < r["days"]]
    since = stocked[0]["start"] if stocked else None
    stockouts = sum(
        1 for r in history["series"] if since and r["start"] >= since and r["stockout_days"]
    )
    periods = []
    period = history["series"][0]["start"]
    last = max([history["series"][-1]["start"], *forecast])
    while period <= last:
        row = actual.get(period)
        f = forecast.get(period)
        periods.append(
            Period(
                start=period,
                actual=None if row is None else row["qty"],
                stockout_days=0 if row is None else row["stockout_days"],
                forecast=None if f is None else f[0],
                low=None if f is None else f[1],
                high=None if f is None else f[2],
            )
        )
        period = _next(period, bucket)
    return ForecastView(
        sku=history["sku"],
        uom=history["uom"],
        warehouse=history["location"],
        bucket=bucket,
        periods=periods,
        line=line,
        demand_total=history["total"],
        demand_periods=len(history["series"]),
        stockout_periods=stockouts,
        stale=stale,
    )


def choices(db: Database, actor: Actor, warehouse: str, limit: int = CHOICES) -> dict[str, Any]:
    """The items worth a look at a warehouse: those the newest finished run of it planned,
    highest forecast consumption value (demand a day x unit cost) first, at most ``limit``;
    with the run's number (None, and no items, when no run of the warehouse has finished)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        wh = warehouse_row(uow, actor, warehouse)
        run_id = planning.latest_done_run_id(uow.conn, actor.org_id, wh.id)
        if run_id is None:
            return {"warehouse": wh.path, "run": None, "items": []}
        run = planning.run_by_id(uow.conn, actor.org_id, run_id)
        rows = planning.top_items(uow.conn, actor.org_id, run_id, limit)
    return {
        "warehouse": wh.path,
        "run": run.number if run is not None else None,
        "items": [{"sku": r.sku, "name": r.name} for r in rows],
    }


def default_warehouse(db: Database, actor: Actor, warehouses: list[str]) -> str | None:
    """The first of ``warehouses`` (paths the actor may see) with a finished planning run, so
    that a first look shows a forecast; None when none has one."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        for path in warehouses:
            wh = warehouse_row(uow, actor, path)
            if planning.latest_done_run_id(uow.conn, actor.org_id, wh.id) is not None:
                return path
    return None
