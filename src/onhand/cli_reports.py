"""`onhand report NAME`: a report (stock-status, valuation, cogs, aging, abc, exceptions) as a
CSV file or a PDF with charts, as the organisation's first admin (like import and export)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from onhand.cli_common import EXIT, OrgOption, app, day_arg, err, fail, handled, org_session
from onhand.services import report_exports
from onhand.services.report_exports import ReportParams

Text = Annotated[str | None, typer.Option()]


def _moment(value: str | None) -> datetime | None:
    """An ISO 8601 time with its zone ('Z' for UTC), or exit 2 with a sentence."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise fail(
            f"as-of {value!r} is not a time with its zone such as 2026-03-31T18:00:00Z",
            EXIT["invalid"],
        )
    return moment


@app.command("report")
def report_cmd(
    name: Annotated[
        str, typer.Argument(help="stock-status, valuation, cogs, aging, abc or exceptions")
    ],
    fmt: Annotated[str, typer.Option("--format", help="csv or pdf")] = "csv",
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="file to write ('-': standard output; default: the report's "
            "own name in the current folder)",
        ),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="valuation: a past time, with zone")] = None,
    by: Annotated[str | None, typer.Option(help="valuation, cogs, aging: grouping")] = None,
    start: Annotated[str | None, typer.Option(help="cogs: first day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option(help="cogs: last day (YYYY-MM-DD)")] = None,
    period: Annotated[str | None, typer.Option(help="cogs: day, week or month")] = None,
    warehouse: Annotated[str | None, typer.Option(help="only this warehouse")] = None,
    sku: Annotated[str | None, typer.Option(help="only this SKU")] = None,
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    kind: Annotated[str | None, typer.Option(help="exceptions: only this kind")] = None,
    org: OrgOption = None,
) -> None:
    """Write a report as CSV or as a PDF with charts (see docs/reports.md)."""
    params = ReportParams(
        as_of=_moment(as_of),
        by=by,
        start=day_arg(start, "start"),
        end=day_arg(end, "end"),
        period=period,
        warehouse=warehouse,
        sku=sku,
        category=category,
        kind=kind,
    )
    db, actor = org_session(org)
    try:
        with handled():
            data, filename = report_exports.export_report(db, actor, name, params, fmt)
    finally:
        db.dispose()
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(out or filename)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror or exc}", EXIT["invalid"]) from None
    err.print(f"wrote {target} ({len(data):,} bytes)", highlight=False)
