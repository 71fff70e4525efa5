"""demand_matrix: every item of a scope at once, on SQLite and PostgreSQL, against the bulk
series form item by item and against a replay of the movements in Python.

The fixture is the hand-checked BOLT history of test_demand_history.py (sales, scrap, a return,
transfers between bins, to another warehouse and through a transit location, two stockouts)
plus, in both warehouses: FLOUR (3 decimals, sold and returned in fractions, sold out in WH2),
MILK (lots, scrapped at expiry), OLD (moved only before the range: in the matrix, out of stock
every day), LATE (first moved after the range: not in it) and GONE (deactivated: not in it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select

from onhand.domain.demand import Bucket, bucket_start, days_of
from onhand.domain.errors import InvalidInput, NotFound
from onhand.services import demand, items
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, post

D = Decimal
START, END = date(2026, 3, 23), date(2026, 4, 12)
SCOPES = ("WH1", "WH1/A", "WH1/A/01", "WH2")


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    items.create_items(
        db,
        org.actor,
        [items.ItemCreate(sku=s, name=s.title()) for s in ("OLD", "LATE", "GONE")],
    )
    bolt = [
        ("@supplier", "WH1/A/01", 10, at(3, 20)),
        ("WH1/A/01", "@customer", 1, at(3, 21)),
        ("WH1/A/01", "@customer", 3, at(3, 23)),
        ("WH1/A/01", "WH1/A/02", 2, at(3, 24)),
        ("WH1/A/02", "WH2/STOCK", 1, at(3, 25)),
        ("WH1/A/01", "@scrap", 1, at(3, 26)),
        ("@customer", "WH1/A/01", 1, at(3, 27)),
    ]
    for src, dst, q, when in bolt:
        post(world, mv("BOLT", src, dst, q, at=when))
    post(
        world,
        mv("BOLT", "WH1/A/01", "@customer", 4, at=at(3, 29, 23)),
        mv("BOLT", "WH1/A/02", "@customer", 1, at=at(3, 29, 23)),
    )
    later = [
        ("@supplier", "WH1/RECV", 4, at(4, 3)),
        ("WH1/RECV", "WH1/A/01", 4, at(4, 3, 11)),
        ("WH1/A/01", "@customer", 2, at(4, 7)),
        ("WH1/A/01", "@adjustment", 1, at(4, 8)),
        ("WH1/A/01", "WH1/TRUCK", 1, at(4, 9)),
        ("WH1/TRUCK", "@customer", 1, at(4, 10)),
        ("@supplier", "WH1/A/01", 5, at(4, 13)),
        ("WH1/A/01", "@customer", 2, at(4, 13)),
    ]
    for src, dst, q, when in later:
        post(world, mv("BOLT", src, dst, q, at=when))
    flour = [
        ("@supplier", "WH1/A/02", "12.5", at(3, 22)),
        ("@supplier", "WH2/STOCK", "3", at(3, 22)),
        ("WH1/A/02", "@customer", "1.25", at(3, 24, 9)),
        ("WH1/A/02", "@customer", "0.75", at(3, 24, 15)),
        ("@customer", "WH1/A/02", "0.125", at(3, 30)),
        ("WH2/STOCK", "@customer", "3", at(4, 1, 0)),
        ("WH1/A/02", "WH2/STOCK", "2", at(4, 5)),
        ("WH2/STOCK", "@scrap", "0.5", at(4, 6, 23)),
        ("WH1/A/02", "@customer", "8.625", at(4, 12, 23)),
    ]
    for src, dst, q, when in flour:
        post(world, mv("FLOUR", src, dst, q, at=when))
    milk = [
        ("@supplier", "WH1/A/01", 6, at(3, 23), "M1"),
        ("@supplier", "WH2/STOCK", 6, at(3, 23), "M2"),
        ("WH1/A/01", "@customer", 4, at(3, 28), "M1"),
        ("WH1/A/01", "@scrap", 2, at(4, 2), "M1"),
        ("WH2/STOCK", "@customer", 1, at(4, 4), "M2"),
    ]
    for src, dst, q, when, lot in milk:
        post(world, mv("MILK", src, dst, q, lot=lot, expiry=date(2026, 4, 30), at=when))
    post(world, mv("OLD", "@supplier", "WH1/A/01", 1, at=at(3, 1)))
    post(world, mv("OLD", "WH1/A/01", "@customer", 1, at=at(3, 2)))
    post(world, mv("LATE", "@supplier", "WH1/A/01", 1, at=at(4, 14)))
    post(world, mv("GONE", "@supplier", "WH2/STOCK", 1, at=at(3, 1)))
    post(world, mv("GONE", "WH2/STOCK", "@customer", 1, at=at(3, 24)))
    items.deactivate_item(db, org.actor, "GONE")
    return world


def test_every_active_item_that_moved_in_the_scope_is_a_row_in_sku_order(w: World) -> None:
    got = demand.demand_matrix(w.db, w.actor, "WH1", "week", START, END)
    assert got.skus == ["BOLT", "FLOUR", "MILK", "OLD"]
    assert got.starts == [date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6)]
    assert got.days.tolist() == [7, 7, 7]
    assert got.qty.shape == got.stockout_days.shape == (4, 3)
    assert got.precisions.tolist() == [0, 3, 1, 0]
    # BOLT as worked out by hand in test_demand_history.py.
    assert got.qty[0].tolist() == [8.0, 0.0, 3.0]
    assert got.stockout_days[0].tolist() == [1, 5, 3]
    # FLOUR at WH1: 12.5 in on 03-22, 2 sold on 03-24, 0.125 back on 03-30, 8.625 sold out on 04-12 at 23:00.
    assert got.qty[1].tolist() == [2.0, -0.125, 8.625]
    assert got.stockout_days[1].tolist() == [0, 0, 1]  # sold out on 04-12
    # OLD sold its only unit before the range: no demand, out every day.
    assert got.qty[3].tolist() == [0.0, 0.0, 0.0]
    assert got.stockout_days[3].tolist() == [7, 7, 7]
    wh2 = demand.demand_matrix(w.db, w.actor, "WH2", "week", START, END)
    assert wh2.skus == ["BOLT", "FLOUR", "MILK"]  # GONE is inactive


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_the_matrix_equals_the_series_form_item_by_item(w: World, scope: str, bucket: str) -> None:
    got = demand.demand_matrix(w.db, w.actor, scope, bucket, START, END)
    series = demand.demand_histories(w.db, w.actor, scope, got.skus, bucket, START, END)
    assert got.skus
    assert [s.sku for s in series.series] == got.skus
    for row, s in enumerate(series.series):
        assert s.starts == got.starts
        assert s.days == got.days.tolist()
        assert [float(q) for q in s.qty] == got.qty[row].tolist()
        assert s.stockout_days == got.stockout_days[row].tolist()


def replay(w: World, sku: str, scope: str, bucket: Bucket) -> tuple[list[int], list[int]]:
    """Net demand (micro-units) and out-of-stock days per bucket, from the raw movement rows
    replayed one instant at a time in Python."""
    loc, it, m = tables.locations, tables.items, tables.movements
    with w.db.reading() as uow:
        paths = dict(uow.conn.execute(select(loc.c.id, loc.c.path)).all())
        kinds = dict(uow.conn.execute(select(loc.c.id, loc.c.kind)).all())
        item_id = uow.conn.execute(
            select(it.c.id).where(it.c.org_id == w.org_id, it.c.sku == sku)
        ).scalar_one()
        rows = uow.conn.execute(
            select(m.c.from_location_id, m.c.to_location_id, m.c.qty, m.c.effective_at).where(
                m.c.org_id == w.org_id, m.c.item_id == item_id
            )
        ).all()

    def inside(lid: int) -> bool:
        path = paths[lid]
        stocked = kinds[lid] in ("internal", "transit")
        return stocked and (path == scope or path.startswith(scope + "/"))

    def outward(lid: int) -> bool:
        return kinds[lid] in ("customer", "scrap")

    change: dict[datetime, int] = defaultdict(int)
    qty: dict[date, int] = defaultdict(int)
    for src, dst, q, when in rows:
        change[when] += q * inside(dst) - q * inside(src)
        if START <= when.date() <= END:
            qty[when.date()] += q * (inside(src) and outward(dst))
            qty[when.date()] -= q * (outward(src) and inside(dst))
    balance = sum(d for when, d in change.items() if when.date() < START)
    by_bucket: dict[date, list[int]] = {}
    for day in days_of(START, END):
        low = balance
        for when in sorted(x for x in change if x.date() == day):
            balance += change[when]
            low = min(low, balance)
        cell = by_bucket.setdefault(bucket_start(day, bucket), [0, 0])
        cell[0] += qty[day]
        cell[1] += low <= 0
    return [c[0] for c in by_bucket.values()], [c[1] for c in by_bucket.values()]


@pytest.mark.parametrize("scope", SCOPES)
def test_the_matrix_equals_a_replay_of_the_movements(w: World, scope: str) -> None:
    for bucket in (Bucket.DAY, Bucket.WEEK):
        got = demand.demand_matrix(w.db, w.actor, scope, bucket.value, START, END)
        for row, sku in enumerate(got.skus):
            micro, outs = replay(w, sku, scope, bucket)
            assert got.qty[row].tolist() == [q / 10**6 for q in micro], (sku, bucket)
            assert got.stockout_days[row].tolist() == outs, (sku, bucket)


def test_skus_asked_come_back_in_the_order_asked(w: World) -> None:
    got = demand.demand_matrix(
        w.db, w.actor, "WH1", "month", START, END, skus=["MILK", "LATE", "BOLT"]
    )
    assert got.skus == ["MILK", "LATE", "BOLT"]
    assert got.starts == [date(2026, 3, 1), date(2026, 4, 1)]
    assert got.days.tolist() == [9, 12]
    assert got.qty.tolist() == [[4.0, 2.0], [0.0, 0.0], [8.0, 3.0]]
    # MILK: 6 of lot M1 arrived 03-23 10:00 (the day started with none); 4 sold, 2 scrapped on
    # 04-02, out from then on.
    assert got.stockout_days.tolist() == [[1, 11], [9, 12], [3, 6]]
    assert got.item_ids.dtype == np.int64
    assert len(set(got.item_ids.tolist())) == 3


def test_a_range_with_no_movements_gives_rows_of_zeros(w: World) -> None:
    # Before anything moved: no item has history up to then, so no rows.
    got = demand.demand_matrix(w.db, w.actor, "WH1", "week", date(2026, 1, 5), date(2026, 1, 18))
    assert got.skus == []
    assert got.qty.shape == got.stockout_days.shape == (0, 2)


def test_bad_questions_are_refused_with_a_code(w: World) -> None:
    with pytest.raises(InvalidInput) as bad:
        demand.demand_matrix(w.db, w.actor, "WH1", "week", START, END, skus=[])
    assert bad.value.code == "no_items"
    with pytest.raises(InvalidInput) as bad:
        demand.demand_matrix(w.db, w.actor, "@customer", "week", START, END)
    assert bad.value.code == "not_a_stock_location"
    with pytest.raises(InvalidInput) as bad:
        demand.demand_matrix(w.db, w.actor, "WH1", "year", START, END)
    assert bad.value.code == "invalid_bucket"
    with pytest.raises(NotFound) as missing:
        demand.demand_matrix(w.db, w.actor, "WH1", "week", START, END, skus=["NOPE"])
    assert missing.value.code == "sku_not_found"
    with pytest.raises(NotFound) as missing:
        demand.demand_matrix(w.db, w.actor, "WH9", "week", START, END)
    assert missing.value.code == "location_not_found"
