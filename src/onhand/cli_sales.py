"""`onhand so`, `onhand pick`, `onhand atp` and `onhand warehouse`: selling, picking and
shipping from the command line, as the organisation's first admin."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    fail,
    handled,
    number_arg,
    org_session,
)
from onhand.services import (
    availability,
    picking,
    routing,
    sales_orders,
    shipping,
)

so_app = typer.Typer(help="Sales orders: create, reserve, cancel, ship.", no_args_is_help=True)
pick_app = typer.Typer(help="Pick lists: create, show, confirm.", no_args_is_help=True)
wh_app = typer.Typer(help="Warehouse settings.", no_args_is_help=True)
app.add_typer(so_app, name="so")
app.add_typer(pick_app, name="pick")
app.add_typer(wh_app, name="warehouse")

Key = Annotated[
    str | None, typer.Option("--key", help="Idempotency key: a retry with it posts once")
]


def _print_order(so: dict[str, Any]) -> None:
    console.print(
        f"{so['number']}  {so['status']}  {so['customer']}  from {so['warehouse']}", highlight=False
    )
    table = Table("line", "sku", "ordered", "reserved", "shipped", "backordered", "cancelled")
    for x in so["lines"]:
        table.add_row(
            str(x["line_no"]),
            x["sku"],
            *(str(x[k]) for k in ("quantity", "reserved", "shipped", "backordered", "cancelled")),
        )
    console.print(table)


def _print_pick_list(pl: dict[str, Any]) -> None:
    console.print(f"{pl['number']}  {pl['status']}  {pl['warehouse']}", highlight=False)
    table = Table(
        "seq", "location", "sku", "lot", "serial", "quantity", "picked", "order", "status"
    )
    for t in pl["tasks"]:
        table.add_row(
            str(t["seq"]),
            t["location"],
            t["sku"],
            t["lot"] or "",
            t["serial"] or "",
            str(t["quantity"]),
            str(t["picked"]),
            f"{t['order']}/{t['line_no']}",
            t["status"],
        )
    console.print(table)


@so_app.command("create")
def so_create(
    warehouse: Annotated[str, typer.Option(help="Warehouse that fulfils it, e.g. WH1")],
    customer: Annotated[str, typer.Option(help="Customer name")],
    lines: Annotated[list[str], typer.Argument(help="SKU=QUANTITY, one per line")],
    number: Annotated[str | None, typer.Option(help="default: SO-000001, ...")] = None,
    org: OrgOption = None,
) -> None:
    """Create a sales order: it reserves what is available and backorders the rest."""
    db, actor = org_session(org)
    parsed = []
    for entry in lines:
        sku, sep, q = entry.partition("=")
        if not sep or not sku or not q:
            raise fail(f"{entry!r}: write each line as SKU=QUANTITY", EXIT["invalid"])
        parsed.append(sales_orders.SoLineInput(sku=sku, quantity=number_arg(q)))
    data = sales_orders.SoCreate(
        customer=customer, warehouse=warehouse, lines=parsed, number=number
    )
    with handled():
        _print_order(sales_orders.create_order(db, actor, data))


@so_app.command("show")
def so_show(number: str, org: OrgOption = None) -> None:
    """A sales order with, per line, what is reserved, shipped and backordered."""
    db, actor = org_session(org)
    with handled():
        _print_order(sales_orders.get_order(db, actor, number))


@so_app.command("list")
def so_list(
    status: Annotated[str | None, typer.Option(help="open, partially_shipped, ...")] = None,
    org: OrgOption = None,
) -> None:
    """Sales orders, newest first."""
    db, actor = org_session(org)
    with handled():
        rows = sales_orders.list_orders(db, actor, status=status)
    table = Table("number", "customer", "status", "warehouse", "lines")
    for so in rows:
        table.add_row(
            so["number"], so["customer"], so["status"], so["warehouse"], str(len(so["lines"]))
        )
    console.print(table)


@so_app.command("cancel")
def so_cancel(number: str, org: OrgOption = None) -> None:
    """Cancel what is not shipped, releasing its reservations."""
    db, actor = org_session(org)
    with handled():
        _print_order(sales_orders.cancel_order(db, actor, number))


@so_app.command("reallocate")
def so_reallocate(number: str, org: OrgOption = None) -> None:
    """Reserve what is available now for the order's backordered lines."""
    db, actor = org_session(org)
    with handled():
        _print_order(sales_orders.reallocate(db, actor, number))


@so_app.command("ship")
def so_ship(number: str, key: Key = None, org: OrgOption = None) -> None:
    """Ship what is picked for the order and not shipped yet."""
    db, actor = org_session(org)
    with handled():
        done = shipping.ship_order(db, actor, number, idempotency_key=key)
    if done["replayed"]:
        console.print(f"already shipped under key {key!r}: nothing changed", highlight=False)
    _print_order(done["order"])


