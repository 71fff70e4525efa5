"""`onhand valuation ...`: what the stock is worth and cost, as the organisation's first admin:
methods, exchange rates, landed costs, inventory value, cost of goods sold and aging."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    day_arg,
    fail,
    handled,
    number_arg,
    org_session,
    read_input,
)
from onhand.services import landed_costs, valuation_reports, valuation_settings

val_app = typer.Typer(
    help="Valuation: methods, exchange rates, landed costs, value, cost of goods sold, aging.",
    no_args_is_help=True,
)
app.add_typer(val_app, name="valuation")

Warehouse = Annotated[str | None, typer.Option(help="only this warehouse")]
Sku = Annotated[str | None, typer.Option(help="only this SKU")]
Category = Annotated[str | None, typer.Option(help="only this category")]


def _print_settings(got: dict[str, Any]) -> None:
    console.print(f"currency {got['currency']}, method {got['method']}", highlight=False)
    for c in got["categories"]:
        console.print(f"  category {c['category']}: {c['method']}", highlight=False)


@val_app.command("settings")
def settings_cmd(
    method: Annotated[
        str | None, typer.Option(help="fifo, lifo, average or standard (revalues the stock)")
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="the organisation's currency (before any valuation)")
    ] = None,
    org: OrgOption = None,
) -> None:
    """Show, or change, the organisation's currency and valuation method."""
    db, actor = org_session(org)
    with handled():
        if method is None and currency is None:
            got = valuation_settings.get_settings(db, actor)
        else:
            got = valuation_settings.update_settings(db, actor, currency=currency, method=method)
    _print_settings(got)


@val_app.command("category")
def category_cmd(
    category: str,
    method: Annotated[
        str | None, typer.Option(help="fifo, lifo, average or standard; leave out to clear")
    ] = None,
    org: OrgOption = None,
) -> None:
    """Give a category its own method (or, without --method, the organisation's again)."""
    db, actor = org_session(org)
    with handled():
        got = valuation_settings.set_category_method(db, actor, category, method)
    _print_settings(got)


@val_app.command("rates")
def rates_cmd(
    currency: Annotated[str | None, typer.Option(help="only this currency")] = None,
    limit: int = 50,
    org: OrgOption = None,
) -> None:
    """Exchange rates, newest first per currency."""
    db, actor = org_session(org)
    with handled():
        rows = valuation_settings.list_rates(db, actor, currency=currency, limit=limit)
    table = Table("currency", "from", "rate")
    for r in rows:
        table.add_row(r["currency"], r["day"].isoformat(), str(r["rate"]))
    console.print(table)


@val_app.command("import-rates")
def import_rates_cmd(
    file: Annotated[str, typer.Argument(help="CSV with currency,date,rate; '-' for stdin")],
    org: OrgOption = None,
) -> None:
    """Add or replace exchange rates from a CSV file (all or none)."""
    try:
        text = read_input(file).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{file} is not UTF-8 text", EXIT["invalid"]) from None
    db, actor = org_session(org)
    with handled():
        got = valuation_settings.import_rates_csv(db, actor, text)
    console.print(f"{got['written']} rates written", highlight=False)


@val_app.command("landed-cost")
def landed_cost_cmd(
    amount: str,
    po: Annotated[str | None, typer.Option("--po", help="all receipts of this order")] = None,
    movement: Annotated[
        list[int] | None, typer.Option(help="a receipt movement id; repeat")
    ] = None,
    kind: Annotated[str, typer.Option(help="freight, duty, handling, insurance, other")] = (
        "freight"
    ),
    basis: Annotated[str, typer.Option(help="split by value, quantity or weight")] = "value",
    currency: Annotated[str | None, typer.Option(help="default: the organisation's")] = None,
    description: str | None = None,
    org: OrgOption = None,
) -> None:
    """Add a landed cost to received goods, at or after the receipt."""
    data = landed_costs.LandedCostCreate(
        amount=number_arg(amount, "amount"),
        kind=kind,
        basis=basis,
        currency=currency,
        purchase_order=po,
        movement_ids=movement or [],
        description=description,
    )
    db, actor = org_session(org)
    with handled():
        got = landed_costs.add_landed_cost(db, actor, data)
    console.print(
        f"{got['number']}: {got['value']} {got['kind']} ({got['basis']}); "
        f"{got['to_stock']} to stock, {got['expensed']} expensed",
        highlight=False,
    )
    table = Table("movement", "sku", "share")
    for x in got["lines"]:
        table.add_row(str(x["movement_id"]), x["sku"], str(x["value"]))
    console.print(table)


