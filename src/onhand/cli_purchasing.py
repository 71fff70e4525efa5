"""`onhand supplier`, `onhand po`, `onhand receive` and `onhand put-away`: purchasing from the
command line, as the organisation's first admin (like import and export)."""

from __future__ import annotations

from datetime import date
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
from onhand.services import purchase_orders, put_away, receiving, suppliers

supplier_app = typer.Typer(help="Suppliers and their terms.", no_args_is_help=True)
po_app = typer.Typer(help="Purchase orders: create, order, receive, close.", no_args_is_help=True)
put_away_app = typer.Typer(help="Put received stock away to bins.", no_args_is_help=True)
app.add_typer(supplier_app, name="supplier")
app.add_typer(po_app, name="po")
app.add_typer(put_away_app, name="put-away")

Key = Annotated[
    str | None, typer.Option("--key", help="Idempotency key: a retry with it posts once")
]
Lot = Annotated[str | None, typer.Option("--lot", help="Lot code (lot-tracked items)")]
Expiry = Annotated[
    str | None, typer.Option("--expiry", help="Lot expiry date, YYYY-MM-DD (new lots)")
]
Serials = Annotated[
    list[str] | None, typer.Option("--serial", help="A serial number; repeat once per unit")
]


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{text!r} is not a date such as 2027-01-31", EXIT["invalid"]) from None