@pick_app.command("create")
def pick_create(
    warehouse: str,
    order: Annotated[list[str] | None, typer.Option("--order", help="only these orders")] = None,
    org: OrgOption = None,
) -> None:
    """A pick list for what open orders have reserved, in bin-path order."""
    db, actor = org_session(org)
    with handled():
        _print_pick_list(picking.create_pick_list(db, actor, warehouse, orders=order))


@pick_app.command("show")
def pick_show(number: str, org: OrgOption = None) -> None:
    """A pick list and its tasks."""
    db, actor = org_session(org)
    with handled():
        _print_pick_list(picking.get_pick_list(db, actor, number))


@pick_app.command("confirm")
def pick_confirm(
    number: str,
    seq: int,
    location: Annotated[str, typer.Option(help="The location scanned")],
    quantity: Annotated[str, typer.Option(help="What was taken (less: a short pick)")],
    lot: Annotated[str | None, typer.Option()] = None,
    serial: Annotated[str | None, typer.Option()] = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Confirm one task of a pick list with what was scanned and taken."""
    db, actor = org_session(org)
    c = picking.PickConfirmation(
        seq=seq, location=location, quantity=number_arg(quantity), lot=lot, serial=serial
    )
    with handled():
        _print_pick_list(picking.confirm_picks(db, actor, number, [c], idempotency_key=key))


@app.command("atp")
def atp_cmd(
    warehouse: str,
    items: Annotated[list[str], typer.Argument(help="SKU, or SKU=QUANTITY for its earliest date")],
    org: OrgOption = None,
) -> None:
    """Available-to-promise in a warehouse, now and by date."""
    db, actor = org_session(org)
    requests = []
    for entry in items:
        sku, sep, q = entry.partition("=")
        requests.append(availability.AtpRequest(sku, number_arg(q) if sep else None))
    with handled():
        got = availability.available_to_promise(db, actor, warehouse, requests)
    table = Table(
        "sku", "on hand", "reserved", "expected", "backordered", "ATP now", "asked", "earliest"
    )
    for x in got["items"]:
        asked = x.get("quantity")
        earliest = x.get("earliest_date")
        table.add_row(
            x["sku"],
            *(str(x[k]) for k in ("on_hand", "reserved", "expected", "backordered", "atp_now")),
            "" if asked is None else str(asked),
            "" if asked is None else (str(earliest) if earliest else "not yet"),
        )
    console.print(table)


@wh_app.command("settings")
def wh_settings(
    warehouse: str,
    priority: Annotated[int | None, typer.Option(help="routing rank, lower first")] = None,
    backorders_first: Annotated[
        bool | None, typer.Option("--backorders-first/--no-backorders-first")
    ] = None,
    outbound: Annotated[str | None, typer.Option(help="where picked stock waits")] = None,
    org: OrgOption = None,
) -> None:
    """Set (and show) a warehouse's routing priority, backorder rule and outbound location."""
    db, actor = org_session(org)
    with handled():
        got = sales_orders.set_warehouse_settings(
            db,
            actor,
            warehouse,
            priority=priority,
            backorders_first=backorders_first,
            outbound=outbound,
        )
    console.print(
        f"{got['warehouse']}: priority {got['priority']}, backorders first "
        f"{'yes' if got['backorders_first'] else 'no'}, outbound {got['outbound'] or '-'}",
        highlight=False,
    )


@app.command("route")
def route_cmd(
    lines: Annotated[list[str], typer.Argument(help="SKU=QUANTITY")],
    warehouse: Annotated[
        list[str] | None, typer.Option("--warehouse", help="only these warehouses")
    ] = None,
    org: OrgOption = None,
) -> None:
    """Propose which warehouses should serve an order (fewest shipments, then priority)."""
    db, actor = org_session(org)
    asked = []
    for entry in lines:
        sku, sep, q = entry.partition("=")
        if not sep:
            raise fail(f"{entry!r}: write each line as SKU=QUANTITY", EXIT["invalid"])
        asked.append(routing.PlanLine(sku, number_arg(q)))
    with handled():
        got = routing.plan(db, actor, asked, warehouses=warehouse)
    for s in got["shipments"]:
        parts = ", ".join(f"{x['sku']} {x['quantity']}" for x in s["lines"])
        console.print(f"{s['warehouse']} (priority {s['priority']}): {parts}", highlight=False)
    for x in got["unfilled"]:
        console.print(f"unfilled: {x['sku']} {x['quantity']}", highlight=False)
