"""The cycle-count programme through the real services on SQLite and PostgreSQL: settings, ABC/XYZ
classification from the ledger, the daily plan, and the accuracy and variance reports on
hand-checked fixtures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from onhand.domain.errors import Forbidden, InvalidInput, NotFound
from onhand.services import count_classes, count_reports, count_settings, count_views, items
from onhand.services.count_plans import create_count, make_daily_plan
from onhand.services.counts import CountEntry, record_counts, reject_lines
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.ledger_helpers import World, build_world, mv, post
from tests.integration.test_counting import stock, user

D = Decimal
MONDAY = date(2026, 11, 30)


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    for sku, cost in (("BOLT", "2.50"), ("FLOUR", "2"), ("MILK", "1")):
        items.update_item(db, org.actor, sku, {"unit_cost": D(cost)})
    return world


# --- settings --------------------------------------------------------------------------------


def test_settings_start_at_the_defaults_and_change_in_part(w: World) -> None:
    got = count_settings.get_settings(w.db, w.actor)
    assert got["frequency"] == {"A": 12, "B": 4, "C": 2}
    assert got["tolerance_pct"] == {"A": D(3), "B": D(3), "C": D(3)}
    assert got["working_days"] == [1, 2, 3, 4, 5]

    new = count_settings.update_settings(
        w.db,
        w.actor,
        {"frequency": {"C": 3}, "tolerance_pct": {"A": D("1.5")}, "working_days": [6, 1]},
    )

    assert new["frequency"] == {"A": 12, "B": 4, "C": 3}
    assert new["tolerance_pct"] == {"A": D("1.5"), "B": D(3), "C": D(3)}
    assert new["working_days"] == [1, 6]
    assert count_settings.get_settings(w.db, w.actor) == new
    other = make_org(w.db)
    assert count_settings.get_settings(w.db, other.actor)["frequency"]["C"] == 2


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"frequency": {"D": 3}}, "invalid_class"),
        ({"colour": "red"}, "invalid_setting"),
        ({"abc_a_pct": D(90), "abc_b_pct": D(20)}, "invalid_abc_cutoffs"),
        ({"tolerance_units": {"A": D("0.0000001")}}, "invalid_setting"),
    ],
)
def test_bad_settings_change_nothing(w: World, changes: dict[str, Any], code: str) -> None:
    before = count_settings.get_settings(w.db, w.actor)
    with pytest.raises(InvalidInput) as err:
        count_settings.update_settings(w.db, w.actor, changes)
    assert err.value.code == code
    assert count_settings.get_settings(w.db, w.actor) == before


def test_a_clerk_reads_the_settings_but_may_not_change_them(w: World) -> None:
    clerk = user(w, "clerk")
    assert count_settings.get_settings(w.db, clerk)["bucket"] == "week"
    with pytest.raises(Forbidden):
        count_settings.update_settings(w.db, clerk, {"bucket": "month"})
    with pytest.raises(Forbidden):
        count_classes.classify_items(w.db, clerk)
    with pytest.raises(Forbidden):
        make_daily_plan(w.db, clerk, day=MONDAY)


# --- classification --------------------------------------------------------------------------


def test_abc_and_xyz_from_four_weeks_of_consumption(w: World) -> None:
    count_settings.update_settings(w.db, w.actor, {"window_days": 28})
    now = datetime.now(UTC)

    def weeks_ago(k: int) -> datetime:
        return now - timedelta(days=7 * k + 1)

    stock(w, "BOLT", "WH1/A/01", 1000)
    stock(w, "FLOUR", "WH1/A/01", 500)
    stock(w, "MILK", "WH1/A/01", 100, lot="L1")
    for k in range(4):  # 100 bolts a week: steady
        post(w, mv("BOLT", "WH1/A/01", "@customer", 100, at=weeks_ago(k)))
    post(w, mv("BOLT", "WH1/A/01", "WH2/STOCK", 50, at=weeks_ago(0)))  # a transfer: not demand
    post(w, mv("BOLT", "WH1/A/01", "@customer", 30, at=weeks_ago(1)))
    post(w, mv("BOLT", "@customer", "WH1/A/01", 30, at=weeks_ago(1)))  # returned: nets out
    post(w, mv("BOLT", "WH1/A/01", "@customer", 500, at=now - timedelta(days=40)))  # too old
    post(w, mv("FLOUR", "WH1/A/01", "@customer", 100, at=weeks_ago(2)))  # once: erratic
    post(w, mv("MILK", "WH1/A/01", "@customer", 25, lot="L1", at=weeks_ago(0)))
    post(w, mv("MILK", "WH1/A/01", "@scrap", 25, lot="L1", at=weeks_ago(1)))  # scrap counts

    run = count_classes.classify_items(w.db, w.actor)

    # Values: BOLT 400 x 2.50 = 1000, FLOUR 100 x 2 = 200, MILK 50 x 1 = 50; total 1250.
    # Before each: 0 % (A), 80 % (B), 96 % (C). CV per week: BOLT 0, FLOUR sqrt(3), MILK 1.
    got = {x["sku"]: x for x in run["items"]}
    assert [x["sku"] for x in run["items"]] == ["BOLT", "FLOUR", "MILK", "PHONE"]
    assert {s: (x["abc"], x["xyz"]) for s, x in got.items()} == {
        "BOLT": ("A", "X"),
        "FLOUR": ("B", "Z"),
        "MILK": ("C", "Y"),
        "PHONE": ("C", "Z"),
    }
    assert [got[s]["value"] for s in ("BOLT", "FLOUR", "MILK", "PHONE")] == [
        D("1000.00"),
        D("200.00"),
        D("50.00"),
        D("0.00"),
    ]
    assert [got[s]["share_pct"] for s in ("BOLT", "FLOUR", "MILK")] == [D(80), D(16), D(4)]
    assert got["BOLT"]["cv"] == D("0.000")
    assert got["FLOUR"]["cv"] == D("1.732")
    assert got["PHONE"]["cv"] is None
    assert run["parameters"]["window_days"] == 28
    assert run["as_of"] == now.date()
    current = count_classes.current_classes(w.db, w.actor, abc="A")
    assert current is not None
    assert [x["sku"] for x in current["items"]] == ["BOLT"]
    assert count_classes.current_classes(w.db, make_org(w.db).actor) is None


# --- the daily plan --------------------------------------------------------------------------


def plan_lines(w: World, result: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    out = []
    for d in result["documents"]:
        doc = count_views.get_count(w.db, w.actor, d["number"])
        out += [(x["location"], x["sku"], x["lot"]) for x in doc["lines"]]
    return sorted(out)


def test_the_daily_plan_spreads_each_record_over_its_cycle_once_and_is_made_once(
    w: World,
) -> None:
    # Class C (no consumption) counted 130 times a year: a cycle of two working days.
    count_settings.update_settings(w.db, w.actor, {"frequency": {"C": 130}})
    stock(w, "BOLT", "WH1/A/01", 5)
    stock(w, "BOLT", "WH1/A/02", 5)
    stock(w, "FLOUR", "WH1/A/01", 5)
    stock(w, "MILK", "WH2/STOCK", 2, lot="L1")
    stock(w, "MILK", "WH2/STOCK", 3, lot="L2")

    monday = make_daily_plan(w.db, w.actor, day=MONDAY)
    again = make_daily_plan(w.db, w.actor, day=MONDAY)
    tuesday = make_daily_plan(w.db, w.actor, day=MONDAY + timedelta(days=1))

    assert again["created"] == 0
    assert again["documents"] == monday["documents"]
    assert plan_lines(w, again) == plan_lines(w, monday)
    both = plan_lines(w, monday) + plan_lines(w, tuesday)
    # Every record once over the two days, each lot of MILK on its own line.
    assert sorted(both) == [
        ("WH1/A/01", "BOLT", None),
        ("WH1/A/01", "FLOUR", None),
        ("WH1/A/02", "BOLT", None),
        ("WH2/STOCK", "MILK", "L1"),
        ("WH2/STOCK", "MILK", "L2"),
    ]
    wh1 = [len([x for x in plan_lines(w, p) if x[0].startswith("WH1")]) for p in (monday, tuesday)]
    assert sorted(wh1) == [1, 2]  # 3 records over 2 days: as even as can be
    assert all(d["warehouse"] in ("WH1", "WH2") for d in monday["documents"] + tuesday["documents"])
    # The plan classified the items, once: the classification is fresh for the second day.
    with w.db.reading() as uow:
        runs = uow.conn.execute(
            select(tables.classification_runs.c.id).where(
                tables.classification_runs.c.org_id == w.org_id
            )
        ).all()
    assert len(runs) == 1


def test_no_plan_on_a_day_off(w: World) -> None:
    with pytest.raises(InvalidInput) as err:
        make_daily_plan(w.db, w.actor, day=MONDAY - timedelta(days=1))
    assert err.value.code == "not_a_working_day"


def test_a_stale_classification_is_computed_again_when_the_plan_is_made(w: World) -> None:
    today = datetime.now(UTC).date()
    next_monday = today + timedelta(days=7 - today.weekday())
    count_classes.classify_items(w.db, w.actor, as_of=today - timedelta(days=31))

    make_daily_plan(w.db, w.actor, day=next_monday)

    latest = count_classes.current_classes(w.db, w.actor)
    assert latest is not None
    assert latest["as_of"] == today  # a plan ahead uses the classes of today


def test_a_past_day_is_planned_with_the_classes_of_that_time(w: World) -> None:
    count_classes.classify_items(w.db, w.actor, as_of=MONDAY - timedelta(days=29))
    make_daily_plan(w.db, w.actor, day=MONDAY)  # 29 days later: still fresh
    make_daily_plan(w.db, w.actor, day=MONDAY + timedelta(days=2))  # 31 days: stale

    latest = count_classes.current_classes(w.db, w.actor)
    assert latest is not None
    assert latest["as_of"] == MONDAY + timedelta(days=2)


# --- accuracy and variances ------------------------------------------------------------------

D1 = datetime(2026, 11, 2, 10, tzinfo=UTC)  # a Monday
D2 = datetime(2026, 11, 10, 15, tzinfo=UTC)  # the next week
# (location, sku): (counted against a book of 10, class, first counted at)
FIXTURE = {
    ("WH1/A/01", "BOLT"): (10, "A", D1),
    ("WH1/A/02", "BOLT"): (5, "A", D1),
    ("WH1/RECV", "BOLT"): (10, "B", D2),
    ("WH1/A/01", "FLOUR"): (10, "C", D2),
    ("WH2/STOCK", "BOLT"): (5, "A", D1),
    ("WH2/STOCK", "FLOUR"): (10, "C", D2),
}


def counted_fixture(w: World) -> None:
    for (path, sku), _ in FIXTURE.items():
        stock(w, sku, path, 10)
    for wh in ("WH1", "WH2"):
        number = create_count(w.db, w.actor, location=wh)["number"]
        for path in sorted({p for p, _ in FIXTURE if p.startswith(wh)}):
            entries = [CountEntry(s, D(FIXTURE[p, s][0])) for p, s in FIXTURE if p == path]
            record_counts(w.db, w.actor, number, location=path, entries=entries)
    with w.db.writing() as uow:
        lines, locs, its = tables.count_lines, tables.locations, tables.items
        for (path, sku), (_, abc, at) in FIXTURE.items():
            loc = select(locs.c.id).where(locs.c.org_id == w.org_id, locs.c.path == path)
            item = select(its.c.id).where(its.c.org_id == w.org_id, its.c.sku == sku)
            uow.conn.execute(
                update(lines)
                .where(
                    lines.c.org_id == w.org_id,
                    lines.c.location_id == loc.scalar_subquery(),
                    lines.c.item_id == item.scalar_subquery(),
                )
                .values(abc=abc, first_at=at)
            )
        uow.commit()


def summary(x: dict[str, Any]) -> tuple[Any, ...]:
    return (
        x["counted"],
        x["within"],
        x["accuracy_pct"],
        x["trend_pct_per_period"],
        [(p["period"], p["counted"], p["within"], p["accuracy_pct"]) for p in x["series"]],
    )


def test_accuracy_per_week_warehouse_and_class_on_a_hand_checked_fixture(w: World) -> None:
    counted_fixture(w)
    weeks = (date(2026, 11, 2), date(2026, 11, 9))

    got = count_reports.accuracy(
        w.db, w.actor, period="week", since=date(2026, 11, 1), until=date(2026, 11, 15)
    )

    # Week 1: 3 counted, 1 within (33.3 %); week 2: 3 of 3. Overall 4 of 6.
    assert summary(got) == (
        6,
        4,
        D("66.7"),
        D("66.70"),
        [(weeks[0], 3, 1, D("33.3")), (weeks[1], 3, 3, D("100.0"))],
    )
    per_wh = {x["warehouse"]: summary(x) for x in got["by_warehouse"]}
    assert per_wh == {
        "WH1": (
            4,
            3,
            D("75.0"),
            D("50.00"),
            [(weeks[0], 2, 1, D("50.0")), (weeks[1], 2, 2, D("100.0"))],
        ),
        "WH2": (
            2,
            1,
            D("50.0"),
            D("100.00"),
            [(weeks[0], 1, 0, D("0.0")), (weeks[1], 1, 1, D("100.0"))],
        ),
    }
    per_class = {x["class"]: summary(x)[:3] for x in got["by_class"]}
    assert per_class == {"A": (3, 1, D("33.3")), "B": (1, 1, D("100.0")), "C": (2, 2, D("100.0"))}

    only = count_reports.accuracy(
        w.db,
        w.actor,
        period="month",
        since=date(2026, 11, 1),
        until=date(2026, 11, 30),
        warehouse="WH2",
        abc="C",
    )
    assert summary(only) == (1, 1, D("100.0"), None, [(date(2026, 11, 1), 1, 1, D("100.0"))])
    outside = count_reports.accuracy(
        w.db, w.actor, since=date(2026, 10, 1), until=date(2026, 10, 31)
    )
    assert summary(outside) == (0, 0, None, None, [])


def test_accuracy_refuses_bad_parameters(w: World) -> None:
    cases = [
        ({"period": "year"}, InvalidInput, "invalid_period"),
        ({"abc": "D"}, InvalidInput, "invalid_class"),
        ({"since": date(2026, 2, 1), "until": date(2026, 1, 1)}, InvalidInput, "invalid_range"),
        ({"warehouse": "WH1/A"}, NotFound, "warehouse_not_found"),
    ]
    for kwargs, error, code in cases:
        with pytest.raises(error) as err:
            count_reports.accuracy(w.db, w.actor, **kwargs)
        assert err.value.code == code


def test_the_variance_report_values_each_variance_at_the_unit_cost(w: World) -> None:
    stock(w, "BOLT", "WH1/A/01", 100)
    stock(w, "FLOUR", "WH1/A/02", 10)
    number = create_count(w.db, w.actor, location="WH1")["number"]
    record_counts(w.db, w.actor, number, location="WH1/A/01", entries=[CountEntry("BOLT", D(97))])
    for _ in range(2):
        record_counts(
            w.db, w.actor, number, location="WH1/A/02", entries=[CountEntry("FLOUR", D(4))]
        )
    reject_lines(w.db, w.actor, number)

    got = count_reports.variance_report(w.db, w.actor)

    assert sorted((x["sku"], x["status"], x["variance"], x["value"]) for x in got["lines"]) == [
        ("BOLT", "approved", D(-3), D("-7.50")),
        ("FLOUR", "rejected", D("-6.000"), D("-12.00")),
    ]
    assert got["posted_value"] == [{"currency": "EUR", "value": D("-7.50")}]
    with pytest.raises(Forbidden):
        count_reports.variance_report(w.db, user(w, "clerk"))


def test_the_demo_is_classified_and_its_first_days_counts_are_planned(sqlite_db: Database) -> None:
    from onhand.services import accounts, demo

    today = date(2024, 3, 2)  # a Saturday: the plan is for Monday
    result = demo.build_demo(sqlite_db, item_count=30, days=60, seed=7, today=today)

    actor = accounts.authenticate(sqlite_db, result.token)
    classes = count_classes.current_classes(sqlite_db, actor)
    assert classes is not None
    assert classes["as_of"] == today
    assert {x["abc"] for x in classes["items"]} == {"A", "B", "C"}
    assert re.fullmatch(r"\d count documents? for 2024-03-04: CC-000001.*", result.count_plan)
    # And its first warehouse is planned: one line per item that moved there.
    assert re.fullmatch(
        r"PLAN-000001 of WH1: \d+ items, \d+ suggested orders .*", result.planning_run
    )
    planned = count_views.list_counts(sqlite_db, actor)
    assert {(d["kind"], d["plan_date"]) for d in planned} == {("plan", date(2024, 3, 4))}
    assert all(count_views.get_count(sqlite_db, actor, d["number"])["lines"] for d in planned)