def _pairs(entries: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for entry in entries:
        left, sep, right = entry.partition("=")
        if not sep or not left or not right:
            raise fail(f"{entry!r}: write each {what} as KEY=QUANTITY", EXIT["invalid"])
        out.append((left, right))
    return out


def _print_po(po: dict[str, Any]) -> None:
    console.print(
        f"{po['number']}  {po['status']}  supplier {po['supplier']}  receive to {po['receive_to']}",
        highlight=False,
    )
    table = Table("line", "sku", "ordered", "received", "open", "unit price", "closed")
    for x in po["lines"]:
        table.add_row(
            str(x["line_no"]),
            x["sku"],
            str(x["quantity"]),
            str(x["received"]),
            str(x["open"]),
            str(x["unit_price"]),
            "yes" if x["closed"] else "",
        )
    console.print(table)
    for warning in po["warnings"]:
        console.print(f"warning: {warning}", highlight=False)


# --- suppliers ------------------------------------------------------------------------------


@supplier_app.command("add")
def supplier_add(
    code: str,
    name: str,
    currency: Annotated[str, typer.Option()] = "EUR",
    lead_time_days: Annotated[int, typer.Option()] = 7,
    lead_time_sd_days: Annotated[int, typer.Option()] = 0,
    over_receipt_pct: Annotated[int, typer.Option(help="tolerated over-receipt, %")] = 0,
    org: OrgOption = None,
) -> None:
    """Add a supplier."""
    db, actor = org_session(org)
    data = suppliers.SupplierCreate(
        code=code,
        name=name,
        currency=currency,
        lead_time_days=lead_time_days,
        lead_time_sd_days=lead_time_sd_days,
        over_receipt_pct=over_receipt_pct,
    )
    with handled():
        made = suppliers.create_supplier(db, actor, data)
    console.print(f"supplier {made['code']} created", highlight=False)


@supplier_app.command("list")
def supplier_list(org: OrgOption = None) -> None:
    """Suppliers with their configured and learnt lead times."""
    db, actor = org_session(org)
    with handled():
        rows = suppliers.list_suppliers(db, actor)
    table = Table("code", "name", "currency", "lead time (days)", "learnt", "receipts")
    for s in rows:
        lt = s["lead_time"]
        learnt = (
            ""
            if lt["learnt_days"] is None
            else f"{lt['learnt_days']} ± {lt['learnt_sd_days'] or 0}"
        )
        table.add_row(
            s["code"],
            s["name"],
            s["currency"],
            str(s["lead_time_days"]),
            learnt,
            str(lt["observations"]),
        )
    console.print(table)


# --- purchase orders ------------------------------------------------------------------------


@po_app.command("create")
def po_create(
    supplier: Annotated[str, typer.Option(help="Supplier code")],
    receive_to: Annotated[str, typer.Option(help="Receiving location, e.g. WH1/RECV")],
    lines: Annotated[list[str], typer.Argument(help="SKU=QUANTITY, one per line")],
    number: Annotated[str | None, typer.Option(help="default: PO-000001, ...")] = None,
    order: Annotated[bool, typer.Option("--order", help="order it at once")] = False,
    org: OrgOption = None,
) -> None:
    """Create a draft purchase order (and order it with --order)."""
    db, actor = org_session(org)
    data = purchase_orders.PoCreate(
        supplier=supplier,
        receive_to=receive_to,
        number=number,
        lines=[
            purchase_orders.PoLineInput(sku=sku, quantity=number_arg(q, "quantity"))
            for sku, q in _pairs(lines, "line")
        ],
    )
    with handled():
        po = purchase_orders.create_po(db, actor, data)
        if order:
            po = purchase_orders.order_po(db, actor, po["number"])
    _print_po(po)


@po_app.command("show")
def po_show(number: str, org: OrgOption = None) -> None:
    """A purchase order with what each line received and still expects."""
    db, actor = org_session(org)
    with handled():
        _print_po(purchase_orders.get_po(db, actor, number))


@po_app.command("list")
def po_list(
    status: Annotated[str | None, typer.Option(help="draft, ordered, ...")] = None,
    org: OrgOption = None,
) -> None:
    """Purchase orders, newest first."""
    db, actor = org_session(org)
    with handled():
        rows = purchase_orders.list_pos(db, actor, status=status)
    table = Table("number", "supplier", "status", "receive to", "lines")
    for po in rows:
        table.add_row(
            po["number"], po["supplier"], po["status"], po["receive_to"], str(len(po["lines"]))
        )
    console.print(table)


def _step(name: str, doc: str) -> None:
    def command(number: str, org: OrgOption = None) -> None:
        db, actor = org_session(org)
        with handled():
            _print_po(getattr(purchase_orders, f"{name}_po")(db, actor, number))

    command.__doc__ = doc
    po_app.command(name)(command)


_step("order", "Send a draft to the supplier: its lines become expected receipts.")
_step("cancel", "Cancel a draft, or an ordered PO nothing was received on.")
_step("close", "Stop expecting the rest of a partially received PO.")


@po_app.command("receive")
def po_receive(
    number: str,
    entries: Annotated[list[str], typer.Argument(help="LINE_NO=QUANTITY received")],
    lot: Lot = None,
    expiry: Expiry = None,
    serial: Serials = None,
    location: Annotated[str | None, typer.Option(help="default: the order's receive-to")] = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Receive goods against lines of an ordered PO (--lot, --expiry and --serial apply to every
    line given)."""
    db, actor = org_session(org)
    lines = []
    for line_no, q in _pairs(entries, "entry"):
        if not line_no.isdigit():
            raise fail(f"{line_no!r} is not a line number", EXIT["invalid"])
        lines.append(
            receiving.ReceiptLineInput(
                line_no=int(line_no),
                quantity=number_arg(q, "quantity"),
                lot=lot,
                expiry_date=_date(expiry),
                serials=list(serial or []),
                location=location,
            )
        )
    with handled():
        done = receiving.receive(db, actor, number, lines, idempotency_key=key)
    if done["replayed"]:
        console.print(
            f"already received under key {key!r} (posting {done['posting_id']}): nothing changed"
        )
    _print_po(done["po"])


@app.command("receive")
def receive_cmd(
    sku: str,
    quantity: str,
    to: Annotated[str, typer.Argument(help="Receiving location")],
    supplier: Annotated[str | None, typer.Option(help="Supplier code")] = None,
    reference: Annotated[str | None, typer.Option(help="Delivery note or other reference")] = None,
    lot: Lot = None,
    expiry: Expiry = None,
    serial: Serials = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Receive goods without a purchase order."""
    db, actor = org_session(org)
    line = receiving.UnplannedReceiptLine(
        sku=sku,
        quantity=number_arg(quantity, "quantity"),
        to=to,
        lot=lot,
        expiry_date=_date(expiry),
        serials=list(serial or []),
    )
    with handled():
        done = receiving.receive_without_order(
            db, actor, [line], supplier=supplier, reference=reference, idempotency_key=key
        )
    state = "already posted" if done["replayed"] else "posted"
    console.print(f"receipt {state}: posting {done['posting_id']}", highlight=False)


# --- put-away -------------------------------------------------------------------------------


@put_away_app.command("suggest")
def put_away_suggest(sku: str, source: str, lot: Lot = None, org: OrgOption = None) -> None:
    """Where to put an item away from a receiving location."""
    db, actor = org_session(org)
    with handled():
        got = put_away.suggest_bin(db, actor, sku, source, lot=lot)
    console.print(f"{got.bin}  ({got.reason})", highlight=False)


@put_away_app.command("move")
def put_away_move(
    sku: str,
    source: str,
    quantity: str,
    to: Annotated[str | None, typer.Option(help="default: the suggested bin")] = None,
    lot: Lot = None,
    serial: Annotated[str | None, typer.Option()] = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Move received stock to a bin: the one given with --to, or the suggested one."""
    db, actor = org_session(org)
    with handled():
        done = put_away.put_away_stock(
            db,
            actor,
            sku=sku,
            source=source,
            quantity=number_arg(quantity, "quantity"),
            to=to,
            lot=lot,
            serial=serial,
            idempotency_key=key,
        )
    console.print(
        f"put away to {done['to']} ({done['why']}): posting {done['posting_id']}", highlight=False
    )
