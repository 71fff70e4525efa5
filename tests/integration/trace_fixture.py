"""A lot's life through the real services, for the traceability tests: receipts on two purchase
orders (one received in two parts), a transfer between warehouses through transit and another
still in transit, partial shipments to several customers, a customer return, scrap, a count
loss and a return to the supplier; and a serial shipped and returned.

Lot L1 of MILK, in units:
    received 40 (PO-A, first receipt) + 20 (PO-A, second) + 15 (PO-B)        = 75
    shipped  Alice 10 (SO1), Bob 10 + 6 (SO2, two shipments), Carol 5 (SO3)  = 31
    returned Bob 3 into quarantine                                            =  3
    scrapped 2 at WH2, count loss 1 at WH1, returned to supplier 1 (PO-B)
    on hand  WH1/RECV 23, WH1/QUAR 3, WH2/STOCK 13, @transit 4               = 43
Lot L2 (10, on PO-B) is never shipped: it must stay out of L1's trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from onhand.domain.access import Actor
from onhand.services import (
    locations,
    picking,
    purchase_orders,
    queries,
    receiving,
    returns,
    sales_orders,
    shipping,
    suppliers,
    transfers,
)
from onhand.services.picking import PickConfirmation
from onhand.services.purchase_orders import PoCreate, PoLineInput
from onhand.services.receiving import ReceiptLineInput
from onhand.services.returns import ReturnCreate, ReturnLine, SupplierReturnCreate
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.services.transfers import TransferCreate, TransferLineInput
from onhand.store.unit_of_work import Database
from tests.integration.ledger_helpers import World, build_world, mv, post

D = Decimal
L1_EXPIRY = date.today() + timedelta(days=60)
L2_EXPIRY = date.today() + timedelta(days=90)


@dataclass
class LotStory:
    """What the fixture made: document numbers by role."""

    po_a: str
    po_b: str
    orders: dict[str, str]  # customer -> sales order number
    transfer_received: str
    transfer_in_transit: str
    serial: str  # the PHONE serial shipped to Erin and returned
    other_serial: str


def ship(db: Database, actor: Actor, customer: str, warehouse: str, sku: str, qty: int) -> str:
    """A sales order, picked as its pick list says and shipped; the order's number."""
    number = str(
        sales_orders.create_order(
            db,
            actor,
            SoCreate(customer=customer, warehouse=warehouse, lines=[SoLineInput(sku, D(qty))]),
        )["number"]
    )
    pick_and_ship(db, actor, number, warehouse)
    return number


def pick_and_ship(db: Database, actor: Actor, number: str, warehouse: str) -> None:
    """Pick what is reserved for the order, as its tasks say, and ship it."""
    pl = picking.create_pick_list(db, actor, warehouse, orders=[number])
    picking.confirm_picks(
        db,
        actor,
        pl["number"],
        [
            PickConfirmation(t["seq"], t["location"], D(t["quantity"]), t["lot"], t["serial"])
            for t in pl["tasks"]
        ],
    )
    shipping.ship_order(db, actor, number)


