"""Transfers (direct and through transit), customer returns into stock or quarantine, and scrap,
through the real services on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from onhand.domain.errors import Conflict, IdempotencyConflict, InsufficientStock, InvalidInput
from onhand.services import (
    availability,
    locations,
    picking,
    postings,
    purchase_orders,
    return_history,
    returns,
    sales_orders,
    shipping,
    suppliers,
    transfers,
    verify,
)
from onhand.services.availability import AtpRequest
from onhand.services.picking import PickConfirmation
from onhand.services.purchase_orders import PoCreate, PoLineInput
from onhand.services.returns import ReturnCreate, ReturnLine, SupplierReturnCreate
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.services.suppliers import SupplierCreate
from onhand.services.transfers import TransferCreate, TransferLineInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post

D = Decimal
TODAY = date.today()


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    locations.create_location(db, org.actor, code="OUT", parent="WH1")
    locations.create_location(db, org.actor, code="QUAR", parent="WH1")
    quarantine = locations.get_location(db, org.actor, path="WH1/QUAR")
    locations.update_location(db, org.actor, quarantine["id"], on_hold=True)
    sales_orders.set_warehouse_settings(db, org.actor, "WH1", outbound="WH1/OUT")
    return world


def transfer(w: World, *lines: TransferLineInput, **kw: object) -> dict[str, object]:
    data = TransferCreate(source="WH1/A/01", destination="WH2/STOCK", lines=list(lines), **kw)  # type: ignore[arg-type]
    return transfers.create_transfer(w.db, w.actor, data)


def atp_wh2(w: World, sku: str) -> dict[str, object]:
    got = availability.available_to_promise(w.db, w.actor, "WH2", [AtpRequest(sku, D(5))])
    return dict(got["items"][0])


def test_a_direct_transfer_moves_at_once(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10))
    done = transfer(w, TransferLineInput("BOLT", D(4)), direct=True)
    assert done["status"] == "received"
    assert on_hand(w, "BOLT") == {
        ("WH1/A/01", None, None): D(6),
        ("WH2/STOCK", None, None): D(4),
    }


def test_a_transfer_through_transit_is_expected_then_in_transit_then_received(w: World) -> None:
    post(w, mv("MILK", "@supplier", "WH1/A/01", 10, lot="L1", expiry=TODAY + timedelta(days=30)))
    arrival = TODAY + timedelta(days=2)
    planned = transfer(w, TransferLineInput("MILK", D(6), lot="L1"), expected_arrival=arrival)
    number = str(planned["number"])
    assert planned["status"] == "planned"
    assert atp_wh2(w, "MILK")["expected"] == D(6)
    assert atp_wh2(w, "MILK")["earliest_date"] == arrival
    shipped = transfers.ship_transfer(w.db, w.actor, number, idempotency_key="k")
    assert shipped["status"] == "in_transit"
    assert transfers.ship_transfer(w.db, w.actor, number, idempotency_key="k")["replayed"]
    assert on_hand(w, "MILK")[("@transit", "L1", None)] == D(6)
    assert atp_wh2(w, "MILK")["expected"] == D(6)
    with pytest.raises(Conflict) as err:
        transfers.cancel_transfer(w.db, w.actor, number)
    assert err.value.code == "transfer_in_transit"
    transfers.receive_transfer(w.db, w.actor, number)
    assert on_hand(w, "MILK") == {
        ("WH1/A/01", "L1", None): D(4),
        ("WH2/STOCK", "L1", None): D(6),
    }
    got = atp_wh2(w, "MILK")
    assert (got["expected"], got["on_hand"]) == (D(0), D(6))
    assert verify.verify(w.db).findings == []


def test_arriving_transfers_serve_backorders_in_the_destination(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10))
    so = sales_orders.create_order(
        w.db, w.actor, SoCreate(customer="c", warehouse="WH2", lines=[SoLineInput("BOLT", D(3))])
    )
    assert so["lines"][0]["backordered"] == D(3)
    transfer(w, TransferLineInput("BOLT", D(5)), direct=True)
    line = sales_orders.get_order(w.db, w.actor, so["number"])["lines"][0]
    assert (line["reserved"], line["backordered"]) == (D(3), D(0))


def test_bad_transfers_are_refused(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 2))
    for lines, kw, code in (
        ([TransferLineInput("MILK", D(1))], {}, "lot_required"),
        ([TransferLineInput("NOPE", D(1))], {}, "sku_not_found"),
        ([], {}, "invalid_line_count"),
        ([TransferLineInput("BOLT", D(1))], {"via": "WH1/A/02"}, "wrong_location_kind"),
    ):
        with pytest.raises(InvalidInput) as err:
            transfer(w, *lines, **kw)
        assert err.value.code == code
    with pytest.raises(InsufficientStock):
        transfer(w, TransferLineInput("BOLT", D(3)), direct=True)
    planned = transfer(w, TransferLineInput("BOLT", D(3)))
    with pytest.raises(InsufficientStock):
        transfers.ship_transfer(w.db, w.actor, str(planned["number"]))
    assert transfers.get_transfer(w.db, w.actor, str(planned["number"]))["status"] == "planned"


def _shipped_order(w: World, qty: int) -> str:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", qty))
    number = str(
        sales_orders.create_order(
            w.db,
            w.actor,
            SoCreate(customer="c", warehouse="WH1", lines=[SoLineInput("BOLT", D(qty))]),
        )["number"]
    )
    pl = picking.create_pick_list(w.db, w.actor, "WH1")
    t = pl["tasks"][0]
    picking.confirm_picks(
        w.db, w.actor, pl["number"], [PickConfirmation(t["seq"], t["location"], t["quantity"])]
    )
    shipping.ship_order(w.db, w.actor, number)
    return number


def test_a_customer_return_goes_into_quarantine_and_is_not_available(w: World) -> None:
    number = _shipped_order(w, 5)
    back = returns.return_goods(
        w.db,
        w.actor,
        ReturnCreate(
            to="WH1/QUAR", reason="damaged", order=number, lines=[ReturnLine("BOLT", D(2))]
        ),
        idempotency_key="rma-1",
    )
    assert back["quarantined"] is True
    again = returns.return_goods(
        w.db,
        w.actor,
        ReturnCreate(
            to="WH1/QUAR", reason="damaged", order=number, lines=[ReturnLine("BOLT", D(2))]
        ),
        idempotency_key="rma-1",
    )
    assert again["replayed"] is True
    assert on_hand(w, "BOLT") == {("WH1/QUAR", None, None): D(2)}
    got = availability.available_to_promise(w.db, w.actor, "WH1", [AtpRequest("BOLT")])
    assert got["items"][0]["on_hand"] == D(0)
    with pytest.raises(InvalidInput) as err:
        returns.return_goods(
            w.db,
            w.actor,
            ReturnCreate(
                to="WH1/A/01", reason="unwanted", order=number, lines=[ReturnLine("BOLT", D(4))]
            ),
        )
    assert err.value.code == "return_exceeds_shipped"
    returns.return_goods(
        w.db,
        w.actor,
        ReturnCreate(
            to="WH1/A/01", reason="unwanted", order=number, lines=[ReturnLine("BOLT", D(3))]
        ),
    )
    line = sales_orders.get_order(w.db, w.actor, number)["lines"][0]
    assert line["shipped"] == D(5)
    with pytest.raises(IdempotencyConflict):
        returns.return_goods(
            w.db,
            w.actor,
            ReturnCreate(to="WH1/QUAR", reason="damaged", lines=[ReturnLine("BOLT", D(1))]),
            idempotency_key="rma-1",
        )


def test_scrap_needs_a_reason_code(w: World) -> None:
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 5))
    with pytest.raises(InvalidInput) as err:
        returns.scrap(
            w.db, w.actor, sku="BOLT", source="WH1/A/01", quantity=D(1), reason="Broken glass!"
        )
    assert err.value.code == "invalid_reason"
    returns.scrap(w.db, w.actor, sku="BOLT", source="WH1/A/01", quantity=D(2), reason="damaged")
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(3)}


def test_a_return_to_a_supplier_sends_stock_back_with_a_reason(w: World) -> None:
    suppliers.create_supplier(w.db, w.actor, SupplierCreate(code="ACME", name="Acme"))
    suppliers.create_supplier(w.db, w.actor, SupplierCreate(code="OTHER", name="Other"))
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10))
    po = purchase_orders.create_po(
        w.db,
        w.actor,
        PoCreate(supplier="OTHER", receive_to="WH1/RECV", lines=[PoLineInput("BOLT", D(1))]),
    )

    def send(quantity: int, **kw: object) -> dict[str, object]:
        data = SupplierReturnCreate(
            supplier="ACME",
            source="WH1/A/01",
            lines=[ReturnLine("BOLT", D(quantity))],
            **kw,  # type: ignore[arg-type]
        )
        return returns.return_to_supplier(w.db, w.actor, data, idempotency_key="rtv-1")

    with pytest.raises(InvalidInput) as err:
        send(3, reason="Broken!")
    assert err.value.code == "invalid_reason"
    with pytest.raises(InvalidInput) as err:
        send(3, reason="defective", order=po["number"])
    assert err.value.code == "po_of_another_supplier"
    with pytest.raises(InsufficientStock):
        send(11, reason="defective")
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(10)}
    sent = send(3, reason="defective")
    assert sent["supplier"] == "ACME"
    assert sent["replayed"] is False
    assert send(3, reason="defective")["replayed"] is True
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(7)}
    assert verify.verify(w.db).findings == []


def test_a_return_without_an_order_sent_twice_is_booked_once(w: World) -> None:
    data = ReturnCreate(to="WH1/A/01", reason="unwanted", lines=[ReturnLine("BOLT", D(2))])
    first = returns.return_goods(w.db, w.actor, data, idempotency_key="rma-twice")
    again = returns.return_goods(w.db, w.actor, data, idempotency_key="rma-twice")
    assert str(first["number"]).startswith("RMA-")
    assert again["replayed"] is True
    assert again["posting_id"] == first["posting_id"]
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(2)}
    other = ReturnCreate(to="WH1/A/01", reason="unwanted", lines=[ReturnLine("BOLT", D(3))])
    with pytest.raises(IdempotencyConflict):
        returns.return_goods(w.db, w.actor, other, idempotency_key="rma-twice")


def test_past_returns_are_read_back_by_kind_newest_first_a_page_at_a_time(w: World) -> None:
    suppliers.create_supplier(w.db, w.actor, SupplierCreate(code="ACME", name="Acme"))
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 10), mv("BOLT", "@supplier", "WH2/STOCK", 3))
    rma = returns.return_goods(
        w.db, w.actor, ReturnCreate("WH1/QUAR", "damaged", [ReturnLine("BOLT", D(1))])
    )
    data = SupplierReturnCreate("ACME", "WH1/A/01", "defective", [ReturnLine("BOLT", D(2))])
    rtv = returns.return_to_supplier(w.db, w.actor, data)
    scrapped = returns.scrap(
        w.db, w.actor, sku="BOLT", source="WH1/A/01", quantity=D(1), reason="damaged"
    )
    undone = postings.reverse_movement(w.db, w.actor, scrapped["movement_ids"][0])
    plain = post(w, mv("BOLT", "WH2/STOCK", "@scrap", 1))  # any write-off into scrap is scrap
    post(w, mv("BOLT", "WH1/A/01", "@customer", 1, ref="SO-1"))  # a sale is no return

    found = return_history.recent_returns(w.db, w.actor)
    assert [(m["kind"], m["from"], m["to"], m["reverses_id"]) for m in found["movements"]] == [
        ("scrap", "WH2/STOCK", "@scrap", None),
        ("scrap", "@scrap", "WH1/A/01", scrapped["movement_ids"][0]),
        ("scrap", "WH1/A/01", "@scrap", None),
        ("supplier_return", "WH1/A/01", "@supplier", None),
        ("customer_return", "@customer", "WH1/QUAR", None),
    ]
    assert found["movements"][0]["id"] == plain.movement_ids[0]
    assert found["movements"][1]["id"] == undone.movement_ids[0]
    assert (found["movements"][3]["ref_id"], found["movements"][4]["ref_id"]) == (
        "ACME",
        rma["number"],
    )
    assert found["movements"][3]["id"] == rtv["movement_ids"][0]
    assert {m["by"] for m in found["movements"]} == {w.actor.username}
    assert found["next_before_id"] is None

    first = return_history.recent_returns(w.db, w.actor, kind="scrap", limit=2)
    assert [m["id"] for m in first["movements"]] == [m["id"] for m in found["movements"][:2]]
    assert first["next_before_id"] == first["movements"][-1]["id"]
    rest = return_history.recent_returns(
        w.db, w.actor, kind="scrap", limit=2, before_id=first["next_before_id"]
    )
    assert [m["id"] for m in rest["movements"]] == [found["movements"][2]["id"]]
    assert rest["next_before_id"] is None
    wh2 = locations.get_location(w.db, w.actor, path="WH2")["id"]
    only_wh2 = replace(w.actor, warehouse_ids=frozenset({wh2}))
    mine = return_history.recent_returns(w.db, only_wh2)["movements"]
    assert [m["id"] for m in mine] == [plain.movement_ids[0]]
    for bad in ({"kind": "rma"}, {"limit": 0}, {"limit": 1001}):
        with pytest.raises(InvalidInput):
            return_history.recent_returns(w.db, w.actor, **bad)  # type: ignore[arg-type]
