"""`onhand transfer`, `onhand return`, `onhand supplier-return` and `onhand scrap` from the
command line, as the organisation's first admin."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
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
    org_session,
)
from onhand.services import returns, transfers

transfer_app = typer.Typer(help="Transfers: create, ship, receive, cancel.", no_args_is_help=True)
app.add_typer(transfer_app, name="transfer")

Key = Annotated[str | None, typer.Option("--key", help="Idempotency key: a retry posts once")]
Lot = Annotated[str | None, typer.Option("--lot", help="Lot code (applies to every line)")]


def _lines(entries: list[str]) -> list[tuple[str, Decimal]]:
    out = []
    for entry in entries:
        sku, sep, q = entry.partition("=")
        try:
            if not sep or not sku:
                raise InvalidOperation
            out.append((sku, Decimal(q.strip())))
        except InvalidOperation:
            raise fail(f"{entry!r}: write each line as SKU=QUANTITY", EXIT["invalid"]) from None
    return out


def _print(t: dict[str, Any]) -> None:
    route = f"{t['from']} > {t['via']} > {t['to']}" if t["via"] else f"{t['from']} > {t['to']}"
    console.print(f"{t['number']}  {t['status']}  {route}", highlight=False)
    table = Table("line", "sku", "quantity", "lot", "serial")
    for x in t["lines"]:
        table.add_row(
            str(x["line_no"]), x["sku"], str(x["quantity"]), x["lot"] or "", x["serial"] or ""
        )
    console.print(table)


@transfer_app.command("create")
def transfer_create(
    source: str,
    destination: str,
    lines: Annotated[list[str], typer.Argument(help="SKU=QUANTITY")],
    direct: Annotated[bool, typer.Option("--direct", help="move now, without transit")] = False,
    via: Annotated[str | None, typer.Option(help="transit location (default @transit)")] = None,
    arrival: Annotated[str | None, typer.Option(help="expected arrival, YYYY-MM-DD")] = None,
    lot: Lot = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Plan a transfer (ship and receive it later), or move the stock now with --direct."""
    db, actor = org_session(org)
    try:
        expected = date.fromisoformat(arrival) if arrival else None
    except ValueError:
        raise fail(f"{arrival!r} is not a date such as 2027-01-31", EXIT["invalid"]) from None
    data = transfers.TransferCreate(
        source=source,
        destination=destination,
        lines=[transfers.TransferLineInput(sku, q, lot=lot) for sku, q in _lines(lines)],
        direct=direct,
        via=via,
        expected_arrival=expected,
    )
    with handled():
        _print(transfers.create_transfer(db, actor, data, idempotency_key=key))


def _step(name: str, doc: str) -> None:
    def command(number: str, org: OrgOption = None) -> None:
        db, actor = org_session(org)
        with handled():
            _print(getattr(transfers, f"{name}_transfer")(db, actor, number))

    command.__doc__ = doc
    transfer_app.command(name)(command)


_step("ship", "Planned > in transit: the goods leave for the transit location.")
_step("receive", "In transit > received: the goods arrive.")
_step("cancel", "Cancel a planned transfer.")
_step("get", "A transfer and its lines.")


@app.command("return")
def return_cmd(
    to: Annotated[str, typer.Argument(help="Stock or quarantine location")],
    lines: Annotated[list[str], typer.Argument(help="SKU=QUANTITY")],
    reason: Annotated[str, typer.Option(help="Reason code, e.g. damaged")],
    order: Annotated[str | None, typer.Option(help="The sales order it came from")] = None,
    lot: Lot = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Take goods back from a customer."""
    db, actor = org_session(org)
    data = returns.ReturnCreate(
        to=to,
        reason=reason,
        order=order,
        lines=[returns.ReturnLine(sku, q, lot=lot) for sku, q in _lines(lines)],
    )
    with handled():
        done = returns.return_goods(db, actor, data, idempotency_key=key)
    where = "quarantine" if done.get("quarantined") else "stock"
    state = "already posted" if done["replayed"] else f"posted into {where}"
    console.print(f"return {state} at {done['to']}: posting {done['posting_id']}", highlight=False)


@app.command("supplier-return")
def supplier_return_cmd(
    supplier: Annotated[str, typer.Argument(help="The supplier's code")],
    source: Annotated[str, typer.Argument(help="The stock location the goods leave")],
    lines: Annotated[list[str], typer.Argument(help="SKU=QUANTITY")],
    reason: Annotated[str, typer.Option(help="Reason code, e.g. defective")],
    order: Annotated[
        str | None, typer.Option(help="The purchase order they came on (of that supplier)")
    ] = None,
    lot: Lot = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Send goods back to a supplier."""
    db, actor = org_session(org)
    data = returns.SupplierReturnCreate(
        supplier=supplier,
        source=source,
        reason=reason,
        order=order,
        lines=[returns.ReturnLine(sku, q, lot=lot) for sku, q in _lines(lines)],
    )
    with handled():
        done = returns.return_to_supplier(db, actor, data, idempotency_key=key)
    state = "already posted" if done["replayed"] else "posted"
    console.print(
        f"return to {done['supplier']} {state} from {done['from']}: posting {done['posting_id']}",
        highlight=False,
    )


@app.command("scrap")
def scrap_cmd(
    sku: str,
    source: str,
    quantity: str,
    reason: Annotated[str, typer.Option(help="Reason code, e.g. damaged, expired")],
    lot: Lot = None,
    serial: Annotated[str | None, typer.Option()] = None,
    key: Key = None,
    org: OrgOption = None,
) -> None:
    """Write stock off to @scrap."""
    db, actor = org_session(org)
    ((_, qty),) = _lines([f"{sku}={quantity}"])
    with handled():
        done = returns.scrap(
            db,
            actor,
            sku=sku,
            source=source,
            quantity=qty,
            reason=reason,
            lot=lot,
            serial=serial,
            idempotency_key=key,
        )
    console.print(f"scrapped: posting {done['posting_id']}", highlight=False)
