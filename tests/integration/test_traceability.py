"""Traces, recalls and trace proofs through the real services, on SQLite and PostgreSQL, on a
lot with receipts from two purchase orders, transfers through transit, partial shipments to
several customers, a return, scrap, a count loss and a return to the supplier
(tests/integration/trace_fixture.py)."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.trace_proof import verify_proof
from onhand.services import (
    audit,
    availability,
    events,
    lots,
    picking,
    postings,
    queries,
    recalls,
    returns,
    sales_orders,
    shipping,
    trace_proofs,
    traceability,
    transfers,
    verify,
)
from onhand.services.availability import AtpRequest
from onhand.services.common import utcnow
from onhand.services.picking import PickConfirmation
from onhand.services.postings import MovementInput
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store import tables, verification
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import snapshot
from tests.integration.trace_fixture import LotStory, build_lot_story, pick_and_ship

D = Decimal


@pytest.fixture
def story(db: Database, org: Org) -> LotStory:
    return build_lot_story(db, org.actor)


def ledger_rows(db: Database, org_id: int, sku: str, *, lot: str | None = None,
                serial: str | None = None) -> list[Any]:  # fmt: skip
    """Every movement of the lot or serial, straight from the tables, with location kinds."""
    src, dst = aliased(tables.locations), aliased(tables.locations)
    m = tables.movements
    q = (
        select(m, src.c.kind.label("src_kind"), src.c.path.label("src_path"),
               dst.c.kind.label("dst_kind"), dst.c.path.label("dst_path"))
        .join(tables.items, tables.items.c.id == m.c.item_id)
        .join(src, src.c.id == m.c.from_location_id)
        .join(dst, dst.c.id == m.c.to_location_id)
        .outerjoin(tables.lots, tables.lots.c.id == m.c.lot_id)
        .outerjoin(tables.serials, tables.serials.c.id == m.c.serial_id)
        .where(m.c.org_id == org_id, tables.items.c.sku == sku)
    )  # fmt: skip
    q = q.where(tables.lots.c.code == lot) if lot else q.where(tables.serials.c.serial == serial)
    with db.reading() as uow:
        return list(uow.conn.execute(q.order_by(m.c.chain_seq)))


def brute_force(rows: list[Any]) -> dict[str, Any]:
    """The trace's numbers by walking every movement (plain loops, none of the code under
    test): micro-units per table."""
    out: dict[str, Any] = {
        "receipts": defaultdict(int),
        "customers": defaultdict(lambda: [0, 0]),
        "transfers": defaultdict(lambda: [0, 0]),
        "other": defaultdict(int),
        "on_hand": defaultdict(int),
        "totals": defaultdict(int),
    }
    stock = ("internal", "transit")
    for r in rows:
        s, d, q = r.src_kind, r.dst_kind, r.qty
        if d in stock:
            out["on_hand"][r.dst_path] += q
        if s in stock:
            out["on_hand"][r.src_path] -= q
        if s == "supplier":
            out["receipts"][(r.posting_id, r.dst_path)] += q
            out["totals"]["received"] += q
        elif d == "supplier":
            out["other"][("supplier_return", r.ref_id)] += q
            out["totals"]["returned_to_supplier"] += q
        elif d == "customer":
            out["customers"][r.ref_id][0] += q
            out["totals"]["shipped"] += q
        elif s == "customer":
            out["customers"][r.ref_id][1] += q
            out["totals"]["returned"] += q
        elif d == "scrap":
            out["other"][("scrap", r.ref_id)] += q
            out["totals"]["scrapped"] += q
        elif s == "adjustment":
            out["other"][("adjustment_in", r.ref_id)] += q
            out["totals"]["adjusted"] += q
        elif d == "adjustment":
            out["other"][("adjustment_out", r.ref_id)] += q
            out["totals"]["adjusted"] -= q
        if r.ref_type == "TR":
            if s != "transit":
                out["transfers"][r.ref_id][0] += q
            if d != "transit":
                out["transfers"][r.ref_id][1] += q
    out["on_hand"] = {k: v for k, v in out["on_hand"].items() if v}
    return out


def micro(value: Any) -> int:
    return int(D(value) * 10**6)


def test_a_lot_trace_is_complete_and_exact(db: Database, org: Org, story: LotStory) -> None:
    got = traceability.trace(db, org.actor, sku="MILK", lot="L1")
    rows = ledger_rows(db, org.org_id, "MILK", lot="L1")
    want = brute_force(rows)
    # Every movement of L1 and no other (L2 arrived on the same receipt).
    assert [m["id"] for m in got["movements"]] == [r.id for r in rows]
    assert got["movement_count"] == len(rows)
    assert {
        (r["posting_id"], r["location"]): micro(r["quantity"]) for r in got["receipts"]
    } == dict(want["receipts"])
    assert {
        c["reference"]: [micro(c["shipped"]), micro(c["returned"])] for c in got["customers"]
    } == dict(want["customers"])
    assert {t["number"]: [micro(t["sent"]), micro(t["arrived"])] for t in got["transfers"]} == dict(
        want["transfers"]
    )
    assert {(o["category"], o["ref_id"]): micro(o["quantity"]) for o in got["other"]} == dict(
        want["other"]
    )
    assert {h["location"]: micro(h["quantity"]) for h in got["on_hand"]} == want["on_hand"]
    rec = got["reconciliation"]
    for name in ("received", "returned_to_supplier", "shipped", "returned", "scrapped", "adjusted"):
        assert micro(rec[name]) == want["totals"][name], name
    # The stock pages agree: the projection the trace reads is the ledger's.
    stock = queries.on_hand_by_item(db, org.actor, "MILK", lot="L1")
    assert {ln["location"]: ln["quantity"] for ln in stock["lines"]} == {
        h["location"]: h["quantity"] for h in got["on_hand"]
    }
    # The story's numbers, as the fixture tells them.
    assert rec["balanced"] is True
    assert (rec["received"], rec["shipped"], rec["returned"], rec["scrapped"]) == (75, 31, 3, 2)
    assert (rec["adjusted"], rec["returned_to_supplier"]) == (-1, 1)
    assert (rec["on_hand"], rec["expected_on_hand"], rec["in_transit"]) == (43, 43, 4)
    assert "received 75" in rec["sentence"]
    assert "balanced" in rec["sentence"]
    assert [(r["po"], r["supplier"], r["quantity"]) for r in got["receipts"]] == [
        (story.po_a, "ACME", 40),
        (story.po_a, "ACME", 20),
        (story.po_b, "BETA", 15),
    ]
    by_customer = {c["customer"]: c for c in got["customers"]}
    assert {n: (c["shipped"], c["returned"], c["net"]) for n, c in by_customer.items()} == {
        "Alice": (10, 0, 10),
        "Bob": (16, 3, 13),
        "Carol": (5, 0, 5),
    }
    assert by_customer["Bob"]["order"] == story.orders["Bob"]
    assert by_customer["Bob"]["first_shipped_at"] < by_customer["Bob"]["last_shipped_at"]
    transfers = {t["number"]: t for t in got["transfers"]}
    assert transfers[story.transfer_in_transit]["in_transit"] == 4
    assert transfers[story.transfer_received]["status"] == "received"
    assert {m["category"] for m in got["movements"]} >= {
        "receipt", "move", "transfer", "shipment", "customer_return", "scrap",
        "adjustment_out", "supplier_return",
    }  # fmt: skip


def test_a_serial_trace_follows_its_one_unit(db: Database, org: Org, story: LotStory) -> None:
    got = traceability.trace(db, org.actor, sku="PHONE", serial=story.serial)
    rows = ledger_rows(db, org.org_id, "PHONE", serial=story.serial)
    assert [m["id"] for m in got["movements"]] == [r.id for r in rows]
    assert got["serial"] == {"serial": story.serial, "on_hold": False, "location": "WH1/A/02"}
    assert [(c["order"], c["customer"], c["net"]) for c in got["customers"]] == [
        (story.orders["Erin"], "Erin", 0)
    ]
    assert [(h["location"], h["quantity"]) for h in got["on_hand"]] == [("WH1/A/02", 1)]
    assert got["reconciliation"]["balanced"] is True


def atp_now(db: Database, org: Org, sku: str) -> Decimal:
    got = availability.available_to_promise(db, org.actor, "WH1", [AtpRequest(sku)])
    return D(got["items"][0]["on_hand"])


def test_a_recall_holds_every_remaining_unit_and_lists_the_customers_to_contact(
    db: Database, org: Org, story: LotStory
) -> None:
    assert atp_now(db, org, "MILK") == 33  # L1: 23 in WH1/RECV (quarantine is held); L2: 10
    done = recalls.recall(db, org.actor, sku="MILK", lot="L1", reason="Listeria found in L1")
    assert (done["status"], done["replayed"], done["on_hold"]) == ("open", False, True)
    assert lots.get_lot(db, org.actor, sku="MILK", code="L1")["on_hold"] is True
    assert atp_now(db, org, "MILK") == 10  # only L2 may be promised now
    assert done["remaining_total"] == 43
    assert {r["location"]: r["quantity"] for r in done["remaining"]} == {
        "@transit": 4, "WH1/QUAR": 3, "WH1/RECV": 23, "WH2/STOCK": 13,
    }  # fmt: skip
    assert [(c["customer"], c["order"], c["net"]) for c in done["customers"]] == [
        ("Alice", story.orders["Alice"], 10),
        ("Bob", story.orders["Bob"], 13),
        ("Carol", story.orders["Carol"], 5),
    ]
    assert all(c["first_shipped_at"] is not None for c in done["customers"])
    # A new order is served from the lot not recalled.
    so = sales_orders.create_order(
        db, org.actor, SoCreate(customer="Dan", warehouse="WH1", lines=[SoLineInput("MILK", D(5))])
    )
    pl = picking.create_pick_list(db, org.actor, "WH1", orders=[so["number"]])
    assert {t["lot"] for t in pl["tasks"]} == {"L2"}
    # Again: the same recall, nothing new.
    again = recalls.recall(db, org.actor, sku="MILK", lot="L1", reason="another reason")
    assert (again["number"], again["replayed"], again["reason"]) == (
        done["number"], True, "Listeria found in L1",
    )  # fmt: skip
    trail = audit.list_events(db, org.actor, entity="lot", entity_id=None, limit=50)
    opened = [e for e in trail if e["action"] == "recall.open"]
    assert len(opened) == 1
    assert "Listeria" in opened[0]["detail"]
    # The hold is the recall's: it is lifted by releasing the recall, not by hand.
    with pytest.raises(Conflict) as err:
        lots.update_lot(db, org.actor, sku="MILK", code="L1", on_hold=False)
    assert err.value.code == "lot_recalled"
    released = recalls.release_recall(db, org.actor, done["number"], note="lab all clear")
    assert (released["status"], released["on_hold"], released["release_note"]) == (
        "released", False, "lab all clear",
    )  # fmt: skip
    assert recalls.release_recall(db, org.actor, done["number"])["replayed"] is True
    lot_events = events.list_events(db, org.actor, types=["lot.*"])["events"]
    assert [(e["type"], e["subject"]["id"]) for e in lot_events] == [
        ("lot.on_hold", "MILK/L1"),
        ("lot.released", "MILK/L1"),
    ]
    assert [r["number"] for r in recalls.list_recalls(db, org.actor, sku="MILK")] == [
        done["number"]
    ]
    assert verify.verify(db).findings == []


def test_a_recalled_serial_is_neither_promised_nor_picked(
    db: Database, org: Org, story: LotStory
) -> None:
    assert atp_now(db, org, "PHONE") == 2
    done = recalls.recall(db, org.actor, sku="PHONE", serial=story.serial, reason="battery")
    assert done["on_hold"] is True
    assert done["customers"] == []
    assert atp_now(db, org, "PHONE") == 1
    so = sales_orders.create_order(
        db, org.actor, SoCreate(customer="Fay", warehouse="WH1", lines=[SoLineInput("PHONE", D(1))])
    )
    pl = picking.create_pick_list(db, org.actor, "WH1", orders=[so["number"]])
    assert [t["serial"] for t in pl["tasks"]] == [story.other_serial]
    traced = traceability.trace(db, org.actor, sku="PHONE", serial=story.serial)
    assert traced["on_hold"] is True
    assert traced["recall"]["number"] == done["number"]


def proof_of(db: Database, org: Org, **kw: Any) -> dict[str, Any]:
    """A proof as a partner gets it: through JSON."""
    doc = trace_proofs.export_proof(db, org.actor, sku="MILK", lot="L1", **kw)
    return json.loads(json.dumps(doc))


def published(db: Database, org: Org) -> dict[int, str]:
    listed = trace_proofs.list_checkpoints(db, org.actor)
    return trace_proofs.published_from(trace_proofs.jsonable(listed))


def test_the_proof_verifies_and_a_changed_quantity_or_hash_fails(
    db: Database, org: Org, story: LotStory
) -> None:
    verify.checkpoint(db)
    doc = proof_of(db, org)
    pub = published(db, org)
    report = verify_proof(doc, pub)
    assert report.findings == []
    assert report.complete
    assert report.traced == report.anchored == len(ledger_rows(db, org.org_id, "MILK", lot="L1"))
    # Other organisations' heads are not in it: only opaque digests and leaves.
    assert doc["checkpoint"]["org_digests"].count(None) == 1
    assert all(r["org_id"] == org.org_id for r in doc["chain"])

    def fails(change: Any, expect: str) -> None:
        bad = copy.deepcopy(doc)
        change(bad)
        found = verify_proof(bad, pub)
        assert not found.ok
        assert not found.complete
        assert any(expect in f for f in found.findings), found.findings

    traced_at = next(i for i, r in enumerate(doc["chain"]) if r["lot_id"] == doc["subject"]["lot_id"] and r["chain_seq"] > doc["chain"][0]["chain_seq"])  # fmt: skip

    def more(d: dict[str, Any]) -> None:
        d["chain"][traced_at]["qty"] += 1_000_000

    fails(more, "does not match its hash")

    def rehash(d: dict[str, Any]) -> None:
        d["chain"][traced_at]["hash"] = "f" * 64

    fails(rehash, "does not match its hash")

    def drop(d: dict[str, Any]) -> None:
        del d["chain"][traced_at]

    fails(drop, "does not follow movement")

    def customer(d: dict[str, Any]) -> None:
        d["trace"]["customers"][0]["net"] = "1.0"

    fails(customer, "customers (net)")

    def on_hand(d: dict[str, Any]) -> None:
        d["trace"]["reconciliation"]["received"] = "74.0"

    fails(on_hand, "reconciliation: received says 74")

    def checkpoint(d: dict[str, Any]) -> None:
        d["checkpoint"]["hash"] = "0" * 64

    fails(checkpoint, "does not follow from the head")

    other = verify_proof(doc, dict.fromkeys(pub, "1" * 64))
    assert any("another hash than the published one" in f for f in other.findings)
    unknown = verify_proof(doc, {})
    assert any("not among the published checkpoints" in f for f in unknown.findings)
    garbage = verify_proof({"format": "nope"}, pub)
    assert "not a readable trace proof" in garbage.findings[0]


def test_movements_after_the_checkpoint_are_carried_unanchored(
    db: Database, org: Org, story: LotStory
) -> None:
    before = verify_proof(proof_of(db, org), published(db, org))
    assert before.ok
    assert not before.complete
    assert before.anchored == 0
    verify.checkpoint(db)
    returns.scrap(db, org.actor, sku="MILK", source="WH2/STOCK", quantity=D(1), reason="damaged",
                  lot="L1")  # fmt: skip
    doc = proof_of(db, org)
    assert len(doc["unanchored"]) == 1
    report = verify_proof(doc, published(db, org))
    assert report.ok
    assert not report.complete
    assert report.traced == report.anchored + 1
    verify.checkpoint(db)
    assert verify_proof(proof_of(db, org), published(db, org)).complete


def test_a_proof_names_a_checkpoint_of_version_2(db: Database, org: Org, story: LotStory) -> None:
    with db.writing() as uow:
        old = verification.insert_checkpoint(
            uow.conn,
            now=utcnow(),
            prev_hash="0" * 64,
            digest="0" * 64,
            chain_heads_=[],
            version=1,
        )
        uow.commit()
    with pytest.raises(InvalidInput) as err:
        proof_of(db, org, checkpoint_id=old)
    assert err.value.code == "checkpoint_version"


def _set(path: str, value: Any) -> Any:
    """A change of the proof: the value at a path of keys and indexes ('trace.customers.0.net')."""

    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(last) if isinstance(node, list) else last] = value

    return change


def _insert(path: str, at: int, **changes: Any) -> Any:
    """A change of the proof: a copy of a table's row ``at``, changed, put before the rest."""

    def change(d: dict[str, Any]) -> None:
        table, name = path.split(".")
        rows = d[table][name]
        rows.insert(0, rows[at] | changes)

    return change