def build_lot_story(db: Database, actor: Actor) -> LotStory:
    """The fixture of the module docstring, in an organisation with nothing yet."""
    build_world(db, actor)
    for code, parent in (("OUT", "WH1"), ("QUAR", "WH1"), ("OUT", "WH2")):
        locations.create_location(db, actor, code=code, parent=parent)
    quarantine = locations.get_location(db, actor, path="WH1/QUAR")
    locations.update_location(db, actor, quarantine["id"], on_hold=True)
    sales_orders.set_warehouse_settings(db, actor, "WH1", outbound="WH1/OUT")
    sales_orders.set_warehouse_settings(db, actor, "WH2", outbound="WH2/OUT")
    for code in ("ACME", "BETA"):
        suppliers.create_supplier(
            db, actor, suppliers.SupplierCreate(code=code, name=code.title(), over_receipt_pct=0)
        )

    def po(supplier: str, *lines: tuple[str, int]) -> str:
        made = purchase_orders.create_po(
            db,
            actor,
            PoCreate(
                supplier=supplier,
                receive_to="WH1/RECV",
                lines=[PoLineInput(sku, D(q), unit_price=D("1.5")) for sku, q in lines],
            ),
        )
        purchase_orders.order_po(db, actor, made["number"])
        return str(made["number"])

    po_a = po("ACME", ("MILK", 60), ("PHONE", 2))
    po_b = po("BETA", ("MILK", 25))
    receiving.receive(
        db,
        actor,
        po_a,
        [
            ReceiptLineInput(1, D(40), lot="L1", expiry_date=L1_EXPIRY),
            ReceiptLineInput(2, D(2), serials=["SN-1", "SN-2"]),
        ],
    )
    post_move(db, actor, "WH1/RECV", "WH1/A/01", 40)  # put-away
    orders = {"Alice": ship(db, actor, "Alice", "WH1", "MILK", 10)}
    tr1 = transfers.create_transfer(
        db,
        actor,
        TransferCreate("WH1/A/01", "WH2/STOCK", [TransferLineInput("MILK", D(20), lot="L1")]),
    )
    transfers.ship_transfer(db, actor, tr1["number"])
    transfers.receive_transfer(db, actor, tr1["number"])
    # Bob orders 16 with 10 free: 10 ship now, 6 wait for the next receipt.
    bob = str(
        sales_orders.create_order(
            db, actor, SoCreate(customer="Bob", warehouse="WH1", lines=[SoLineInput("MILK", D(16))])
        )["number"]
    )
    orders["Bob"] = bob
    pick_and_ship(db, actor, bob, "WH1")
    receiving.receive(db, actor, po_a, [ReceiptLineInput(1, D(20), lot="L1")])
    receiving.receive(
        db,
        actor,
        po_b,
        [
            ReceiptLineInput(1, D(15), lot="L1"),
            ReceiptLineInput(1, D(10), lot="L2", expiry_date=L2_EXPIRY),
        ],
    )
    pick_and_ship(db, actor, bob, "WH1")  # the backordered 6, reserved on arrival
    returns.return_goods(
        db,
        actor,
        ReturnCreate(
            to="WH1/QUAR", reason="damaged", order=bob, lines=[ReturnLine("MILK", D(3), lot="L1")]
        ),
    )
    orders["Carol"] = ship(db, actor, "Carol", "WH2", "MILK", 5)
    returns.scrap(
        db, actor, sku="MILK", source="WH2/STOCK", quantity=D(2), reason="damaged", lot="L1"
    )
    post(World(db, actor), mv("MILK", "WH1/RECV", "@adjustment", 1, lot="L1"))  # count loss
    returns.return_to_supplier(
        db,
        actor,
        SupplierReturnCreate(
            supplier="BETA",
            source="WH1/RECV",
            reason="defective",
            order=po_b,
            lines=[ReturnLine("MILK", D(1), lot="L1")],
        ),
    )
    tr2 = transfers.create_transfer(
        db,
        actor,
        TransferCreate("WH1/RECV", "WH2/STOCK", [TransferLineInput("MILK", D(4), lot="L1")]),
    )
    transfers.ship_transfer(db, actor, tr2["number"])
    # A serial: shipped to Erin, who sends it back.
    erin = ship(db, actor, "Erin", "WH1", "PHONE", 1)
    orders["Erin"] = erin
    serial = shipped_serial(db, actor, erin)
    returns.return_goods(
        db,
        actor,
        ReturnCreate(
            to="WH1/A/02",
            reason="unwanted",
            order=erin,
            lines=[ReturnLine("PHONE", D(1), serial=serial)],
        ),
    )
    return LotStory(
        po_a=po_a,
        po_b=po_b,
        orders=orders,
        transfer_received=str(tr1["number"]),
        transfer_in_transit=str(tr2["number"]),
        serial=serial,
        other_serial="SN-2" if serial == "SN-1" else "SN-1",
    )


def post_move(db: Database, actor: Actor, source: str, destination: str, qty: int) -> None:
    """Move some of lot L1 between two stock locations (a put-away)."""
    post(World(db, actor), mv("MILK", source, destination, qty, lot="L1"))


def shipped_serial(db: Database, actor: Actor, order: str) -> str:
    """The serial an order's shipment took (from its movements)."""
    got = queries.item_history(db, actor, "PHONE", ref_type="SO", ref_id=order)
    return str(next(m["serial"] for m in got["movements"] if m["to"] == "@customer"))
