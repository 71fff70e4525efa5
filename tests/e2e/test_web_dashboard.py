"""The dashboard's forecast against actual over HTTP, without a browser (the application
in-process, on a SQLite file of its own and on a PostgreSQL schema): the item shown first, a
chosen item's chart and numbers, an item never planned or without demand, a user restricted to
one warehouse, and every bad question answered on the dashboard itself with a 4xx status.

Eight whole weeks of steady history before today at WH1 (FAST 10 a day, SLOW 2 a day with a
day out of stock), FAST 1 a day at WH2; one weekly planning run of WH1 stores the forecasts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from html import unescape

import pytest
from fastapi.testclient import TestClient

from onhand.domain.planning import PolicySettings, RunRequest, whole_buckets
from onhand.services import (
    accounts,
    forecast_actual,
    items,
    locations,
    planning_runs,
    postings,
    replenishment_policies,
)
from onhand.services.postings import MovementInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.e2e.in_process_site import BACKENDS, PASSWORD, module_database, pages_app, signed_in

WEEKS = 8


@dataclass
class Site:
    db: Database
    org: Org
    app: TestClient
    run: str  # the planning run of WH1
    start: date  # the first day of the history

    def browser(self, username: str) -> TestClient:
        """A fresh client signed in as ``username`` (its session cookie kept)."""
        return signed_in(self.app, username)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _history(start: date) -> list[MovementInput]:
    """Opening stock the day before ``start``, then every day of the weeks: FAST sells 10 at
    WH1 and 1 at WH2; SLOW sells 2 at WH1 until its 50 are gone (day 24), has none on day 25
    and sells again from a receipt on day 26."""

    def mv(sku: str, src: str, dst: str, qty: int, at: datetime) -> MovementInput:
        return MovementInput(sku=sku, from_location=src, to_location=dst, quantity=Decimal(qty),
                             effective_at=at)  # fmt: skip

    before = _at(start - timedelta(days=1), 8)
    out = [
        mv("FAST", "@supplier", "WH1/A/01", 1000, before),
        mv("FAST", "@supplier", "WH2/A/01", 100, before),
        mv("SLOW", "@supplier", "WH1/A/01", 50, before),
    ]
    for k in range(7 * WEEKS):
        day = start + timedelta(days=k)
        out.append(mv("FAST", "WH1/A/01", "@customer", 10, _at(day, 10)))
        out.append(mv("FAST", "WH2/A/01", "@customer", 1, _at(day, 10)))
        if k == 26:
            out.append(mv("SLOW", "@supplier", "WH1/A/01", 100, _at(day, 8)))
        if k != 25:
            out.append(mv("SLOW", "WH1/A/01", "@customer", 2, _at(day, 11)))
    return out


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """Two warehouses with history, a weekly planning run of WH1, a clerk of WH2 only."""
    with module_database(request, tmp_path_factory, "webdash") as db:
        yield _site(db)


def _site(db: Database) -> Site:
    org = make_org(db, "webdash")
    a = org.actor
    for wh in ("WH1", "WH2"):
        locations.create_location(db, a, code=wh)
        locations.create_location(db, a, code="A", parent=wh)
        locations.create_location(db, a, code="01", parent=f"{wh}/A")
    items.create_items(
        db,
        a,
        [
            items.ItemCreate(sku="FAST", name="Fast seller", unit_cost=Decimal(5)),
            items.ItemCreate(sku="SLOW", name="Slow seller", unit_cost=Decimal(1)),
            items.ItemCreate(sku="QUIET", name="Never sold", unit_cost=Decimal(1)),
        ],
    )
    # QUIET has no history anywhere; its policy makes the run plan it all the same.
    replenishment_policies.set_policy(db, a, "QUIET", "WH1", PolicySettings(kind="min_max"))
    start, _ = whole_buckets(datetime.now(UTC).date(), "week", 7 * WEEKS)
    postings.post_movements(db, a, _history(start))
    run = planning_runs.run_replenishment(db, a, RunRequest("WH1", history_days=7 * WEEKS))
    assert run["status"] == "done", run
    # LATER exists only after the run: never planned.
    items.create_items(db, a, [items.ItemCreate(sku="LATER", name="Added after the run")])
    accounts.create_user(
        db, a, username="clerk2", password=PASSWORD, role="clerk", warehouses=["WH2"]
    )
    accounts.create_user(db, a, username="boss", password=PASSWORD, role="admin")
    return Site(db, org, pages_app(db), run["number"], start)
    db.dispose()


def text_of(page: str) -> str:
    """The page's text, tags and runs of white space collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


