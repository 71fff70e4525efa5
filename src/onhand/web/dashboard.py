"""The dashboard (control tower): the KPIs of the last 30 days beside the 30 before, the
exceptions to act on, the stock value by warehouse and over the last 12 months, today's flows,
turnover by category, the ABC Pareto curve, and forecast against actual for a chosen item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onhand.api.errors import STATUS
from onhand.domain.access import Actor
from onhand.domain.errors import NotFound, OnhandError
from onhand.services import (
    exceptions,
    forecast_actual,
    kpis,
    locations,
    report_exports,
    valuation_reports,
)
from onhand.services.common import utcnow
from onhand.services.report_model import Chart, ReportParams
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.render import db_of, page

router = APIRouter(include_in_schema=False)

WINDOW = 30
MONTHS = 12
SHOWN_EXCEPTIONS = 10
SKU_MAX = 64  # characters of an SKU (the catalogue's limit)
# The KPIs on the dashboard: key in the KPI set, label, unit, and whether higher is better.
TILES = (
    ("turnover", "Inventory turnover", "x", True),
    ("days_of_inventory", "Days of inventory", "days", False),
    ("fill_rate_by_line", "Fill rate (lines)", "%", True),
    ("backorder_rate_by_line", "Backorder rate (lines)", "%", False),
    ("stockout_rate", "Stockout rate", "%", False),
    ("carrying_cost", "Carrying cost", "", False),
    ("gmroi", "GMROI", "", True),
    ("sell_through", "Sell-through", "%", True),
)


@dataclass(frozen=True, slots=True)
class Tile:
    label: str
    value: Decimal | None
    unit: str
    previous: Decimal | None
    better: bool | None  # None: unchanged or not comparable
    formula: str

    @property
    def arrow(self) -> str:
        if self.value is None or self.previous is None or self.value == self.previous:
            return "→"
        return "↑" if self.value > self.previous else "↓"


def _tiles(now: dict[str, Any], before: dict[str, Any]) -> list[Tile]:
    out = []
    for key, label, unit, higher_is_better in TILES:
        cur, prev = now.get(key), before.get(key)
        value = cur["value"] if isinstance(cur, dict) else None
        previous = prev["value"] if isinstance(prev, dict) else None
        better = None
        if value is not None and previous is not None and value != previous:
            better = (value > previous) == higher_is_better
        formula = cur["formula"] if isinstance(cur, dict) else ""
        out.append(Tile(label, value, unit, previous, better, formula))
    return out


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _svg(chart: Chart, height_mm: float = 70, width_mm: float = 160) -> str:
    from onhand.services import report_charts  # matplotlib: loaded on the first chart only

    return report_charts.render_svg(chart, width_mm=width_mm, height_mm=height_mm)


def _value_over_time(db: Database, actor: Actor, today: date, currency: str) -> str:
    """The stock value at the end of each of the last 12 months (and now)."""
    ends = []
    month = today.replace(day=1)
    for _ in range(MONTHS):
        ends.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    labels, values = [], []
    for first in reversed(ends):
        at = _midnight(first)
        v = valuation_reports.inventory_value(db, actor, by="warehouse", as_of=at)
        labels.append((first - timedelta(days=1)).strftime("%b %Y"))
        values.append(Decimal(v["total_value"]))
    labels.append("now")
    values.append(
        Decimal(valuation_reports.inventory_value(db, actor, by="warehouse")["total_value"])
    )
    chart = Chart("line", "Stock value at each month's end", labels, {"value": values},
                  unit=currency, ordered=True)  # fmt: skip
    return _svg(chart, 60)


def _turnover_by_category(report: dict[str, Any]) -> str | None:
    rows = [r for r in report["rows"] if r["turnover"]["value"] is not None]
    if not rows:
        return None
    rows.sort(key=lambda r: -r["turnover"]["value"])
    chart = Chart(
        "bars",
        f"Inventory turnover by category, last {WINDOW} days",
        [r["category"] or "(none)" for r in rows],
        {"turnover": [r["turnover"]["value"] for r in rows]},
        unit="x",
    )
    return _svg(chart, 60)


def _pareto(db: Database, actor: Actor) -> str | None:
    try:
        report = report_exports.build_report(db, actor, "abc", ReportParams())
    except NotFound:  # no classification yet
        return None
    return _svg(report.charts[0], 60) if report.charts else None


@dataclass(slots=True)
class ForecastSection:
    """What the forecast section shows: the chooser (its warehouses, the items offered, what
    was asked), then the chart and its numbers, or the sentence saying why there is none."""

    warehouses: list[dict[str, Any]]
    warehouse: str | None = None
    item: str = ""  # the SKU in the field
    choices: list[dict[str, Any]] | None = None
    view: forecast_actual.ForecastView | None = None
    chart: str | None = None
    problem: str | None = None  # the answer to a bad question (with a 4xx status)


def _sentence(exc: OnhandError, sku: str) -> str:
    if exc.code == "sku_not_found":
        return f"No item has the SKU “{sku}”: choose one of the list or check its spelling."
    return f"{exc.message[0].upper()}{exc.message[1:]}."


def _forecast(db: Database, actor: Actor, params: dict[str, str]) -> tuple[ForecastSection, int]:
    """The forecast section for the GET form's ``item`` and ``warehouse`` (each may be left
    out: the first warehouse with a finished planning run, its item of highest forecast value),
    and the page's status: 422 for a warehouse the user does not work in or an over-long SKU,
    404 for an unknown SKU; the rest of the dashboard is shown all the same."""
    warehouses = locations.list_warehouses(db, actor)
    paths = [w["path"] for w in warehouses]
    out = ForecastSection(warehouses, item=params.get("item", "").strip()[:200])
    if not paths:
        return out, 200
    asked = params.get("warehouse", "").strip()
    if asked and asked not in paths:  # unknown or not the user's: the same answer, no hint
        out.problem = "Choose one of your warehouses."
        return out, 422
    out.warehouse = asked or forecast_actual.default_warehouse(db, actor, paths) or paths[0]
    offer = forecast_actual.choices(db, actor, out.warehouse)
    out.choices = offer["items"]
    if len(out.item) > SKU_MAX:
        out.problem = f"An SKU has at most {SKU_MAX} characters."
        return out, 422
    sku = out.item or (out.choices[0]["sku"] if out.choices else "")
    if not sku:
        return out, 200
    try:
        out.view = forecast_actual.view(db, actor, sku, out.warehouse)
    except OnhandError as exc:
        out.problem = _sentence(exc, sku)
        return out, STATUS.get(exc.kind, 422)
    out.item = out.view.sku
    chart = out.view.chart()
    out.chart = None if chart is None else _svg(chart, 80, width_mm=200)
    return out, 200


@router.get("/")
def dashboard(request: Request) -> Response:
    db = db_of(request)
    session = sessions.require(db, request)
    actor = session.actor
    # A live refresh (static/live.js) swaps the live regions only: the forecast section is not
    # one, so it is not drawn again (and a bad question does not stop the refreshes).
    if request.headers.get("x-live") == "1":
        forecast, status = None, 200
    else:
        forecast, status = _forecast(db, actor, dict(request.query_params))
    today = utcnow().date()
    start = today - timedelta(days=WINDOW - 1)
    now = kpis.kpis(db, actor, start=start, end=today)
    before = kpis.kpis(db, actor, start=start - timedelta(days=WINDOW), end=start - timedelta(1))
    by_category = kpis.kpis(db, actor, start=start, end=today, by="category")
    today_flow = kpis.kpis(db, actor, start=today, end=today)["total"]
    value = valuation_reports.inventory_value(db, actor, by="warehouse")
    found = exceptions.list_exceptions(db, actor)
    currency = value["currency"]
    return page(
        request,
        "dashboard.html",
        session,
        status_code=status,
        today=today,
        window=WINDOW,
        currency=currency,
        tiles=_tiles(now["total"], before["total"]),
        total=now["total"],
        today_flow=today_flow,
        value=value,
        exceptions=found[:SHOWN_EXCEPTIONS],
        exception_count=len(found),
        value_chart=_value_over_time(db, actor, today, currency),
        turnover_chart=_turnover_by_category(by_category),
        pareto_chart=_pareto(db, actor),
        forecast=forecast,
    )
