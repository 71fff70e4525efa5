"""CSV export: exact decimals in the unit's precision, the whole ledger in order, and items,
locations and balances that import again into a fresh organisation unchanged."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from onhand.services import csv_export, postings, queries
from onhand.services.csv_balances import import_balances
from onhand.services.csv_import import import_items, import_locations
from onhand.services.postings import MovementInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.test_csv_import import BALANCES_CSV, ITEMS_CSV, LOCATIONS_CSV


def export(db: Database, org: Org, kind: str) -> str:
    out = io.StringIO()
    csv_export.EXPORTS[kind](db, org.actor, out, None)
    return out.getvalue()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def trade(db: Database, org: Org) -> None:
    """Opening balances, then a sale, a transfer into a truck and a scrapped serial."""
    import_locations(db, org.actor, LOCATIONS_CSV.encode())
    import_items(db, org.actor, ITEMS_CSV.encode())
    import_balances(db, org.actor, BALANCES_CSV.encode())
    postings.post_movements(
        db,
        org.actor,
        [
            MovementInput("FLOUR", "WH1/A/01/03", "@customer", Decimal("2.125"), ref_type="SO"),
            MovementInput("MILK", "WH1/RECV", "WH1/TRUCK", Decimal("0.75"), lot="L1"),
            MovementInput("DRILL", "WH2/FLOOR", "@scrap", Decimal(1), serial="SN-2"),
        ],
    )


def test_exported_quantities_are_exact_decimals_in_the_unit_precision(
    db: Database, org: Org
) -> None:
    trade(db, org)
    balances = {(r["sku"], r["location"]): r for r in rows(export(db, org, "balances"))}
    assert balances[("FLOUR", "WH1/A/01/03")]["quantity"] == "10.375"
    assert balances[("BOLT-M6", "WH1/A/01/03")]["quantity"] == "500"
    milk = balances[("MILK", "WH1/TRUCK")]
    assert (milk["quantity"], milk["lot"], milk["expiry_date"]) == ("5.00", "L1", "2030-06-30")
    # Sold and scrapped stock is not on hand anywhere: virtual locations are not exported.
    assert not any(loc.startswith("@") for _, loc in balances)
    assert ("DRILL", "WH2/FLOOR") not in balances
    items = {r["sku"]: r for r in rows(export(db, org, "items"))}
    assert (items["FLOUR"]["unit_cost"], items["BOLT-M6"]["barcodes"]) == (
        "0.89",
        "4006381333931|BOLT6",
    )


def test_the_movements_export_holds_every_movement_in_recorded_order(
    db: Database, org: Org
) -> None:
    trade(db, org)
    moves = rows(export(db, org, "movements"))
    assert len(moves) == 6 + 3
    assert [int(m["id"]) for m in moves] == sorted(int(m["id"]) for m in moves)
    sale = next(m for m in moves if m["to"] == "@customer")
    assert (sale["sku"], sale["from"], sale["quantity"], sale["ref_type"]) == (
        "FLOUR",
        "WH1/A/01/03",
        "2.125",
        "SO",
    )
    assert sale["actor"] == org.actor.username
    assert len(sale["hash"]) == 64
    opening = [m for m in moves if m["reason"] == "opening_balance"]
    assert {m["from"] for m in opening} == {"@adjustment"}


def test_items_locations_and_balances_exported_import_unchanged_into_a_fresh_organisation(
    db: Database, org: Org
) -> None:
    trade(db, org)
    exported = {k: export(db, org, k) for k in ("items", "locations", "balances")}
    fresh = make_org(db)
    import_locations(db, fresh.actor, exported["locations"].encode())
    import_items(db, fresh.actor, exported["items"].encode())
    result = import_balances(db, fresh.actor, exported["balances"].encode())
    assert result.movements == len(rows(exported["balances"]))
    for kind, text in exported.items():
        assert export(db, fresh, kind) == text, kind
    for sku in ("BOLT-M6", "FLOUR", "MILK", "DRILL"):
        was = queries.on_hand_by_item(db, org.actor, sku)
        now = queries.on_hand_by_item(db, fresh.actor, sku)
        assert now["total"] == was["total"], sku
        assert now["lines"] == was["lines"], sku


def test_an_organisation_sees_only_its_own_rows_in_an_export(db: Database, org: Org) -> None:
    trade(db, org)
    other = make_org(db)
    for kind in ("items", "balances", "movements"):
        assert rows(export(db, other, kind)) == [], kind
    assert export(db, other, "items").startswith("sku,name,category,")
