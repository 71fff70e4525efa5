"""The dashboard (control tower): the KPIs of the last 30 days beside the 30 before, the
exceptions to act on, the stock value by warehouse and over the last 12 months, today's flows,
turnover by category and the ABC Pareto curve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onhand.domain.access import Actor
from onhand.domain.errors import NotFound
from onhand.services import exceptions, kpis, report_exports, valuation_reports
from onhand.services.common import utcnow
from onhand.services.report_model import Chart, ReportParams
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.render import db_of, page

router = APIRouter(include_in_schema=False)

WINDOW = 30
MONTHS = 12
SHOWN_EXCEPTIONS = 10
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


def _svg(chart: Chart, height_mm: float = 70) -> str:
    from onhand.services import report_charts  # matplotlib: loaded on the first chart only

    return report_charts.render_svg(chart, width_mm=160, height_mm=height_mm)


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


@router.get("/")
def dashboard(request: Request) -> Response:
    db = db_of(request)
    session = sessions.require(db, request)
    actor = session.actor
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
    )