def test_a_proof_with_any_number_date_or_row_changed_fails_and_garbage_is_a_finding(
    db: Database, org: Org, story: LotStory
) -> None:
    verify.checkpoint(db)
    doc = proof_of(db, org)
    pub = published(db, org)
    assert verify_proof(doc, pub).complete
    anchored = [r for r in doc["chain"] if r["lot_id"] == doc["subject"]["lot_id"]]
    early = "2020-01-01T00:00:00+00:00"
    changes = {
        # A fake row hidden behind a real one of the same key, or a row no movement makes.
        "receipt twice": _insert("trace.receipts", 0, quantity="999"),
        "customer twice": _insert("trace.customers", 0, customer="Mallory", shipped="0",
                                  net="0"),
        "transfer twice": _insert("trace.transfers", 0, sent="99", arrived="99"),
        "other twice": _insert("trace.other", 0, quantity="99"),
        "on hand twice": _insert("trace.on_hand", 0, quantity="99"),
        "customer nobody shipped to": _insert("trace.customers", 0, reference="SO-999",
                                              order="SO-999", shipped="0", returned="0",
                                              net="0"),
        # Dates and numbers the movements make.
        "receipt date": _set("trace.receipts.0.received_at", early),
        "receipt reference": _set("trace.receipts.0.ref_id", "PO-FAKE"),
        "first shipped": _set("trace.customers.0.first_shipped_at", early),
        "last shipped": _set("trace.customers.1.last_shipped_at", early),
        "last returned": _set("trace.customers.1.last_returned_at", None),
        "transfer dates": _set("trace.transfers.0.last_at", early),
        "in transit": _set("trace.transfers.1.in_transit", "0.0"),
        "other dates": _set("trace.other.0.first_at", early),
        "ledger quantity": _set("trace.on_hand.0.ledger_quantity", "99.0"),
        "balanced": _set("trace.reconciliation.balanced", False),
        "difference": _set("trace.reconciliation.difference", "5.0"),
        "sentence": _set("trace.reconciliation.sentence", "received 1000: balanced"),
        "mismatched": _set("trace.reconciliation.mismatched_locations", ["WH1/RECV"]),
        "movement count": _set("trace.movement_count", 3),
        "more decimals than stored": _set("trace.reconciliation.received", "75.0000004"),
        # A movement given as unanchored at a position the anchored chain covers.
        "unanchored inside the chain": lambda d: d["unanchored"].append(anchored[-1]),
        "version 2.0": _set("checkpoint.version", 2.0),
    }  # fmt: skip
    for name, change in changes.items():
        bad = copy.deepcopy(doc)
        change(bad)
        found = verify_proof(bad, pub)
        assert not found.complete, name
        assert found.findings, name
    # What is not a proof's content is a finding, never an exception.
    for path, value in (
        ("trace.receipts.0.posting_id", [1]),
        ("trace.on_hand.0.location", {"a": 1}),
        ("trace.customers.0.reference", [1]),
        ("trace.other.0.reason", ["x"]),
        ("trace.transfers.0.number", {"x": 1}),
        ("trace.customers.0.first_shipped_at", 5),
        ("trace.reconciliation.received", "1e999999"),
        ("trace.reconciliation.balanced", "yes"),
    ):
        bad = copy.deepcopy(doc)
        _set(path, value)(bad)
        found = verify_proof(bad, pub)
        assert not found.ok, path


