"""`onhand channel-sales import` and `onhand exceptions`: a store's or web shop's sales from a
CSV file, and the stock states to look into, as the organisation's first admin."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    database,
    err,
    fail,
    handled,
    read_input,
)
from onhand.services import channel_csv, exceptions, operators
from onhand.services.csv_read import ImportRejected

channel_app = typer.Typer(
    help="Sales and refunds from stores and e-commerce channels.", no_args_is_help=True
)
app.add_typer(channel_app, name="channel-sales")


@channel_app.command("import")
def import_sales(
    file: Annotated[str, typer.Argument(help="CSV file with a header line ('-' for stdin)")],
    channel: Annotated[str, typer.Option(help="The channel the lines come from, e.g. shop-12")],
    store: Annotated[str, typer.Option(help="The store's stock location, e.g. STORES/S12")],
    org: OrgOption = None,
) -> None:
    """Post the sale and refund lines of a CSV file (external_id,kind,sku,quantity and
    optionally at,lot,serial,unit_price) from a store: a file with any bad row is refused as a
    whole, each problem listed with its line; lines posted before are skipped as duplicates."""
    data = read_input(file)
    db = database()
    with handled():
        actor = operators.org_actor(db, org)
        try:
            done = channel_csv.import_sales(db, actor, data, channel=channel, store=store)
        except ImportRejected as exc:
            for problem in exc.problems:
                err.print(f"{file}: {problem}", highlight=False, markup=False)
            raise fail(exc.message, EXIT["invalid"]) from None
    console.print(_summary(done), highlight=False)


def _summary(done: dict[str, Any]) -> str:
    posted, skipped = done["posted"], done["duplicates"]
    if done["posting_id"] is None:
        return f"nothing new: {_lines(skipped)} posted before"
    text = f"{_lines(posted)} posted from {done['store']} (posting {done['posting_id']})"
    if skipped:
        text += f"; {_lines(skipped)} posted before, skipped"
    return text


def _lines(n: int) -> str:
    return f"{n} line{'' if n == 1 else 's'}"


@app.command("exceptions")
def exceptions_cmd(
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: negative_stock (default: every kind)")
    ] = None,
    org: OrgOption = None,
) -> None:
    """Stock states to look into: balances below zero in internal locations, with when the last
    movement touched each (the longest-standing first)."""
    db = database()
    with handled():
        actor = operators.org_actor(db, org)
        found = exceptions.list_exceptions(db, actor, kind=kind)
    if not found:
        console.print("no exceptions")
        return
    # Lot and serial columns only when some balance has one: the table fits a terminal.
    lots = any(x["lot"] for x in found)
    serials = any(x["serial"] for x in found)
    table = Table("kind", "sku", "location")
    for shown, name in ((lots, "lot"), (serials, "serial")):
        if shown:
            table.add_column(name)
    table.add_column("quantity", justify="right")
    table.add_column("last movement (UTC)", no_wrap=True)
    for x in found:
        last = x["last_movement_at"]
        cells = [x["kind"], escape(x["sku"]), escape(x["location"])]
        cells += [escape(x["lot"] or "")] if lots else []
        cells += [escape(x["serial"] or "")] if serials else []
        cells += [str(x["quantity"]), last.strftime("%Y-%m-%d %H:%M") if last else ""]
        table.add_row(*cells)
    console.print(table)
