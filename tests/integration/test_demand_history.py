"""Demand history from the ledger on SQLite and PostgreSQL, against a hand-checked history.

BOLT in WH1 (times UTC; the range is Mon 2026-03-23 .. Sun 2026-04-12, three ISO weeks):
  03-20 receive 10 into A/01            03-21 sell 1 (before the range)    opening 9
  03-23 sell 3 (demand 3)               03-24 move 2 A/01 -> A/02 (not demand)
  03-25 transfer 1 A/02 -> WH2 (not demand, WH1 on hand 5)
  03-26 scrap 1 (demand 1)              03-27 customer returns 1 (demand -1)
  03-29 23:00 sell 4 from A/01 and 1 from A/02: WH1 reaches 0 (demand 5)
  03-30 .. 04-02 nothing on hand        04-03 10:00 receive 4 (the day started at 0)
  04-03 11:00 put away 4                04-07 sell 2 (demand 2)
  04-08 count loss 1 (adjustment, not demand)
  04-09 1 into the WH1/TRUCK transit location (still WH1's stock)
  04-10 10:00 the truck delivers 1 to the customer (demand 1): WH1 reaches 0 again
  04-13 receive 5, sell 2 (after the range)
Weeks: demand 8, 0, 3; out-of-stock days 1 (03-29), 5 (03-30 .. 04-03), 3 (04-10 .. 04-12).
Months: March 8 with 3 days out (29-31), April 3 with 6 days out (1-3, 10-12).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from onhand.domain.errors import Forbidden, InvalidInput, NotFound
from onhand.services import accounts, demand
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.ledger_helpers import World, build_world, mv, post

D = Decimal
START, END = date(2026, 3, 23), date(2026, 4, 12)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    post(world, mv("BOLT", "@supplier", "WH1/A/01", 10, at=at(3, 20)))
    post(world, mv("BOLT", "WH1/A/01", "@customer", 1, at=at(3, 21)))
    post(world, mv("BOLT", "WH1/A/01", "@customer", 3, at=at(3, 23)))
    post(world, mv("BOLT", "WH1/A/01", "WH1/A/02", 2, at=at(3, 24)))
    post(world, mv("BOLT", "WH1/A/02", "WH2/STOCK", 1, at=at(3, 25)))
    post(world, mv("BOLT", "WH1/A/01", "@scrap", 1, at=at(3, 26)))
    post(world, mv("BOLT", "@customer", "WH1/A/01", 1, at=at(3, 27)))
    post(
        world,
        mv("BOLT", "WH1/A/01", "@customer", 4, at=at(3, 29, 23)),
        mv("BOLT", "WH1/A/02", "@customer", 1, at=at(3, 29, 23)),
    )
    post(world, mv("BOLT", "@supplier", "WH1/RECV", 4, at=at(4, 3)))
    post(world, mv("BOLT", "WH1/RECV", "WH1/A/01", 4, at=at(4, 3, 11)))
    post(world, mv("BOLT", "WH1/A/01", "@customer", 2, at=at(4, 7)))
    post(world, mv("BOLT", "WH1/A/01", "@adjustment", 1, at=at(4, 8)))
    post(world, mv("BOLT", "WH1/A/01", "WH1/TRUCK", 1, at=at(4, 9)))
    post(world, mv("BOLT", "WH1/TRUCK", "@customer", 1, at=at(4, 10)))
    post(world, mv("BOLT", "@supplier", "WH1/A/01", 5, at=at(4, 13)))
    post(world, mv("BOLT", "WH1/A/01", "@customer", 2, at=at(4, 13)))
    return world


def rows(got: dict[str, object]) -> list[tuple[date, int, Decimal, int]]:
    series = got["series"]
    assert isinstance(series, list)
    return [(x["start"], x["days"], x["qty"], x["stockout_days"]) for x in series]


def history(w: World, bucket: str, location: str = "WH1", **kw: object) -> dict[str, object]:
    kw = {"start": START, "end": END} | kw
    return demand.demand_history(w.db, w.actor, "BOLT", location, bucket, **kw)  # type: ignore[arg-type]


def test_weekly_demand_nets_sales_scrap_and_returns_and_marks_the_stockouts(w: World) -> None:
    got = history(w, "week")
    assert rows(got) == [
        (date(2026, 3, 23), 7, D(8), 1),
        (date(2026, 3, 30), 7, D(0), 5),
        (date(2026, 4, 6), 7, D(3), 3),
    ]
    assert [x["out_of_stock"] for x in got["series"]] == [True, True, True]  # type: ignore[index]
    assert got["total"] == D(11)
    assert got["location"] == "WH1"
    assert got["bucket"] == "week"


def test_monthly_buckets_split_at_the_first_of_the_month(w: World) -> None:
    assert rows(history(w, "month")) == [
        (date(2026, 3, 1), 9, D(8), 3),
        (date(2026, 4, 1), 12, D(3), 6),
    ]


def test_daily_buckets_are_dense_with_the_stockout_days_marked(w: World) -> None:
    got = {r[0]: r[1:] for r in rows(history(w, "day"))}
    assert len(got) == 21
    demanded = {d: q for d, (_, q, _) in got.items() if q}
    assert demanded == {
        date(2026, 3, 23): D(3),
        date(2026, 3, 26): D(1),
        date(2026, 3, 27): D(-1),
        date(2026, 3, 29): D(5),
        date(2026, 4, 7): D(2),
        date(2026, 4, 10): D(1),
    }
    out = sorted(d for d, (_, _, o) in got.items() if o)
    first_gap = [date(2026, 3, 29) + timedelta(days=i) for i in range(6)]
    assert out == [*first_gap, date(2026, 4, 10), date(2026, 4, 11), date(2026, 4, 12)]
    assert all(n == 1 and o in (0, 1) for n, _, o in got.values())


def test_partial_weeks_at_the_edges_count_only_the_days_in_the_range(w: World) -> None:
    got = rows(history(w, "week", start=date(2026, 3, 26), end=date(2026, 4, 7)))
    assert got == [
        (date(2026, 3, 23), 4, D(5), 1),  # Thu 26 .. Sun 29: scrap 1, return -1, sale 5
        (date(2026, 3, 30), 7, D(0), 5),
        (date(2026, 4, 6), 2, D(2), 0),  # Mon 6, Tue 7
    ]


def test_a_sub_location_and_another_warehouse_have_their_own_history(w: World) -> None:
    # A/02: 2 in on 03-24, 1 out to WH2 on 03-25, 1 sold on 03-29; empty before 03-24.
    assert rows(history(w, "week", "WH1/A/02")) == [
        (date(2026, 3, 23), 7, D(1), 2 + 1),  # 23 (nothing yet), 24 (started at 0), 29
        (date(2026, 3, 30), 7, D(0), 7),
        (date(2026, 4, 6), 7, D(0), 7),
    ]
    # WH2 got 1 on 03-25 and never sold it: no demand, out only until it arrived.
    assert rows(history(w, "week", "WH2")) == [
        (date(2026, 3, 23), 7, D(0), 3),
        (date(2026, 3, 30), 7, D(0), 0),
        (date(2026, 4, 6), 7, D(0), 0),
    ]


def test_an_item_never_stocked_there_is_out_of_stock_every_day(w: World) -> None:
    got = demand.demand_history(w.db, w.actor, "FLOUR", "WH1", "month", START, END)
    assert rows(got) == [
        (date(2026, 3, 1), 9, D("0.000"), 9),
        (date(2026, 4, 1), 12, D("0.000"), 12),
    ]


def test_quantities_keep_the_item_precision(w: World) -> None:
    post(w, mv("FLOUR", "@supplier", "WH1/A/01", "2.5", at=at(3, 23)))
    post(w, mv("FLOUR", "WH1/A/01", "@customer", "0.125", at=at(3, 24)))
    post(w, mv("FLOUR", "@customer", "WH1/A/01", "0.025", at=at(3, 25)))
    got = demand.demand_history(w.db, w.actor, "FLOUR", "WH1", "week", START, END)
    assert [str(q) for _, _, q, _ in rows(got)] == ["0.100", "0.000", "0.000"]
    assert [o for *_, o in rows(got)] == [1, 0, 0]  # 03-23 started with nothing


def test_the_bulk_form_answers_arrays_per_item_in_the_order_asked(w: World) -> None:
    got = demand.demand_histories(w.db, w.actor, "WH1", ["FLOUR", "BOLT"], "week", START, END)
    assert (got.location, got.bucket.value, got.start, got.end) == ("WH1", "week", START, END)
    series = got.series
    assert [s.sku for s in series] == ["FLOUR", "BOLT"]
    assert series[1].starts == [date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6)]
    assert series[1].qty == [D(8), D(0), D(3)]
    assert series[1].stockout_days == [1, 5, 3]
    assert series[0].stockout_days == [7, 7, 7]


def test_another_organisation_sees_none_of_it(w: World, db: Database) -> None:
    other = make_org(db)
    build_world(db, other.actor)
    got = demand.demand_history(db, other.actor, "BOLT", "WH1", "week", START, END)
    assert [q for _, _, q, _ in rows(got)] == [D(0), D(0), D(0)]


def test_a_user_restricted_to_another_warehouse_is_refused(w: World) -> None:
    name = f"c-{w.org_id}"
    accounts.create_user(
        w.db, w.actor, username=name, password="password-1", role="clerk", warehouses=["WH2"]
    )
    clerk = accounts.authenticate(w.db, accounts.login(w.db, name, "password-1").token)
    with pytest.raises(Forbidden) as err:
        demand.demand_history(w.db, clerk, "BOLT", "WH1/A/01", "week", START, END)
    assert err.value.code == "warehouse_not_allowed"
    with pytest.raises(Forbidden):
        demand.demand_histories(w.db, clerk, "WH1", ["BOLT"], "week", START, END)
    got = demand.demand_history(w.db, clerk, "BOLT", "WH2/STOCK", "week", START, END)
    assert [o for *_, o in rows(got)] == [3, 0, 0]


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"bucket": "year"}, "invalid_bucket"),
        ({"bucket": ""}, "invalid_bucket"),
        ({"start": date(2026, 4, 2), "end": date(2026, 4, 1)}, "invalid_range"),
        ({"start": date(2020, 1, 1), "end": date(2026, 1, 1)}, "range_too_long"),
        ({"location": "@customer"}, "not_a_stock_location"),
    ],
)
def test_bad_input_is_refused_with_a_code(w: World, kw: dict[str, object], code: str) -> None:
    args: dict[str, object] = {"sku": "BOLT", "location": "WH1", "bucket": "week"}
    args |= {"start": START, "end": END} | kw
    with pytest.raises(InvalidInput) as err:
        demand.demand_history(w.db, w.actor, **args)  # type: ignore[arg-type]
    assert err.value.code == code


def test_five_years_of_days_is_the_longest_range(w: World) -> None:
    end = date(2026, 1, 1)
    got = demand.demand_history(w.db, w.actor, "BOLT", "WH1", "month", end - timedelta(1829), end)
    assert sum(x["days"] for x in got["series"]) == 1830  # type: ignore[attr-defined]


def test_unknown_sku_and_location_are_not_found(w: World) -> None:
    with pytest.raises(NotFound) as err:
        demand.demand_history(w.db, w.actor, "NOPE", "WH1", "week", START, END)
    assert err.value.code == "sku_not_found"
    with pytest.raises(NotFound) as err:
        demand.demand_history(w.db, w.actor, "BOLT", "WH9", "week", START, END)
    assert err.value.code == "location_not_found"
    with pytest.raises(InvalidInput) as bad:
        demand.demand_histories(w.db, w.actor, "WH1", [], "week", START, END)
    assert bad.value.code == "no_items"