def section(page: str) -> str:
    """The forecast section's HTML."""
    found = re.search(r'<section aria-labelledby="forecast-h".*?</section>', page, re.S)
    assert found, "no forecast section"
    return found.group(0)


def rows(page: str) -> dict[str, list[str]]:
    """The numbers table of the section: period -> actual, forecast, ± 1 sd, days out."""
    body = re.search(r"<tbody>(.*?)</tbody>", section(page), re.S)
    assert body, "no numbers table"
    out = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = [text_of(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        out[cells[0]] = cells[1:]
    return out


def test_the_dashboard_shows_first_the_item_of_highest_forecast_value(site: Site) -> None:
    r = site.browser("boss").get("/")
    assert r.status_code == 200
    html = section(r.text)
    # FAST (10 a day at 5) before SLOW (2 a day at 1) and QUIET (none): all three offered.
    assert re.search(r'<input id="f-item" name="item" list="f-items" value="FAST"', html)
    datalist = html.split("<datalist")[1].split("</datalist>")[0]
    offered = re.findall(r'<option value="([^"]+)">', datalist)
    assert offered[:2] == ["FAST", "SLOW"]
    assert set(offered) == {"FAST", "SLOW", "QUIET"}  # LATER was never planned
    # Both warehouses to choose from, WH1 (the one with a run) chosen.
    assert '<label for="f-warehouse">Warehouse</label>' in html
    assert '<option value="WH1" selected>' in html
    assert '<figure class="chart"><svg' in html
    text = text_of(html)
    assert f"the forecast of planning run {site.run}" in text
    assert "by week" in text


def test_a_chosen_item_shows_its_weekly_demand_beside_the_stored_forecast(site: Site) -> None:
    r = site.browser("boss").get("/", params={"item": "FAST", "warehouse": "WH1"})
    assert r.status_code == 200
    table = rows(r.text)
    weeks = [site.start + timedelta(days=7 * k) for k in range(WEEKS)]
    for monday in weeks:  # 10 a day, whole weeks
        assert table[monday.isoformat()][0] == "70", monday
    # The periods before the history: no demand, no forecast, and no stock all week.
    earlier = (weeks[0] - timedelta(days=7)).isoformat()
    assert table[earlier] == ["0", "–", "–", "7"]
    # This week is not over: no actual, the forecast of a steady 70 from the run of today.
    this_week = (weeks[-1] + timedelta(days=7)).isoformat()
    actual, forecast, spread, _ = table[this_week]
    assert actual == "–"
    assert Decimal(forecast) == Decimal("70.0")
    low, high = (Decimal(x) for x in spread.split("–"))
    assert low <= Decimal(70) <= high
    # 26 complete weeks and the forecast's weeks after them: one row each, in order.
    assert len(table) >= 27
    assert list(table) == sorted(table)
    text = text_of(section(r.text))
    assert "No demand" not in text
    # Never out of stock since it was first in stock (the weeks before do not count).
    assert "Out of stock" not in text


def test_days_out_of_stock_are_said(site: Site) -> None:
    r = site.browser("boss").get("/", params={"item": "SLOW", "warehouse": "WH1"})
    assert r.status_code == 200
    table = rows(r.text)
    # Day 24 ends with none left, day 25 has none, day 26 opens with none: in the fourth week.
    out_week = (site.start + timedelta(days=21)).isoformat()
    assert table[out_week] == ["12", "–", "–", "3"]
    # Before its history the item was never in stock: those weeks are out of stock too.
    assert table[(site.start - timedelta(days=7)).isoformat()][3] == "7"
    text = text_of(section(r.text))
    # ... which is no stockout: it was not carried yet.
    assert "Out of stock some day in 1 of these weeks since it was first in stock here" in text


def test_an_item_without_demand_shows_its_forecast_and_says_so(site: Site) -> None:
    r = site.browser("boss").get("/", params={"item": "QUIET"})
    assert r.status_code == 200
    text = text_of(section(r.text))
    assert "No demand for QUIET at WH1 in the last 26 complete weeks." in text
    assert '<figure class="chart">' in section(r.text)  # the forecast (of nothing) is drawn


def test_an_item_never_planned_says_where_a_forecast_comes_from(site: Site) -> None:
    r = site.browser("boss").get("/", params={"item": "LATER", "warehouse": "WH1"})
    assert r.status_code == 200
    text = text_of(section(r.text))
    assert (
        "No forecast is stored for LATER at WH1: a planning run of WH1 stores one for each item"
        " it plans." in text
    )
    assert "No demand for LATER at WH1" in text
    assert "<svg" not in section(r.text)  # nothing to draw


@pytest.mark.parametrize(
    ("params", "status", "sentence"),
    [
        ({"item": "NO-SUCH"}, 404, "No item has the SKU “NO-SUCH”"),
        ({"item": "FAST", "warehouse": "WH9"}, 422, "Choose one of your warehouses."),
        ({"item": "FAST", "warehouse": "WH1/A"}, 422, "Choose one of your warehouses."),
        ({"item": "X" * 65}, 422, "An SKU has at most 64 characters."),
    ],
)
def test_a_bad_question_is_answered_on_the_dashboard(
    site: Site, params: dict[str, str], status: int, sentence: str
) -> None:
    r = site.browser("boss").get("/", params=params)
    assert r.status_code == status
    html = section(r.text)
    assert re.search(r'<p class="error" role="alert">[^<]*' + re.escape(sentence), html)
    assert "<svg" not in html
    assert '<input id="f-item"' in html  # the form again, to ask better
    # The rest of the dashboard is all there.
    text = text_of(r.text)
    for heading in ("Key figures", "Stock value by warehouse", "Exceptions", "Charts"):
        assert heading in text
    assert "Traceback" not in r.text


def test_a_clerk_of_one_warehouse_sees_that_warehouse_only(site: Site) -> None:
    clerk = site.browser("clerk2")
    first = clerk.get("/")
    assert first.status_code == 200
    html = section(first.text)
    assert 'id="f-warehouse"' not in html  # one warehouse: nothing to choose
    assert "WH1" not in html
    assert (
        "No forecast is stored at WH2 yet: a planning run of WH2 stores one for each item it"
        " plans" in text_of(html)
    )
    chosen = clerk.get("/", params={"item": "FAST"})
    assert chosen.status_code == 200
    html = section(chosen.text)
    assert "WH1" not in html
    assert "No forecast is stored for FAST at WH2" in text_of(html)
    assert rows(chosen.text)[site.start.isoformat()][0] == "7"  # 1 a day at WH2
    # WH1 is not the clerk's to look at, asked or not.
    refused = clerk.get("/", params={"item": "FAST", "warehouse": "WH1"})
    assert refused.status_code == 422
    assert "Choose one of your warehouses." in text_of(section(refused.text))
    assert "<svg" not in section(refused.text)


def test_a_live_refresh_leaves_the_forecast_out(site: Site) -> None:
    # live.js fetches the page again for its live regions only: no chart drawn, and a bad
    # question in the address does not stop the refreshes.
    r = site.browser("boss").get("/", params={"item": "NO-SUCH"}, headers={"X-Live": "1"})
    assert r.status_code == 200
    assert 'id="forecast-h"' not in r.text
    assert 'data-live="exceptions"' in r.text


def test_a_forecast_older_than_the_periods_shown_is_said_stale(site: Site) -> None:
    # A year on, the run's forecast periods all lie before the 26 weeks shown.
    later = datetime.now(UTC).date() + timedelta(days=365)
    view = forecast_actual.view(site.db, site.org.actor, "FAST", "WH1", today=later)
    assert view.stale
    assert view.line is not None
    assert view.line["run"] == site.run
    assert not view.has_forecast
    assert len(view.periods) == 26
    now = forecast_actual.view(site.db, site.org.actor, "FAST", "WH1")
    assert not now.stale
    assert now.has_forecast
