"""The demo organisation: built through the services, verifiable, with stock in every warehouse
and the kinds of history a planner needs. Small parameters keep it quick (SQLite file)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from onhand.domain.errors import Conflict
from onhand.services import (
    accounts,
    demo,
    picking,
    purchase_orders,
    queries,
    sales_orders,
    verify,
)
from onhand.services.demo_catalog import Profile, make_items
from onhand.store import tables
from onhand.store.unit_of_work import Database

TODAY = date(2024, 3, 1)  # any past day: the history ends the day before


def movement_rows(db: Database, org_id: int) -> list[tuple[object, ...]]:
    m, src, dst = tables.movements, tables.locations.alias("src"), tables.locations.alias("dst")
    q = (
        select(
            tables.items.c.sku,
            src.c.path,
            dst.c.path,
            m.c.qty,
            m.c.effective_at,
            m.c.ref_type,
            m.c.reason,
            tables.lots.c.code,
            tables.serials.c.serial,
        )
        .join(tables.items, tables.items.c.id == m.c.item_id)
        .join(src, src.c.id == m.c.from_location_id)
        .join(dst, dst.c.id == m.c.to_location_id)
        .outerjoin(tables.lots, tables.lots.c.id == m.c.lot_id)
        .outerjoin(tables.serials, tables.serials.c.id == m.c.serial_id)
        .where(m.c.org_id == org_id)
        .order_by(m.c.id)
    )
    with db.reading() as uow:
        return [tuple(r) for r in uow.conn.execute(q)]


def test_a_small_demo_verifies_and_holds_stock_in_every_warehouse(sqlite_db: Database) -> None:
    result = demo.build_demo(sqlite_db, item_count=30, days=30, seed=7, today=TODAY)
    assert verify.verify(sqlite_db).ok
    actor = accounts.authenticate(sqlite_db, result.token)
    assert actor.username == "demo"
    for warehouse in ("WH1", "WH2", "WH3"):
        stock = queries.on_hand_by_location(sqlite_db, actor, warehouse)["lines"]
        assert len(stock) >= 3, warehouse
        assert all(line["quantity"] > 0 for line in stock), warehouse
    # Open documents to work on: orders on their way in, orders waiting to be picked.
    assert [p["status"] for p in purchase_orders.list_pos(sqlite_db, actor)] == ["ordered"] * 3
    orders = sales_orders.list_orders(sqlite_db, actor)
    assert len(orders) == 5
    assert picking.create_pick_list(sqlite_db, actor, "WH1")["tasks"]
    rows = movement_rows(sqlite_db, result.org_id)
    assert len(rows) == result.movements > 500
    flows = Counter((src, dst) for _, src, dst, *_ in rows if "@" in src + dst)
    assert flows[("@supplier", "WH1/RECV")] > 0
    assert flows[("@transit", "WH3/RECV")] > 0
    assert sum(n for (s, d), n in flows.items() if d == "@customer") > 100
    assert sum(n for (s, d), n in flows.items() if d == "@transit") > 0
    assert any(d == "@scrap" for s, d in flows)
    reasons = Counter(r[6] for r in rows)
    assert reasons["opening_balance"] > 0
    assert reasons["count_loss"] + reasons["count_gain"] > 0
    putaways = [r for r in rows if r[5] == "PUTAWAY"]
    assert putaways
    assert all(r[1].endswith("/RECV") and r[2].count("/") == 3 for r in putaways)
    start = datetime(2024, 1, 31, tzinfo=UTC)
    assert all(start <= r[4] < datetime(2024, 3, 1, tzinfo=UTC) for r in rows)
    assert any(r[7] for r in rows), "lot-tracked items move with their lots"
    assert any(r[8] for r in rows), "serial-tracked items move unit by unit"


def test_the_same_seed_builds_the_same_history_and_another_seed_another(
    sqlite_db: Database,
) -> None:
    a = demo.build_demo(sqlite_db, slug="demo-a", item_count=10, days=5, seed=3, today=TODAY)
    b = demo.build_demo(sqlite_db, slug="demo-b", item_count=10, days=5, seed=3, today=TODAY)
    c = demo.build_demo(sqlite_db, slug="demo-c", item_count=10, days=5, seed=4, today=TODAY)
    history_a = movement_rows(sqlite_db, a.org_id)
    assert history_a == movement_rows(sqlite_db, b.org_id)
    assert history_a != movement_rows(sqlite_db, c.org_id)


def test_the_demo_refuses_a_second_organisation_of_the_same_name(sqlite_db: Database) -> None:
    demo.build_demo(sqlite_db, item_count=10, days=2, seed=1, today=TODAY)
    with sqlite_db.reading() as uow:
        before = uow.conn.execute(select(func.count()).select_from(tables.movements)).scalar()
    with pytest.raises(Conflict, match="--slug") as exc:
        demo.build_demo(sqlite_db, item_count=10, days=2, seed=1, today=TODAY)
    assert exc.value.code == "organisation_exists"
    with sqlite_db.reading() as uow:
        after = uow.conn.execute(select(func.count()).select_from(tables.movements)).scalar()
    assert after == before


def test_the_catalogue_mixes_every_demand_profile_tracking_mode_and_category() -> None:
    catalogue = make_items(random.Random(1), 300)
    assert len({i.sku for i in catalogue}) == 300
    profiles = Counter(i.profile for i in catalogue)
    assert all(profiles[p] >= 20 for p in Profile), profiles
    tracking = Counter(i.create.tracking for i in catalogue)
    assert tracking["lot"] >= 30
    assert 2 <= tracking["serial"] <= 10
    assert all(i.create.shelf_life_days for i in catalogue if i.create.tracking == "lot")
    assert len({i.category.name for i in catalogue}) >= 8
    assert any(i.create.precision == 3 for i in catalogue)
    barcodes = [b for i in catalogue for b in i.create.barcodes]
    assert len(barcodes) == len(set(barcodes)) > 200
    assert all(len(b) == 13 and b.isdigit() for b in barcodes)
    seasonal = [i for i in catalogue if i.profile is Profile.SEASONAL]
    assert {i.category.name for i in seasonal} <= {"Garden", "Heating"}
    assert all(3 <= i.lead_time <= 14 for i in catalogue)
