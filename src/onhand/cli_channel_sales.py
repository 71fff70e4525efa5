"""`onhand channel-sales import`: a store's or web shop's sales from a CSV file, as the
organisation's first admin."""

from __future__ import annotations

from typing import Annotated, Any

import typer

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
from onhand.services import channel_csv, operators
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
