"""Scanning through the real services on SQLite and PostgreSQL: resolving barcodes, RFID
reconciliation and the scan workflows (receive, pick, move)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from onhand.domain.epc import encode_sgtin96
from onhand.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, OnhandError
from onhand.domain.gs1 import GS
from onhand.services import (
    accounts,
    items,
    locations,
    picking,
    purchase_orders,
    rfid,
    sales_orders,
    scan_workflows,
    scanning,
    suppliers,
)
from onhand.services.purchase_orders import PoCreate, PoLineInput
from onhand.services.sales_orders import SoCreate, SoLineInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post, snapshot

D = Decimal
# GTINs with valid check digits, stored in different forms on purpose.
CAM_GTIN = "80614141123458"  # the TDS example: company prefix 0614141
TEA_EAN13 = "4006381333931"
SOAP_UPC = "036000291452"
PEN_EAN8 = "96385074"
YOG_GTIN = "09501101020917"


@pytest.fixture
def w(db: Database, org: Org) -> World:
    world = build_world(db, org.actor)
    items.create_items(
        db,
        org.actor,
        [
            items.ItemCreate(sku="CAM", name="Camera", tracking="serial", barcodes=[CAM_GTIN]),
            items.ItemCreate(sku="TEA", name="Tea", barcodes=[TEA_EAN13, "INT-4711"]),
            items.ItemCreate(sku="SOAP", name="Soap", barcodes=[SOAP_UPC]),
            items.ItemCreate(sku="PEN", name="Pen", barcodes=[PEN_EAN8, "1234567890123"]),
            items.ItemCreate(
                sku="YOG", name="Yoghurt", tracking="lot", shelf_life_days=20, barcodes=[YOG_GTIN]
            ),
        ],
    )
    locations.create_location(db, org.actor, code="OUT", parent="WH1")
    locations.create_location(db, org.actor, code="B", parent="WH1")
    locations.create_location(db, org.actor, code="07", parent="WH1/B")
    locations.create_location(db, org.actor, code="01", parent="WH1/B")
    sales_orders.set_warehouse_settings(db, org.actor, "WH1", outbound="WH1/OUT")
    suppliers.create_supplier(db, org.actor, suppliers.SupplierCreate(code="ACME", name="Acme"))
    return world


def resolve(w: World, code: str) -> dict[str, Any]:
    return scanning.resolve(w.db, w.actor, code)


def refused(w: World, error: type[OnhandError], fn: Any, *args: Any, **kw: Any) -> OnhandError:
    before = snapshot(w.db)
    with pytest.raises(error) as info:
        fn(*args, **kw)
    assert snapshot(w.db) == before
    return info.value


# --- resolving ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "sku"),
    [
        (TEA_EAN13, "TEA"),
        ("0" + TEA_EAN13, "TEA"),  # GTIN-14 of a stored EAN-13
        (f"(01)0{TEA_EAN13}", "TEA"),
        (f"]C101{'0' + TEA_EAN13}", "TEA"),
        ("0" + SOAP_UPC, "SOAP"),  # EAN-13 of a stored UPC-A
        (SOAP_UPC, "SOAP"),
        ("000000" + PEN_EAN8, "PEN"),  # GTIN-14 of a stored EAN-8
        (f"]E0{PEN_EAN8}", "PEN"),
        ("INT-4711", "TEA"),  # an internal Code 128 code, exactly
        ("]C0INT-4711", "TEA"),
        ("1234567890123", "PEN"),  # 13 digits, wrong check digit, stored as such
    ],
)
def test_an_item_is_found_by_any_form_of_its_barcode(w: World, code: str, sku: str) -> None:
    got = resolve(w, code)
    assert got["kind"] == "item"
    assert got["item"]["sku"] == sku


def test_a_gs1_string_gives_lot_expiry_serial_and_count(w: World) -> None:
    post(w, mv("YOG", "@supplier", "WH1/A/01", 5, lot="L1", expiry=date(2027, 1, 31)))
    got = resolve(w, f"]C101{YOG_GTIN}17270100" + f"10L1{GS}3712")
    assert got["item"]["sku"] == "YOG"
    assert (got["lot"], got["lot_known"]) == ("L1", True)
    assert got["expiry_date"] == date(2027, 1, 31)
    assert got["quantity"] == D(12)
    assert got["notes"] == []
    new = resolve(w, f"(01){YOG_GTIN}(17)270215(10)L2")
    assert (new["lot"], new["lot_known"], new["expiry_date"]) == ("L2", False, date(2027, 2, 15))
    assert "not known yet" in new["notes"][0]


def test_a_serial_scan_says_where_the_unit_is(w: World) -> None:
    post(w, mv("CAM", "@supplier", "WH1/A/02", 1, serial="6789"))
    got = resolve(w, f"(01){CAM_GTIN}(21)6789")
    assert (got["serial"], got["serial_location"]) == ("6789", "WH1/A/02")
    assert resolve(w, f"(01){CAM_GTIN}(21)1")["serial_location"] is None


def test_bin_labels_resolve_to_locations_by_path_or_unique_code(w: World) -> None:
    assert resolve(w, "WH1/A/01")["location"]["path"] == "WH1/A/01"
    assert resolve(w, "]C0WH1/A/01")["kind"] == "location"
    assert resolve(w, "07")["location"]["path"] == "WH1/B/07"
    e = refused(w, Conflict, resolve, w, "01")  # WH1/A/01 and WH1/B/01
    assert e.code == "location_ambiguous"


def test_a_bin_code_of_digits_that_look_like_a_gtin_still_resolves(w: World) -> None:
    locations.create_location(w.db, w.actor, code="12345670", parent="WH2")  # a valid EAN-8
    assert resolve(w, "12345670")["location"]["path"] == "WH2/12345670"
    assert resolve(w, "WH2/12345670")["kind"] == "location"


def test_an_sscc_is_recognised(w: World) -> None:
    got = resolve(w, "(00)106141411234567897(37)4")
    assert (got["kind"], got["sscc"], got["quantity"]) == ("sscc", "106141411234567897", D(4))


@pytest.mark.parametrize(
    ("code", "error", "expected"),
    [
        ("4006381333932", InvalidInput, "gs1_check_digit"),
        ("(01)09501101020918", InvalidInput, "gs1_check_digit"),
        ("(01)09501101020917(23)1", InvalidInput, "gs1_unknown_ai"),
        ("]C1010950110102091", InvalidInput, "gs1_truncated"),
        ("(10)L1", InvalidInput, "gs1_no_item"),
        ("5012345678900", NotFound, "barcode_not_found"),
        ("NOPE-1", NotFound, "barcode_not_found"),
        ("a\x00b", InvalidInput, "invalid_scan"),
        ("x" * 300, InvalidInput, "invalid_scan"),
    ],
)
def test_bad_scans_are_refused_with_a_code(
    w: World, code: str, error: type[OnhandError], expected: str
) -> None:
    assert refused(w, error, resolve, w, code).code == expected


def test_another_organisations_barcodes_and_bins_do_not_exist(w: World, db: Database) -> None:
    other = make_org(db)
    with pytest.raises(NotFound):
        scanning.resolve(db, other.actor, TEA_EAN13)
    with pytest.raises(NotFound):
        scanning.resolve(db, other.actor, "WH1/A/01")


def test_a_user_restricted_to_another_warehouse_cannot_resolve_its_bins(w: World) -> None:
    accounts.create_user(
        w.db, w.actor, username=f"c-{w.org_id}", password="password-1", role="clerk",
        warehouses=["WH2"],
    )  # fmt: skip
    clerk = accounts.authenticate(w.db, accounts.login(w.db, f"c-{w.org_id}", "password-1").token)
    with pytest.raises(Forbidden):
        scanning.resolve(w.db, clerk, "WH1/A/01")
    assert scanning.resolve(w.db, clerk, "WH2/STOCK")["kind"] == "location"


# --- RFID -----------------------------------------------------------------------------------


def epc(serial: int) -> str:
    return encode_sgtin96(CAM_GTIN, serial)


def test_rfid_reads_are_deduplicated_and_reconciled_against_the_subtree(w: World) -> None:
    for s, where in ((1, "WH1/A/01"), (2, "WH1/A/02"), (3, "WH1/A/02"), (4, "WH2/STOCK")):
        post(w, mv("CAM", "@supplier", where, 1, serial=str(s)))
    post(w, mv("BOLT", "@supplier", "WH1/A/01", 3))
    unknown = encode_sgtin96("95012345678903", 5)  # no item has this GTIN
    pallet = "3174257BF7194E4000001A85"  # an SSCC-96 tag: not an SGTIN
    reads = [epc(1), epc(1).lower(), epc(2), epc(4), epc(99), unknown, pallet]
    got = rfid.reconcile_reads(w.db, w.actor, "WH1/A", reads)
    assert (got["reads"], got["distinct"], got["duplicates"]) == (7, 6, 1)
    assert [(m["serial"], m["location"]) for m in got["matched"]] == [
        ("1", "WH1/A/01"),
        ("2", "WH1/A/02"),
    ]
    assert [(m["sku"], m["serial"]) for m in got["missing"]] == [("CAM", "3")]
    unexpected = {u["serial"]: (u["reason"], u["book_location"]) for u in got["unexpected"]}
    assert unexpected == {
        "4": ("not_in_book_here", "WH2/STOCK"),
        "99": ("not_in_book_here", None),
        "5": ("unknown_gtin", None),
    }
    assert [i["code"] for i in got["ignored"]] == ["epc_not_sgtin96"]
    assert [(c["sku"], c["book"], c["read"]) for c in got["counts"]] == [("BOLT", D(3), D(0))]


def test_rfid_counts_items_without_serials(w: World) -> None:
    post(w, mv("TEA", "@supplier", "WH1/A/01", 2))
    tea = "0" + TEA_EAN13
    got = rfid.reconcile_reads(
        w.db, w.actor, "WH1/A/01", [encode_sgtin96(tea, n) for n in (1, 2, 3, 3)]
    )
    assert [(c["sku"], c["book"], c["read"], c["difference"]) for c in got["counts"]] == [
        ("TEA", D(2), D(3), D(1))
    ]
    assert got["matched"] == []
    assert got["unexpected"] == []


def test_bad_rfid_batches_are_refused(w: World) -> None:
    e = refused(w, InvalidInput, rfid.reconcile_reads, w.db, w.actor, "WH1", [epc(1), "XYZ"])
    assert (e.code, e.extra["line"]) == ("epc_invalid_hex", 2)
    e = refused(w, InvalidInput, rfid.reconcile_reads, w.db, w.actor, "WH1", ["30" * 10])
    assert e.code == "epc_length"
    assert refused(w, InvalidInput, rfid.reconcile_reads, w.db, w.actor, "WH1", []).code == (
        "no_reads"
    )
    assert refused(w, NotFound, rfid.reconcile_reads, w.db, w.actor, "WH9", [epc(1)]).code == (
        "location_not_found"
    )
    e = refused(w, InvalidInput, rfid.reconcile_reads, w.db, w.actor, "@supplier", [epc(1)])
    assert e.code == "not_a_stock_location"


# --- scan workflows -------------------------------------------------------------------------


def new_po(w: World, *lines: tuple[str, str]) -> str:
    po = purchase_orders.create_po(
        w.db,
        w.actor,
        PoCreate(
            supplier="ACME",
            receive_to="WH1/RECV",
            lines=[PoLineInput(sku=s, quantity=D(q)) for s, q in lines],
        ),
    )
    purchase_orders.order_po(w.db, w.actor, po["number"])
    return str(po["number"])


def test_scan_to_receive_takes_lot_expiry_and_count_from_the_barcode(w: World) -> None:
    number = new_po(w, ("TEA", "5"), ("YOG", "24"))
    got = scan_workflows.scan_receive(
        w.db, w.actor, po=number, item=f"]C101{YOG_GTIN}17270300" + f"10L9{GS}3712"
    )
    assert got["understood"] == {
        "sku": "YOG",
        "lot": "L9",
        "serial": None,
        "quantity": D(12),
        "location": "WH1/RECV",
        "to": None,
    }
    assert got["line_no"] == 2
    assert on_hand(w, "YOG") == {("WH1/RECV", "L9", None): D(12)}
    assert resolve(w, f"(01){YOG_GTIN}(10)L9")["expiry_date"] == date(2027, 3, 31)
    # A typed quantity and a scanned bin.
    scan_workflows.scan_receive(
        w.db, w.actor, po=number, item=TEA_EAN13, quantity=D(2), location="WH1/A/01"
    )
    assert on_hand(w, "TEA") == {("WH1/A/01", None, None): D(2)}


def test_scan_to_receive_serials_and_retries(w: World) -> None:
    number = new_po(w, ("CAM", "2"))
    first = scan_workflows.scan_receive(
        w.db, w.actor, po=number, item=f"(01){CAM_GTIN}(21)77", idempotency_key="k1"
    )
    again = scan_workflows.scan_receive(
        w.db, w.actor, po=number, item=f"(01){CAM_GTIN}(21)77", idempotency_key="k1"
    )
    assert again["replayed"] is True
    assert again["posting_id"] == first["posting_id"]
    assert on_hand(w, "CAM") == {("WH1/RECV", None, "77"): D(1)}


def test_a_retried_scan_of_a_new_lot_answers_the_first_receipt(w: World) -> None:
    # The first receipt makes the lot known; the retry must still post the same lines.
    number = new_po(w, ("YOG", "24"))
    code = f"(01){YOG_GTIN}(17)270331(10)L5(37)6"
    first = scan_workflows.scan_receive(w.db, w.actor, po=number, item=code, idempotency_key="k")
    again = scan_workflows.scan_receive(w.db, w.actor, po=number, item=code, idempotency_key="k")
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert on_hand(w, "YOG") == {("WH1/RECV", "L5", None): D(6)}
    # The same label again (another key) receives into the known lot; another expiry is not
    # taken from the label (the resolver notes it).
    scan_workflows.scan_receive(w.db, w.actor, po=number, item=code, idempotency_key="k2")
    other = f"(01){YOG_GTIN}(17)270430(10)L5(37)1"
    got = scan_workflows.scan_receive(w.db, w.actor, po=number, item=other)
    assert "expiry" in got["notes"][0]
    assert on_hand(w, "YOG") == {("WH1/RECV", "L5", None): D(13)}


def test_scan_to_receive_refuses_what_is_not_on_the_order(w: World) -> None:
    number = new_po(w, ("TEA", "5"))
    e = refused(w, InvalidInput, scan_workflows.scan_receive, w.db, w.actor, po=number,
                item=SOAP_UPC, quantity=D(1))  # fmt: skip
    assert e.code == "item_not_on_po"
    e = refused(w, InvalidInput, scan_workflows.scan_receive, w.db, w.actor, po=number,
                item="WH1/A/01", quantity=D(1))  # fmt: skip
    assert e.code == "scan_not_an_item"
    e = refused(w, InvalidInput, scan_workflows.scan_receive, w.db, w.actor, po=number,
                item=TEA_EAN13)  # fmt: skip
    assert e.code == "quantity_required"


def test_scan_to_pick_confirms_the_task_of_the_scanned_bin_and_lot(w: World) -> None:
    post(w, mv("YOG", "@supplier", "WH1/A/01", 10, lot="L1", expiry=date(2027, 1, 31)))
    sales_orders.create_order(
        w.db,
        w.actor,
        SoCreate(customer="Smith", warehouse="WH1", lines=[SoLineInput(sku="YOG", quantity=D(4))]),
    )
    pl = picking.create_pick_list(w.db, w.actor, "WH1")
    e = refused(w, InvalidInput, scan_workflows.scan_pick, w.db, w.actor,
                pick_list=pl["number"], location="WH1/A/02", item=f"(01){YOG_GTIN}(10)L1")  # fmt: skip
    assert e.code == "no_matching_task"
    got = scan_workflows.scan_pick(
        w.db, w.actor, pick_list=pl["number"], location="WH1/A/01", item=f"(01){YOG_GTIN}(10)L1"
    )
    assert got["understood"]["quantity"] == D(4)
    assert got["pick_list"]["tasks"][0]["status"] == "picked"
    assert on_hand(w, "YOG")[("WH1/OUT", "L1", None)] == D(4)


def test_a_retried_pick_scan_answers_the_first_confirmation(w: World) -> None:
    post(w, mv("TEA", "@supplier", "WH1/A/01", 10))
    sales_orders.create_order(
        w.db,
        w.actor,
        SoCreate(customer="Smith", warehouse="WH1", lines=[SoLineInput(sku="TEA", quantity=D(4))]),
    )
    pl = picking.create_pick_list(w.db, w.actor, "WH1")["number"]
    scan = {"pick_list": pl, "location": "WH1/A/01", "item": TEA_EAN13}
    first = scan_workflows.scan_pick(w.db, w.actor, **scan, idempotency_key="p1")
    again = scan_workflows.scan_pick(w.db, w.actor, **scan, idempotency_key="p1")
    assert (first["pick_list"]["replayed"], again["pick_list"]["replayed"]) == (False, True)
    assert on_hand(w, "TEA")[("WH1/OUT", None, None)] == D(4)
    e = refused(w, Conflict, scan_workflows.scan_pick, w.db, w.actor, **scan,
                idempotency_key="p2")  # fmt: skip
    assert e.code == "task_not_open"
    e = refused(w, InvalidInput, scan_workflows.scan_pick, w.db, w.actor, **scan)
    assert e.code == "no_matching_task"


def test_scan_to_move_between_bins_of_one_warehouse(w: World) -> None:
    post(w, mv("TEA", "@supplier", "WH1/A/01", 10))
    got = scan_workflows.scan_move(
        w.db, w.actor, source="WH1/A/01", to="07", item="INT-4711", quantity=D(3)
    )
    assert got["understood"]["to"] == "WH1/B/07"
    assert on_hand(w, "TEA") == {("WH1/A/01", None, None): D(7), ("WH1/B/07", None, None): D(3)}
    e = refused(w, InvalidInput, scan_workflows.scan_move, w.db, w.actor, source="WH1/A/01",
                to="WH2/STOCK", item=TEA_EAN13, quantity=D(1))  # fmt: skip
    assert e.code == "not_same_warehouse"
    e = refused(w, InvalidInput, scan_workflows.scan_move, w.db, w.actor, source="@supplier",
                to="WH1/A/01", item=TEA_EAN13, quantity=D(1))  # fmt: skip
    assert e.code == "not_a_stock_location"
    e = refused(w, InvalidInput, scan_workflows.scan_move, w.db, w.actor, source="WH1/A/01",
                to=TEA_EAN13, item=TEA_EAN13, quantity=D(1))  # fmt: skip
    assert e.code == "scan_not_a_location"
    e = refused(w, OnhandError, scan_workflows.scan_move, w.db, w.actor, source="WH1/A/01",
                to="WH1/A/02", item=TEA_EAN13, quantity=D(50))  # fmt: skip
    assert e.code == "insufficient_stock"


def test_an_auditor_may_resolve_but_not_move(w: World) -> None:
    accounts.create_user(
        w.db, w.actor, username=f"a-{w.org_id}", password="password-1", role="auditor"
    )
    auditor = accounts.authenticate(w.db, accounts.login(w.db, f"a-{w.org_id}", "password-1").token)
    assert scanning.resolve(w.db, auditor, TEA_EAN13)["item"]["sku"] == "TEA"
    with pytest.raises(Forbidden):
        scan_workflows.scan_move(
            w.db, auditor, source="WH1/A/01", to="WH1/A/02", item=TEA_EAN13, quantity=D(1)
        )


def test_large_batches_are_reconciled_in_chunks(w: World) -> None:
    here = [mv("CAM", "@supplier", "WH1/A/01", 1, serial=str(s)) for s in range(1, 601)]
    there = [mv("CAM", "@supplier", "WH2/STOCK", 1, serial=str(s)) for s in range(601, 1801)]
    post(w, *here, *there)
    reads = [epc(s) for s in range(1, 1801)] + [epc(s) for s in range(1, 300)]
    got = rfid.reconcile_reads(w.db, w.actor, "WH1/A", reads)
    assert (got["distinct"], got["duplicates"]) == (1800, 299)
    assert len(got["matched"]) == 600
    assert got["missing"] == []
    assert len(got["unexpected"]) == 1200
    assert {u["book_location"] for u in got["unexpected"]} == {"WH2/STOCK"}
