"""Reports as files: stock status, valuation, cost of goods sold, aging, ABC and exceptions,
as CSV or as a PDF with charts (see docs/reports.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import Code, Moment, Path
from onhand.api.schemas_valuation import Category
from onhand.services import report_exports
from onhand.services.report_exports import ReportParams

router = APIRouter(tags=["reports"])
MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
Name = Annotated[
    str,
    PathParam(
        max_length=32,
        description="stock-status, valuation, cogs, aging, abc or exceptions",
    ),
]
Word = Annotated[str | None, Query(max_length=32)]


@router.get(
    "/reports/{name}",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
def export_report(
    name: Name,
    db: DB,
    actor: CurrentActor,
    fmt: Annotated[str, Query(alias="format", max_length=8, description="csv or pdf")] = "csv",
    as_of: Annotated[Moment | None, Query(description="valuation: default now")] = None,
    by: Annotated[Word, Query(description="valuation, cogs, aging: how rows are grouped")] = None,
    start: Annotated[date | None, Query(description="cogs: default 12 months back")] = None,
    end: Annotated[date | None, Query(description="cogs: default today")] = None,
    period: Annotated[Word, Query(description="cogs: day, week or month")] = None,
    warehouse: Path | None = None,
    sku: Code | None = None,
    category: Category | None = None,
    kind: Annotated[Word, Query(description="exceptions: one kind")] = None,
) -> Response:
    """A report as a CSV file or a PDF with charts; each report takes some of the parameters
    (a parameter it does not take is refused). A restricted user's report holds only their
    warehouses."""
    params = ReportParams(
        as_of=as_of,
        by=by,
        start=start,
        end=end,
        period=period,
        warehouse=warehouse,
        sku=sku,
        category=category,
        kind=kind,
    )
    data, filename = report_exports.export_report(db, actor, name, params, fmt)
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
