"""Prepared statements that take a whole list as one parameter (a JSON array on SQLite, an array
on PostgreSQL): awkward strings match exactly, empty and long lists work, results are converted
as SQLAlchemy would convert them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from onhand.services import sales_orders
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store import catalog, sales, sites
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import build_world, mv, post


def test_lists_of_awkward_strings_match_exactly(db: Database, org: Org) -> None:
    build_world(db, org.actor)
    asked = ["BOLT", "MILK", "x'y", 'q"]', "ü€", "", "BOLT ", "bolt", "[1,2]", "%", "_"]
    with db.reading() as uow:
        found = catalog.item_refs_by_sku(uow.conn, org.actor.org_id, asked)
    assert sorted(found) == ["BOLT", "MILK"]
    assert found["MILK"].tracking.value == "lot"


def test_empty_and_long_lists(db: Database, org: Org) -> None:
    w = build_world(db, org.actor)
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 7))
    with db.reading() as uow:
        conn, o = uow.conn, org.actor.org_id
        wh = sites.location_by_path(conn, o, "WH1").id
        bolt = catalog.item_refs_by_sku(conn, o, ["BOLT", "MILK"])["BOLT"].id
        many = [bolt, *range(10_000, 12_000)]  # 2,001 ids: past SQLite's old 999-parameter cap
        assert sales.available_now(conn, o, many, wh, date.today()) == {bolt: 7_000_000}
        assert sales.available_now(conn, o, [], wh, date.today()) == {}
        assert sales.reserved(conn, o, [], wh) == {}
        assert sales.backorders(conn, o, [], wh) == []


def test_dates_and_named_rows_come_back_converted(db: Database, org: Org) -> None:
    build_world(db, org.actor)
    due = date.today() + timedelta(days=3)
    sales_orders.create_order(
        db,
        org.actor,
        SoCreate(
            customer="c",
            warehouse="WH1",
            requested_date=due,
            lines=[SoLineInput("BOLT", Decimal(2))],
        ),
    )
    with db.reading() as uow:
        conn, o = uow.conn, org.actor.org_id
        wh = sites.location_by_path(conn, o, "WH1")
        assert (wh.path, wh.kind, wh.on_hold) == ("WH1", "internal", False)
        bolt = catalog.item_refs_by_sku(conn, o, ["BOLT"])["BOLT"].id
        (line,) = sales.backorders(conn, o, [bolt], wh.id)
        assert (line.due, line.qty) == (due, 2_000_000)
        assert isinstance(line.due, date)
