"""The accounting journal of the stock valuation, on SQLite and PostgreSQL, over a history with
receipts at several prices, sales, scrap, count losses and gains, customer and supplier
returns, transfers between warehouses and through a transit location, a standard-cost item
(price variances) and landed costs: every journal balances, and each period ties out exactly
with cost_of_goods_sold and inventory_value at the period's ends."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from onhand.domain.errors import InvalidInput
from onhand.domain.journal import COGS_ROLES, INVENTORY_ROLES, PPV_ROLES, SHRINK_ROLES
from onhand.services import (
    account_mapping,
    erp_exports,
    items,
    landed_costs,
    postings,
    valuation_reports,
    valuation_settings,
)
from onhand.services.postings import MovementInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import build_world

TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=75)


def at(day: int, hour: int = 10) -> datetime:
    """``day`` days after START, at ``hour`` o'clock UTC."""
    return datetime.combine(START + timedelta(days=day), time(hour), UTC)


def mv(sku: str, src: str, dst: str, qty: str, day: int, cost: str | None = None) -> MovementInput:
    return MovementInput(
        sku=sku,
        from_location=src,
        to_location=dst,
        quantity=Decimal(qty),
        effective_at=at(day),
        unit_cost=None if cost is None else Decimal(cost),
    )


@pytest.fixture
def history(db: Database, org: Org) -> Org:
    """BOLT under FIFO, GEAR under moving average (thirds: amounts that round), PIN under
    standard cost 2.00."""
    actor = org.actor
    build_world(db, actor)
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(sku="GEAR", name="Gear", unit_cost=Decimal("1")),
            items.ItemCreate(sku="PIN", name="Pin", category="std", unit_cost=Decimal("2")),
        ],
    )
    valuation_settings.update_settings(db, actor, method="fifo")
    valuation_settings.set_category_method(db, actor, "std", "standard")
    valuation_settings.update_settings(db, actor, method="fifo")
    moves = [
        mv("BOLT", "@supplier", "WH1/A/01", "100", 0, "10"),
        mv("BOLT", "@supplier", "WH1/A/01", "50", 3, "12.5"),
        mv("GEAR", "@supplier", "WH1/A/01", "3", 1, "10"),
        mv("GEAR", "@supplier", "WH1/A/01", "3", 2, "10.01"),
        mv("PIN", "@supplier", "WH1/A/01", "40", 2, "2.35"),
        mv("BOLT", "WH1/A/01", "@customer", "30", 10),
        mv("GEAR", "WH1/A/01", "@customer", "1", 12),
        mv("GEAR", "WH1/A/01", "@customer", "1", 40),
        mv("PIN", "WH1/A/01", "@customer", "7", 20),
        mv("BOLT", "WH1/A/01", "@scrap", "4", 33),
        mv("BOLT", "WH1/A/01", "@adjustment", "2", 35),
        mv("GEAR", "@adjustment", "WH1/A/01", "1", 36),
        mv("BOLT", "@customer", "WH1/A/01", "3", 38),
        mv("BOLT", "WH1/A/01", "@supplier", "5", 45),
        mv("BOLT", "WH1/A/01", "WH2/STOCK", "20", 46),
        mv("GEAR", "WH1/A/01", "WH1/TRUCK", "2", 47),
        mv("BOLT", "WH1/A/01", "WH1/TRUCK", "10", 50),
        mv("BOLT", "WH1/TRUCK", "WH2/STOCK", "10", 52),
        mv("PIN", "WH1/A/01", "@adjustment", "1", 55),
        mv("BOLT", "WH2/STOCK", "@customer", "15", 60),
    ]
    ids = []
    for m in moves:
        ids.extend(postings.post_movements(db, actor, [m]).movement_ids)
    # Landed costs today: on BOLT's second receipt (partly sold, partly moved) and on PIN's
    # receipt (standard cost: a price variance).
    for movement, amount in ((ids[0], "25.03"), (ids[4], "7.77")):
        landed_costs.add_landed_cost(
            db,
            actor,
            landed_costs.LandedCostCreate(amount=Decimal(amount), movement_ids=[movement]),
        )
    return org