def _print_rows(columns: list[str], rows: list[dict[str, Any]]) -> None:
    table = Table(*columns)
    for r in rows:
        table.add_row(*("" if r[c] is None else str(r[c]) for c in columns))
    console.print(table)


def _moment(text: str | None) -> datetime | None:
    """--as-of: a date (its end, UTC) or an ISO time with a zone."""
    if text is None:
        return None
    if len(text.strip()) == 10:
        day = day_arg(text, "as-of")
        assert day is not None
        return datetime.combine(day, time.max, UTC)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise fail(f"as-of {text!r} is not a date or time", EXIT["invalid"]) from None
    if moment.tzinfo is None:
        raise fail("as-of needs a time zone, e.g. 2026-03-31T18:00:00+00:00", EXIT["invalid"])
    return moment


@val_app.command("value")
def value_cmd(
    by: Annotated[str, typer.Option(help="item, warehouse, category or location")] = "item",
    as_of: Annotated[
        str | None, typer.Option(help="a date (its end, UTC) or a time; default now")
    ] = None,
    warehouse: Warehouse = None,
    sku: Sku = None,
    category: Category = None,
    org: OrgOption = None,
) -> None:
    """What the stock is worth, now or at any past time."""
    db, actor = org_session(org)
    with handled():
        got = valuation_reports.inventory_value(
            db,
            actor,
            by=by,
            as_of=_moment(as_of),
            warehouse=warehouse,
            sku=sku,
            category=category,
        )
    rows = got["rows"]
    _print_rows([c for c in (rows[0].keys() if rows else ["value"]) if c != "name"], rows)
    console.print(f"total {got['total_value']} {got['currency']}", highlight=False)
    for w in got["warnings"]:
        console.print(f"warning: {w}", highlight=False)


@val_app.command("cogs")
def cogs_cmd(
    start: str,
    end: str,
    period: Annotated[str, typer.Option(help="day, week or month")] = "month",
    by: Annotated[str, typer.Option(help="total, item, category or warehouse")] = "total",
    warehouse: Warehouse = None,
    sku: Sku = None,
    category: Category = None,
    org: OrgOption = None,
) -> None:
    """The cost of goods sold per period, with shrinkage and purchase price variance."""
    first, last = day_arg(start, "start"), day_arg(end, "end")
    assert first is not None
    assert last is not None
    db, actor = org_session(org)
    with handled():
        got = valuation_reports.cost_of_goods_sold(
            db,
            actor,
            start=first,
            end=last,
            period=period,
            by=by,
            warehouse=warehouse,
            sku=sku,
            category=category,
        )
    columns = ["period_start", *([by] if by != "total" else [])]
    columns += ["cost_of_goods_sold", "shrinkage", "purchase_price_variance"]
    _print_rows(columns, got["rows"])
    console.print(f"total {got['total']} {got['currency']}", highlight=False)


@val_app.command("aging")
def aging_cmd(
    by: Annotated[str, typer.Option(help="total, item, category or warehouse")] = "warehouse",
    warehouse: Warehouse = None,
    sku: Sku = None,
    category: Category = None,
    org: OrgOption = None,
) -> None:
    """The value of the stock held by days since receipt."""
    db, actor = org_session(org)
    with handled():
        got = valuation_reports.aging(
            db, actor, by=by, warehouse=warehouse, sku=sku, category=category
        )
    table = Table(*([by] if by != "total" else []), *got["buckets"], "value")
    for r in got["rows"]:
        head = [str(r[by])] if by != "total" else []
        table.add_row(*head, *(str(v) for v in r["buckets"].values()), str(r["value"]))
    console.print(table)
