"""ERP and accounting exports: the journal account mapping, the accounting journal of the
stock valuation per period, the stock valuation as of a date, and imports of items and orders
through a column mapping (see docs/erp-exports.md)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi import Path as PathParam

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import Moment, Path
from onhand.api.schemas_erp import (
    AccountMappingRead,
    AccountMappingUpdate,
    ImportMappingRead,
    ImportMappingWrite,
    JournalRead,
    MappedImportCreate,
    MappedImportRead,
    StockValuationRead,
    Target,
)
from onhand.domain.errors import InvalidInput
from onhand.services import account_mapping, erp_exports, import_mappings, mapped_import

router = APIRouter(tags=["erp"])
CSV = "text/csv; charset=utf-8"
Format = Annotated[Literal["json", "csv"], Query(alias="format", description="json or csv")]
MappingName = Annotated[str, PathParam(min_length=1, max_length=64)]


def _csv(text: str, filename: str) -> Response:
    return Response(
        text.encode(),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/erp/account-mapping", response_model=AccountMappingRead)
def get_account_mapping(db: DB, actor: CurrentActor) -> Any:
    """The journal's account code per role (and per warehouse), with each role's meaning."""
    return account_mapping.get_mapping(db, actor)


@router.put("/erp/account-mapping", response_model=AccountMappingRead)
def set_account_mapping(body: AccountMappingUpdate, db: DB, actor: CurrentActor) -> Any:
    """Change some roles' account codes, the per-warehouse codes or the journal prefix."""
    return account_mapping.set_mapping(
        db,
        actor,
        accounts=body.accounts,
        warehouses=body.warehouses,
        journal_prefix=body.journal_prefix,
    )


@router.delete("/erp/account-mapping", response_model=AccountMappingRead)
def reset_account_mapping(db: DB, actor: CurrentActor) -> Any:
    """Back to the default accounts."""
    return account_mapping.reset_mapping(db, actor)


@router.get(
    "/erp/journal",
    response_model=JournalRead,
    responses={200: {"content": {"text/csv": {}}}},
)
def journal(
    db: DB,
    actor: CurrentActor,
    start: date,
    end: date,
    period: Literal["day", "week", "month"] = "month",
    by: Literal["organisation", "warehouse"] = "organisation",
    warehouse: Path | None = None,
    fmt: Format = "json",
) -> Any:
    """The accounting journal of the stock valuation: one balanced journal per period (and
    warehouse), tying out with the cost of goods sold and the inventory value reports."""
    got = erp_exports.journal(
        db, actor, start=start, end=end, period=period, by=by, warehouse=warehouse
    )
    if fmt == "csv":
        return _csv(erp_exports.journal_csv(got), f"journal-{start}-{end}.csv")
    return got


@router.get(
    "/erp/stock-valuation",
    response_model=StockValuationRead,
    responses={200: {"content": {"text/csv": {}}}},
)
def stock_valuation(
    db: DB,
    actor: CurrentActor,
    as_of: Annotated[Moment | None, Query(description="default: now")] = None,
    warehouse: Path | None = None,
    fmt: Format = "json",
) -> Any:
    """The stock's value by item and warehouse as of a moment, with the inventory accounts."""
    got = erp_exports.stock_valuation(db, actor, as_of=as_of, warehouse=warehouse)
    if fmt == "csv":
        return _csv(erp_exports.stock_valuation_csv(got), "stock-valuation.csv")
    return got


@router.get("/erp/import-mappings", response_model=list[ImportMappingRead])
def list_import_mappings(db: DB, actor: CurrentActor) -> Any:
    """The organisation's saved column mappings."""
    return import_mappings.list_mappings(db, actor)


@router.get("/erp/import-mappings/{name}", response_model=ImportMappingRead)
def get_import_mapping(name: MappingName, db: DB, actor: CurrentActor) -> Any:
    """One saved column mapping."""
    return import_mappings.get_mapping(db, actor, name)


@router.put("/erp/import-mappings/{name}", response_model=ImportMappingRead)
def save_import_mapping(
    name: MappingName, body: ImportMappingWrite, db: DB, actor: CurrentActor
) -> Any:
    """Save (or replace) a column mapping by name, checked first."""
    return import_mappings.save_mapping(db, actor, name, body.model_dump())


@router.delete("/erp/import-mappings/{name}", status_code=204)
def delete_import_mapping(name: MappingName, db: DB, actor: CurrentActor) -> Response:
    """Delete a saved column mapping."""
    import_mappings.delete_mapping(db, actor, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/erp/imports/{target}", response_model=MappedImportRead)
def mapped_import_route(
    target: Target, body: MappedImportCreate, db: DB, actor: CurrentActor
) -> Any:
    """Import items, sales orders or purchase orders from CSV text or JSON records through a
    column mapping: all rows or none; a refused file lists every problem with its line and
    code. ``dry_run`` checks everything and reports what would be created."""
    if body.format == "csv":
        if body.content is None or body.rows is not None:
            raise InvalidInput(
                "format csv takes the file's text in content", code="content_missing"
            )
        data = body.content.encode()
    else:
        if body.rows is None or body.content is not None:
            raise InvalidInput("format json takes the records in rows", code="content_missing")
        data = json.dumps(body.rows, default=str).encode()
    return mapped_import.run_import(
        db,
        actor,
        target=target,
        data=data,
        source_format=body.format,
        mapping=body.mapping,
        mapping_name=body.mapping_name,
        dry_run=body.dry_run,
    )