def _sum(lines: list[dict[str, Any]], roles: frozenset[str]) -> Decimal:
    return sum(
        (line["debit"] - line["credit"] for line in lines if line["role"] in roles), Decimal(0)
    )


def _value_at(db: Database, org: Org, day: date, **kw: Any) -> dict[str, Decimal]:
    """inventory_value by warehouse at the last moment before ``day`` starts."""
    moment = datetime.combine(day, time(), UTC) - timedelta(microseconds=1)
    got = valuation_reports.inventory_value(db, org.actor, by="warehouse", as_of=moment, **kw)
    return {r["warehouse"]: r["value"] for r in got["rows"]} | {"": got["total_value"]}


@pytest.mark.parametrize("period", ["month", "week", "day"])
def test_each_journal_balances_and_ties_out_with_the_valuation_reports(
    db: Database, history: Org, period: str
) -> None:
    actor = history.actor
    got = erp_exports.journal(db, actor, start=START, end=TODAY, period=period)
    cogs = valuation_reports.cost_of_goods_sold(db, actor, start=START, end=TODAY, period=period)
    report = {valuation_reports.period_start(r["period_start"], period): r for r in cogs["rows"]}
    assert got["journals"], "the history makes journals"
    seen_cogs = Decimal(0)
    for j in got["journals"]:
        debit = sum(line["debit"] for line in j["lines"])
        credit = sum(line["credit"] for line in j["lines"])
        assert debit == credit == j["debit_total"] == j["credit_total"] > 0, j["reference"]
        row = report.get(valuation_reports.period_start(j["period_start"], period))
        want = row["cost_of_goods_sold"] if row else Decimal(0)
        assert j["cost_of_goods_sold"] == want == _sum(j["lines"], COGS_ROLES), j["reference"]
        assert j["shrinkage"] == (row["shrinkage"] if row else 0) == _sum(j["lines"], SHRINK_ROLES)
        ppv = row["purchase_price_variance"] if row else 0
        assert j["purchase_price_variance"] == ppv == _sum(j["lines"], PPV_ROLES)
        opening = _value_at(db, history, j["period_start"])[""]
        closing = _value_at(db, history, j["period_end"] + timedelta(days=1))[""]
        assert (j["opening_value"], j["closing_value"]) == (opening, closing)
        assert opening + _sum(j["lines"], INVENTORY_ROLES) == closing, j["reference"]
        seen_cogs += j["cost_of_goods_sold"]
    # Periods without a journal had nothing to book: the totals agree.
    assert seen_cogs == cogs["total"]


def test_journals_per_warehouse_tie_out_with_each_warehouse(db: Database, history: Org) -> None:
    actor = history.actor
    got = erp_exports.journal(db, actor, start=START, end=TODAY, period="month", by="warehouse")
    cogs = valuation_reports.cost_of_goods_sold(
        db, actor, start=START, end=TODAY, period="month", by="warehouse"
    )
    report = {
        (valuation_reports.period_start(r["period_start"], "month"), r["warehouse"]): r
        for r in cogs["rows"]
    }
    warehouses = {j["warehouse"] for j in got["journals"]}
    assert {"WH1", "WH2", "WH1/TRUCK"} <= warehouses
    sources: dict[str, set[str]] = defaultdict(set)
    for j in got["journals"]:
        assert j["debit_total"] == j["credit_total"]
        assert j["reference"].endswith(f"-{j['warehouse']}")
        row = report.get(
            (valuation_reports.period_start(j["period_start"], "month"), j["warehouse"])
        )
        assert j["cost_of_goods_sold"] == (row["cost_of_goods_sold"] if row else 0)
        assert j["cost_of_goods_sold"] == _sum(j["lines"], COGS_ROLES)
        opening = _value_at(db, history, j["period_start"]).get(j["warehouse"], Decimal(0))
        closing = _value_at(db, history, j["period_end"] + timedelta(days=1))
        assert j["opening_value"] == opening
        assert j["closing_value"] == closing.get(j["warehouse"], Decimal(0))
        assert opening + _sum(j["lines"], INVENTORY_ROLES) == j["closing_value"]
        sources[j["warehouse"]] |= {line["source"] for line in j["lines"]}
        roles = {line["role"] for line in j["lines"] if line["role"] in INVENTORY_ROLES}
        assert roles == (
            {"inventory_in_transit"} if j["warehouse"] == "WH1/TRUCK" else {"inventory"}
        )
    assert {
        "receipt",
        "sale",
        "scrap",
        "adjustment",
        "customer_return",
        "supplier_return",
        "transfer",
        "landed_cost",
        "purchase_price_variance",
    } <= sources["WH1"]
    assert {"transfer", "sale"} <= sources["WH2"]


