"""`onhand exceptions`: the exceptions list ("control tower") in a terminal, filtered, and
acknowledging or un-acknowledging one by its key, as the organisation's first admin."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from onhand.cli_common import EXIT, OrgOption, app, console, fail, handled, number_arg, org_session
from onhand.domain.exception_rules import KINDS, Thresholds
from onhand.services import exceptions

D = Thresholds()


@app.command("exceptions")
def exceptions_cmd(
    kind: Annotated[
        list[str] | None, typer.Option(help=f"Only this kind (repeatable): {', '.join(KINDS)}")
    ] = None,
    severity: Annotated[
        str | None, typer.Option(help="This severity and worse: critical, high, medium, low")
    ] = None,
    warehouse: Annotated[str | None, typer.Option(help="One warehouse, e.g. WH1")] = None,
    sku: Annotated[str | None, typer.Option(help="One item")] = None,
    role: Annotated[str | None, typer.Option(help="Who should act: clerk, manager, admin")] = None,
    include_acknowledged: Annotated[
        bool, typer.Option("--all", help="Also the acknowledged ones whose numbers held")
    ] = False,
    expiry_days: Annotated[int, typer.Option(help="lot_expiring window")] = D.expiry_days,
    dead_days: Annotated[int, typer.Option(help="dead_stock: days without outbound")] = D.dead_days,
    cover_days: Annotated[int, typer.Option(help="excess_stock: days of cover")] = D.cover_days,
    adjustment_value: Annotated[str, typer.Option(help="unusual_adjustment: value above")] = str(
        D.adjustment_value
    ),
    adjustment_qty: Annotated[
        str | None, typer.Option(help="unusual_adjustment: quantity above (default: off)")
    ] = None,
    adjustment_count: Annotated[
        int, typer.Option(help="unusual_adjustment: adjustments per user above")
    ] = D.adjustment_count,
    adjustment_days: Annotated[
        int, typer.Option(help="unusual_adjustment: over this many days")
    ] = D.adjustment_days,
    ack: Annotated[
        str | None, typer.Option(help="Acknowledge the exception with this key instead")
    ] = None,
    note: Annotated[str | None, typer.Option(help="With --ack: why, or what was done")] = None,
    unack: Annotated[
        str | None, typer.Option(help="Remove the acknowledgement of this key instead")
    ] = None,
    org: OrgOption = None,
) -> None:
    """Stock situations to act on (docs/exceptions.md), the most severe first, each with who
    should act and what to do; or, with --ack KEY [--note ...] or --unack KEY, acknowledge one
    (hidden until its numbers change) or undo that."""
    if ack is not None and unack is not None:
        raise fail("give --ack or --unack, not both", EXIT["invalid"])
    limits = Thresholds(
        expiry_days=expiry_days,
        dead_days=dead_days,
        cover_days=cover_days,
        adjustment_value=number_arg(adjustment_value, "adjustment_value"),
        adjustment_qty=None
        if adjustment_qty is None
        else number_arg(adjustment_qty, "adjustment_qty"),
        adjustment_count=adjustment_count,
        adjustment_days=adjustment_days,
    )
    db, actor = org_session(org)
    with handled():
        if ack is not None:
            done = exceptions.acknowledge(db, actor, ack, note, thresholds=limits)
            console.print(f"acknowledged {escape(ack)}: {escape(done['message'])}")
            return
        if unack is not None:
            exceptions.unacknowledge(db, actor, unack)
            console.print(f"no longer acknowledged: {escape(unack)}")
            return
        filters = exceptions.Filters(
            kinds=tuple(kind or ()),
            severity=severity,
            warehouse=warehouse,
            sku=sku,
            role=role,
            include_acknowledged=include_acknowledged,
        )
        found = exceptions.list_exceptions(db, actor, filters, thresholds=limits)
    _show(found)


def _show(found: list[dict[str, Any]]) -> None:
    # Three lines per exception rather than a table: messages are sentences and a table's
    # columns would wrap them word by word in a terminal.
    if not found:
        console.print("no exceptions")
        return
    for x in found:
        mark = " (acknowledged)" if x["acknowledged"] else ""
        head = f"{x['severity'].upper()} {x['kind']} for {x['role']}{mark}  [{x['key']}]"
        console.print(head, highlight=False, markup=False, soft_wrap=True)
        console.print(f"  {x['message']}", highlight=False, markup=False, soft_wrap=True)
        console.print(f"  do: {x['action']}", highlight=False, markup=False, soft_wrap=True)
    console.print(f"{len(found)} exception{'' if len(found) == 1 else 's'}", highlight=False)
