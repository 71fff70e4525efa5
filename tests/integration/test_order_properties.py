"""Properties of reservations under random sequences of receipts, orders, picks (some short),
shipments, cancellations and losses, through the real services on SQLite:

- what the commitment rows say is reserved equals the sum of the order lines' reservations;
- a new order reserves exactly what was available to promise when it was created (capped at
  what it asks for): earlier backorders keep their turn, also for stock that arrived by a plain
  movement, and an order never takes stock that ATP had promised to others;
- no line ever has more reserved + shipped + cancelled than ordered (the database checks it);
- the ledger verifies at the end.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from onhand.domain.errors import OnhandError
from onhand.services import (
    availability,
    locations,
    picking,
    sales_orders,
    shipping,
    verify,
)
from onhand.services.availability import AtpRequest
from onhand.services.picking import PickConfirmation
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import make_org
from tests.integration.ledger_helpers import build_world, mv, post

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.integers(1, 8)),
        st.tuples(st.just("order"), st.integers(1, 6)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("pick"), st.integers(0, 3)),
        st.tuples(st.just("ship"), st.integers(0, 20)),
        st.tuples(st.just("lose"), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=14,
)


def reserved_agree(db: Database) -> None:
    with db.reading() as uow:
        held = uow.conn.execute(select(func.coalesce(func.sum(tables.commitments.c.reserved), 0)))
        lines = uow.conn.execute(
            select(func.coalesce(func.sum(tables.sales_order_lines.c.qty_reserved), 0))
        )
        assert held.scalar_one() == lines.scalar_one()


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
# A backorder waits, stock arrives by a plain movement, a new order comes: the backorder first.
@example(steps=[("order", 2), ("receive", 3), ("order", 2)])
def test_reservations_stay_consistent_whatever_happens(sqlite_db: Database, steps: list) -> None:  # type: ignore[type-arg]
    org = make_org(sqlite_db)
    w = build_world(sqlite_db, org.actor)
    db, actor = sqlite_db, org.actor
    locations.create_location(db, actor, code="OUT", parent="WH1")
    sales_orders.set_warehouse_settings(db, actor, "WH1", outbound="WH1/OUT")
    orders: list[str] = []
    for op, n in steps:
        try:
            if op == "receive":
                post(w, mv("BOLT", "@supplier", "WH1/A/01", n))
            elif op == "order":
                now = availability.available_to_promise(db, actor, "WH1", [AtpRequest("BOLT")])
                can = now["items"][0]["atp_now"]
                made = sales_orders.create_order(
                    db,
                    actor,
                    SoCreate(
                        customer="c", warehouse="WH1", lines=[SoLineInput("BOLT", Decimal(n))]
                    ),
                )
                orders.append(made["number"])
                assert made["lines"][0]["reserved"] == min(Decimal(n), can)
            elif op == "cancel" and orders:
                sales_orders.cancel_order(db, actor, orders[n % len(orders)])
            elif op == "pick":
                pl = picking.create_pick_list(db, actor, "WH1")
                confirmations = [
                    PickConfirmation(t["seq"], t["location"], max(t["quantity"] - n, Decimal(0)))
                    for t in pl["tasks"]
                ]
                picking.confirm_picks(db, actor, pl["number"], confirmations)
            elif op == "ship" and orders:
                shipping.ship_order(db, actor, orders[n % len(orders)])
            elif op == "lose":
                post(w, mv("BOLT", "WH1/A/01", "@scrap", n))
            event(f"{op} done")
        except OnhandError as exc:
            # A refused step changes nothing; the invariants below must still hold.
            event(f"{op} refused: {exc.code}")
        reserved_agree(db)
    assert verify.verify(db).findings == []