def test_the_organisation_journal_books_every_kind_on_its_accounts(
    db: Database, history: Org
) -> None:
    got = erp_exports.journal(db, history.actor, start=START, end=TODAY, period="month")
    lines = [line for j in got["journals"] for line in j["lines"]]
    by_pair = {(line["source"], line["role"], line["account"]) for line in lines}
    for pair in (
        ("receipt", "inventory", "1400"),
        ("receipt", "goods_received_not_invoiced", "2100"),
        ("sale", "cost_of_goods_sold", "5000"),
        ("scrap", "scrap", "5110"),
        ("adjustment", "inventory_adjustment", "5100"),
        ("supplier_return", "supplier_returns", "2100"),
        ("landed_cost", "landed_cost_accrual", "2110"),
        ("purchase_price_variance", "purchase_price_variance", "5200"),
        ("transfer", "inventory_in_transit", "1410"),
    ):
        assert pair in by_pair, pair
    # Organisation-wide, a transfer's clearing nets to zero.
    clearing = [line for line in lines if line["role"] == "transfer_clearing"]
    assert sum(line["debit"] - line["credit"] for line in clearing) == 0
    refs = [j["reference"] for j in got["journals"]]
    assert refs == sorted(refs)
    assert len(set(refs)) == len(refs)
    assert all(ref.startswith("INV-") for ref in refs)


def test_the_account_mapping_changes_the_accounts_and_the_reference(
    db: Database, history: Org
) -> None:
    actor = history.actor
    account_mapping.set_mapping(
        db,
        actor,
        accounts={"cost_of_goods_sold": "6000", "customer_returns": "6010"},
        warehouses={"WH2": {"inventory": "1402"}},
        journal_prefix="STK",
    )
    got = erp_exports.journal(db, actor, start=START, end=TODAY, period="month")
    lines = [line for j in got["journals"] for line in j["lines"]]
    accounts = {(line["role"], line["account"]) for line in lines}
    assert ("cost_of_goods_sold", "6000") in accounts
    assert ("customer_returns", "6010") in accounts
    assert {"1400", "1402"} <= {a for r, a in accounts if r == "inventory"}
    assert all(j["reference"].startswith("STK-") for j in got["journals"])
    for j in got["journals"]:
        assert j["debit_total"] == j["credit_total"]
    with pytest.raises(InvalidInput) as exc:
        account_mapping.set_mapping(db, actor, warehouses={"NOWHERE": {"inventory": "1"}})
    assert exc.value.code == "unknown_warehouse"
    with pytest.raises(InvalidInput) as exc:
        account_mapping.set_mapping(db, actor, accounts={"stock": "1"})
    assert exc.value.code == "unknown_account_role"
    assert account_mapping.get_mapping(db, actor)["journal_prefix"] == "STK"
    assert account_mapping.reset_mapping(db, actor)["defaults"] is True
    assert account_mapping.get_mapping(db, actor)["accounts"]["cost_of_goods_sold"] == "5000"


