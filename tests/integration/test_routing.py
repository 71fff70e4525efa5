"""Order routing over several warehouses through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onhand.domain.errors import NotFound
from onhand.services import locations, routing, sales_orders
from onhand.services.routing import PlanLine
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, post

D = Decimal


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    locations.create_location(db, org.actor, code="WH3")
    return world


def shipments(got: dict[str, object]) -> list[tuple[str, list[tuple[str, Decimal]]]]:
    return [
        (s["warehouse"], [(x["sku"], x["quantity"]) for x in s["lines"]])  # type: ignore[index]
        for s in got["shipments"]  # type: ignore[attr-defined]
    ]


def test_one_warehouse_that_has_everything_wins_by_priority(w: World) -> None:
    post(
        w,
        mv("BOLT", "@supplier", "WH1/A/01", 5),
        mv("FLOUR", "@supplier", "WH1/A/01", 5),
        mv("BOLT", "@supplier", "WH3", 5),
        mv("FLOUR", "@supplier", "WH3", 5),
    )
    lines = [PlanLine("BOLT", D(3)), PlanLine("FLOUR", D(2))]
    assert [s for s, _ in shipments(routing.plan(w.db, w.actor, lines))] == ["WH1"]
    sales_orders.set_warehouse_settings(w.db, w.actor, "WH3", priority=1)
    got = routing.plan(w.db, w.actor, lines)
    assert shipments(got) == [("WH3", [("BOLT", D(3)), ("FLOUR", D("2.000"))])]
    assert got["complete"] is True


def test_a_split_uses_the_fewest_shipments_and_reports_what_is_left(w: World) -> None:
    post(
        w,
        mv("BOLT", "@supplier", "WH1/A/01", 2),
        mv("BOLT", "@supplier", "WH2/STOCK", 1),
        mv("FLOUR", "@supplier", "WH2/STOCK", 1),
        mv("BOLT", "@supplier", "WH3", 4),
    )
    # WH3 has all the bolts, WH2 the flour: two shipments, not three.
    got = routing.plan(w.db, w.actor, [PlanLine("BOLT", D(4)), PlanLine("FLOUR", D(1))])
    assert sorted(s for s, _ in shipments(got)) == ["WH2", "WH3"]
    short = routing.plan(w.db, w.actor, [PlanLine("FLOUR", D(3))])
    assert short["complete"] is False
    assert [(x["sku"], x["quantity"]) for x in short["unfilled"]] == [("FLOUR", D("2.000"))]


def test_reserved_stock_is_not_offered(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5), mv("BOLT", "@supplier", "WH3", 2))
    sales_orders.create_order(
        w.db, w.actor, SoCreate(customer="c", warehouse="WH1", lines=[SoLineInput("BOLT", D(4))])
    )
    got = routing.plan(w.db, w.actor, [PlanLine("BOLT", D(2))])
    assert [s for s, _ in shipments(got)] == ["WH3"]
    with pytest.raises(NotFound):
        routing.plan(w.db, w.actor, [PlanLine("NOPE", D(1))])