def test_a_recalled_lot_or_serial_goes_to_no_customer_while_the_recall_is_open(
    db: Database, org: Org, story: LotStory
) -> None:
    actor = org.actor

    def order(customer: str, sku: str, qty: int) -> str:
        made = sales_orders.create_order(
            db,
            actor,
            SoCreate(customer=customer, warehouse="WH1", lines=[SoLineInput(sku, D(qty))]),
        )
        return str(made["number"])

    # Zed's order was picked before the recall (its L1 waits in WH1/OUT); Yan's pick list was
    # printed before it but not picked yet.
    zed, yan = order("Zed", "MILK", 2), order("Yan", "MILK", 3)
    staged = picking.create_pick_list(db, actor, "WH1", orders=[zed])
    picking.confirm_picks(db, actor, staged["number"], [
        PickConfirmation(t["seq"], t["location"], D(t["quantity"]), t["lot"], t["serial"])
        for t in staged["tasks"]
    ])  # fmt: skip
    printed = picking.create_pick_list(db, actor, "WH1", orders=[yan])
    assert {t["lot"] for t in staged["tasks"] + printed["tasks"]} == {"L1"}
    done = recalls.recall(db, actor, sku="MILK", lot="L1", reason="listeria")
    phone = recalls.recall(db, actor, sku="PHONE", serial=story.serial, reason="battery")
    before = snapshot(db, org.org_id)
    refusals = {
        "ship what was picked": lambda: shipping.ship_order(db, actor, zed),
        "pick from the printed list": lambda: picking.confirm_picks(db, actor, printed["number"], [
            PickConfirmation(t["seq"], t["location"], D(t["quantity"]), t["lot"], t["serial"])
            for t in printed["tasks"]
        ]),
        "post it to a customer": lambda: postings.post_movements(db, actor, [
            MovementInput(sku="MILK", from_location="WH1/RECV", to_location="@customer",
                          quantity=D(1), lot="L1")
        ]),
        "post the serial to a customer": lambda: postings.post_movements(db, actor, [
            MovementInput(sku="PHONE", from_location="WH1/A/02", to_location="@customer",
                          quantity=D(1), serial=story.serial)
        ]),
    }  # fmt: skip
    for name, attempt in refusals.items():
        with pytest.raises(Conflict) as err:
            attempt()
        assert err.value.code in ("lot_recalled", "serial_recalled"), name
        assert done["number"] in err.value.message or phone["number"] in err.value.message, name
    assert snapshot(db, org.org_id) == before
    # Other lots still go; after the release, so does L1.
    pick_and_ship(db, actor, order("Xi", "MILK", 1), "WH1")
    recalls.release_recall(db, actor, done["number"])
    shipping.ship_order(db, actor, zed)
    customers = {
        c["customer"]: c["net"]
        for c in traceability.trace(db, actor, sku="MILK", lot="L1")["customers"]
    }
    assert customers["Zed"] == 2


