"""`onhand kpis`: inventory KPIs over a period as a table; `onhand kpi-settings`: the yearly
carrying-cost components."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import OrgOption, app, console, day_arg, handled, number_arg, org_session
from onhand.domain.kpis import COMPONENTS, DEFAULT_COVER_DAYS, DEFAULT_DEAD_DAYS
from onhand.services import kpi_settings, kpis
from onhand.services.common import utcnow

# (label, field) in the order shown; ratios show their value and inputs.
SHOWN = (
    ("average inventory value", "average_inventory_value"),
    ("cost of goods sold", "cost_of_goods_sold"),
    ("turnover", "turnover"),
    ("days of inventory", "days_of_inventory"),
    ("fill rate by unit %", "fill_rate_by_unit"),
    ("fill rate by line %", "fill_rate_by_line"),
    ("backorder rate by line %", "backorder_rate_by_line"),
    ("backorder rate by unit %", "backorder_rate_by_unit"),
    ("stockout rate %", "stockout_rate"),
    ("stockout days", "stockout_days"),
    ("carrying cost", "carrying_cost"),
    ("GMROI", "gmroi"),
    ("sell-through %", "sell_through"),
    ("dead stock value", "dead_stock_value"),
    ("excess stock value", "excess_stock_value"),
    ("stock accuracy %", "stock_accuracy"),
)


def _cells(row: dict[str, Any], name: str) -> tuple[str, str]:
    """The value of a KPI and what it was computed from."""
    got = row[name]
    if not isinstance(got, dict):
        return ("-" if got is None else str(got)), ""
    inputs = ", ".join(f"{k} {v}" for k, v in got["inputs"].items())
    return ("-" if got["value"] is None else str(got["value"])), inputs


@app.command("kpis")
def kpis_cmd(
    start: Annotated[
        str | None, typer.Option(help="first day, YYYY-MM-DD (default: 30 days ago)")
    ] = None,
    end: Annotated[str | None, typer.Option(help="last day, included (default: today)")] = None,
    by: Annotated[str, typer.Option(help="org, warehouse, category or item")] = "org",
    warehouse: Annotated[str | None, typer.Option(help="only this warehouse")] = None,
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    sku: Annotated[str | None, typer.Option(help="only this item")] = None,
    dead_days: Annotated[
        int, typer.Option(help="dead: no outbound for this many days")
    ] = DEFAULT_DEAD_DAYS,
    cover_days: Annotated[
        int, typer.Option(help="excess: more than this many days of cover")
    ] = DEFAULT_COVER_DAYS,
    org: OrgOption = None,
) -> None:
    """Turnover, days of inventory, fill and backorder rates, stockouts, carrying cost, GMROI,
    sell-through, dead and excess stock per organisation, warehouse, category or item."""
    last = day_arg(end, "end") or utcnow().date()
    first = day_arg(start, "start") or last - timedelta(days=29)
    db, actor = org_session(org)
    with handled():
        got = kpis.kpis(
            db,
            actor,
            start=first,
            end=last,
            by=by,
            warehouse=warehouse,
            category=category,
            sku=sku,
            dead_days=dead_days,
            cover_days=cover_days,
        )
    console.print(
        f"KPIs {got['start']} to {got['end']} ({got['days']} days) by {got['by']}, in "
        f"{got['currency']}; carrying cost {got['carrying_rates']['total']} % a year",
        highlight=False,
    )
    key = {"org": None, "warehouse": "warehouse", "category": "category", "item": "sku"}[by]
    groups = [(str(r.get(key) or "-"), r) for r in got["rows"]] if key else []
    groups.append(("total", got["total"]))
    table = Table("", "KPI", "value", "from")
    for label, row in groups:
        for n, (title, name) in enumerate(SHOWN):
            table.add_row(label if n == 0 else "", title, *_cells(row, name))
        table.add_section()
    console.print(table)


@app.command("kpi-settings")
def kpi_settings_cmd(
    capital: Annotated[str | None, typer.Option(help="% a year: cost of the money tied up")] = None,
    storage: Annotated[str | None, typer.Option(help="% a year: space")] = None,
    handling: Annotated[str | None, typer.Option(help="% a year")] = None,
    insurance: Annotated[str | None, typer.Option(help="% a year")] = None,
    shrink: Annotated[str | None, typer.Option(help="% a year: losses")] = None,
    obsolescence: Annotated[str | None, typer.Option(help="% a year")] = None,
    org: OrgOption = None,
) -> None:
    """Show the yearly carrying-cost components, or set those given."""
    given = dict(
        zip(COMPONENTS, (capital, storage, handling, insurance, shrink, obsolescence), strict=True)
    )
    changes = {k: number_arg(v, k) for k, v in given.items() if v is not None}
    db, actor = org_session(org)
    with handled():
        got = (
            kpi_settings.set_settings(db, actor, **changes)
            if changes
            else kpi_settings.get_settings(db, actor)
        )
    table = Table("component", "% a year")
    for name in COMPONENTS:
        table.add_row(name, str(got[name]))
    table.add_row("total", str(got["total"]))
    console.print(table)
    if got["defaults"]:
        console.print("these are the defaults: set your own with --capital, --storage, ...")
