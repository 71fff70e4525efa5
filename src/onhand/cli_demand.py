"""`onhand demand`: an item's demand history at a location, as a table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from onhand.cli_common import OrgOption, app, console, day_arg, handled, org_session


@app.command("demand")
def demand_cmd(
    sku: str,
    location: Annotated[str, typer.Argument(help="a location; everything below it counts")],
    bucket: Annotated[str, typer.Option(help="day, week (ISO, Monday) or month")] = "week",
    start: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD (UTC)")] = None,
    end: Annotated[str | None, typer.Option(help="last day, included (default today)")] = None,
    org: OrgOption = None,
) -> None:
    """Net demand of an item (sales and scrap less returns) per bucket, with days out of stock."""
    from onhand.services import demand  # numpy loads for this command

    first, last = day_arg(start, "start"), day_arg(end, "end")
    db, actor = org_session(org)
    with handled():
        got = demand.demand_history(db, actor, sku, location, bucket, first, last)
    console.print(
        f"{got['sku']} at {got['location']}, {got['start']} to {got['end']} by {got['bucket']}: "
        f"{got['total']} {got['uom']}",
        highlight=False,
    )
    table = Table("from", "days", "demand", "days out", "stockout")
    for x in got["series"]:
        table.add_row(
            str(x["start"]),
            str(x["days"]),
            str(x["qty"]),
            str(x["stockout_days"]),
            "yes" if x["out_of_stock"] else "",
        )
    console.print(table)