def test_the_csv_is_the_lines_of_the_json_in_the_same_order(db: Database, history: Org) -> None:
    got = erp_exports.journal(db, history.actor, start=START, end=TODAY, period="month")
    text = erp_exports.journal_csv(got)
    rows = text.splitlines()
    assert rows[0].split(",") == list(erp_exports.JOURNAL_COLUMNS)
    assert len(rows) - 1 == sum(len(j["lines"]) for j in got["journals"])
    again = erp_exports.journal(db, history.actor, start=START, end=TODAY, period="month")
    assert erp_exports.journal_csv(again) == text  # deterministic


def test_stock_valuation_is_inventory_value_by_item_and_warehouse(
    db: Database, history: Org
) -> None:
    moment = at(50, 12)
    got = erp_exports.stock_valuation(db, history.actor, as_of=moment)
    want = valuation_reports.inventory_value(db, history.actor, by="item", as_of=moment)
    assert sorted((r["warehouse"], r["sku"], r["value"]) for r in got["rows"]) == sorted(
        (r["warehouse"], r["sku"], r["value"]) for r in want["rows"]
    )
    assert {r["account"] for r in got["rows"] if r["warehouse"] == "WH1/TRUCK"} == {"1410"}
    by_wh = valuation_reports.inventory_value(db, history.actor, by="warehouse", as_of=moment)
    assert got["total_value"] == by_wh["total_value"]
    assert got["rows"] == sorted(got["rows"], key=lambda r: (r["warehouse"], r["sku"]))


def test_stock_valuation_reads_its_rows_and_totals_at_once(
    db: Database, history: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backdated receipt of a new item commits just after the export has read the stock: the
    # rows and the warehouse totals must both miss it (or both have it), never one of them.
    items.create_items(db, history.actor, [items.ItemCreate(sku="NUT", name="Nut")])
    read = valuation_reports.store.values
    posted: list[int] = []

    def values_then_a_receipt(*args: Any, **kw: Any) -> Any:
        got = read(*args, **kw)
        if not posted:
            m = mv("NUT", "@supplier", "WH1/A/01", "10", 49, "1")
            posted.extend(postings.post_movements(db, history.actor, [m]).movement_ids)
        return got

    monkeypatch.setattr(valuation_reports.store, "values", values_then_a_receipt)
    got = erp_exports.stock_valuation(db, history.actor, as_of=at(50, 12))
    assert len(posted) == 1
    skus: dict[str, set[str]] = defaultdict(set)
    for r in got["rows"]:
        skus[r["warehouse"]].add(r["sku"])
    assert {w["warehouse"]: w["items"] for w in got["warehouses"]} == {
        k: len(v) for k, v in skus.items()
    }
    assert "NUT" not in skus["WH1"]


def test_bad_journal_parameters_are_refused(db: Database, org: Org) -> None:
    for kw, code in (
        ({"period": "year"}, "invalid_period"),
        ({"by": "item"}, "invalid_by"),
        ({"start": TODAY, "end": TODAY - timedelta(days=1)}, "invalid_period"),
        ({"start": TODAY - timedelta(days=800), "period": "day"}, "too_many_periods"),
        ({"start": date(1, 1, 1), "end": date(1, 1, 31), "period": "day"}, "date_out_of_range"),
        ({"start": date(9999, 12, 1), "end": date(9999, 12, 31)}, "date_out_of_range"),
        (
            {"start": date(9999, 12, 27), "end": date(9999, 12, 31), "period": "week"},
            "date_out_of_range",
        ),
    ):
        args: dict[str, Any] = {"start": START, "end": TODAY} | kw
        with pytest.raises(InvalidInput) as exc:
            erp_exports.journal(db, org.actor, **args)
        assert exc.value.code == code
