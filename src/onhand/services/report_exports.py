"""Reports to hand on: stock status, valuation, cost of goods sold, aging, ABC and exceptions,
built from the services that compute them (services.report_sources) and written as CSV or as a
PDF with charts.

The PDF path loads matplotlib, which takes a moment to import: only ``to_pdf`` loads it, so the
API and the command line start without it (see docs/reports.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput, NotFound
from onhand.services.report_model import Chart, Report, ReportParams, text
from onhand.services.report_sources import REPORTS
from onhand.store.unit_of_work import Database

__all__ = [
    "FORMATS",
    "REPORTS",
    "Chart",
    "Report",
    "ReportParams",
    "build_report",
    "to_csv",
    "to_pdf",
]

FORMATS = ("csv", "pdf")


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """The rows as CSV: a header row, then one line per row in ``columns`` order (a missing
    value is empty)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([text(row.get(c)) for c in columns])
    return out.getvalue()


def to_pdf(report: Report) -> bytes:
    """The report as a PDF: title, organisation, parameters and time, charts, then the table
    (its header repeated on every page), totals and notes."""
    # matplotlib takes about half a second to import: only this path loads it, so the API and
    # the command line start without it.
    from onhand.services import report_pdf

    return report_pdf.render(report)


def build_report(db: Database, actor: Actor, name: str, params: ReportParams) -> Report:
    """Build one report by name (stock-status, valuation, cogs, aging, abc, exceptions) from
    the services that compute it; a parameter the report does not take is refused."""
    actor.require(Permission.READ)
    spec = REPORTS.get(name)
    if spec is None:
        raise NotFound(
            f"report {name!r} not found: one of {', '.join(REPORTS)}", code="report_not_found"
        )
    builder, takes = spec
    extra = sorted(set(params.given()) - takes)
    if extra:
        allowed = ", ".join(sorted(takes)) or "no parameters"
        raise InvalidInput(
            f"report {name} does not take {', '.join(extra)} (it takes {allowed})",
            code="invalid_parameter",
        )
    if params.as_of is not None and params.as_of.tzinfo is None:
        raise InvalidInput("as_of needs a time zone", code="invalid_as_of")
    return builder(db, actor, params)


def check_format(fmt: str) -> str:
    """``fmt`` if it is a format reports are written in, else a typed error."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    return fmt


def export_report(
    db: Database, actor: Actor, name: str, params: ReportParams, fmt: str
) -> tuple[bytes, str]:
    """A report written as CSV or PDF: its bytes and a file name for them."""
    check_format(fmt)
    report = build_report(db, actor, name, params)
    data = to_csv(report.rows, report.columns).encode() if fmt == "csv" else to_pdf(report)
    return data, f"{report.filename_stem}.{fmt}"