def test_a_hold_asked_for_while_the_recall_holds_the_lot_outlasts_the_release(
    db: Database, org: Org, story: LotStory
) -> None:
    done = recalls.recall(db, org.actor, sku="MILK", lot="L1", reason="listeria")
    lots.update_lot(db, org.actor, sku="MILK", code="L1", on_hold=True)  # "keep it held"
    assert recalls.release_recall(db, org.actor, done["number"])["on_hold"] is True
    assert lots.get_lot(db, org.actor, sku="MILK", code="L1")["on_hold"] is True
    # A lot held before its recall is held after it; one that was not, is not.
    again = recalls.recall(db, org.actor, sku="MILK", lot="L1", reason="second look")
    assert recalls.release_recall(db, org.actor, again["number"])["on_hold"] is True
    lots.update_lot(db, org.actor, sku="MILK", code="L1", on_hold=False)
    third = recalls.recall(db, org.actor, sku="MILK", lot="L1", reason="third look")
    assert recalls.release_recall(db, org.actor, third["number"])["on_hold"] is False


def test_a_reversed_transfer_step_takes_back_what_it_sent_or_delivered(
    db: Database, org: Org, story: LotStory
) -> None:
    number = story.transfer_in_transit

    def row() -> tuple[Decimal, Decimal, Decimal]:
        got = traceability.trace(db, org.actor, sku="MILK", lot="L1")["transfers"]
        (t,) = [t for t in got if t["number"] == number]
        return t["sent"], t["arrived"], t["in_transit"]

    transfers.receive_transfer(db, org.actor, number)
    assert row() == (4, 4, 0)
    moves = [r for r in ledger_rows(db, org.org_id, "MILK", lot="L1") if r.ref_id == number]
    sending = next(r for r in moves if r.dst_kind == "transit")
    arrival = next(r for r in moves if r.src_kind == "transit")
    postings.reverse_movement(db, org.actor, arrival.id)  # the 4 are in transit again
    assert row() == (4, 0, 4)
    postings.reverse_movement(db, org.actor, sending.id)  # and back where they left
    assert row() == (0, 0, 0)
    verify.checkpoint(db)
    assert verify_proof(proof_of(db, org), published(db, org)).complete
