"""The exceptions list ("control tower"): stock situations to act on, and acknowledgements."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi import Path as PathParam

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import Code, Path
from onhand.api.schemas_exceptions import (
    AcknowledgementCreate,
    ExceptionKind,
    ExceptionRead,
    Role,
    Severity,
)
from onhand.domain.exception_rules import Thresholds
from onhand.services import exceptions

router = APIRouter(tags=["exceptions"])
D = Thresholds()


def thresholds(
    expiry_days: Annotated[
        int, Query(ge=0, le=3650, description="lot_expiring: lots expiring within this many days")
    ] = D.expiry_days,
    dead_days: Annotated[
        int, Query(ge=1, le=3650, description="dead_stock: no outbound for this many days")
    ] = D.dead_days,
    cover_days: Annotated[
        int, Query(ge=1, le=3650, description="excess_stock: more days of cover than this")
    ] = D.cover_days,
    adjustment_value: Annotated[
        Decimal, Query(gt=0, le=10**12, description="unusual_adjustment: worth more than this")
    ] = D.adjustment_value,
    adjustment_qty: Annotated[
        Decimal | None,
        Query(gt=0, le=10**12, description="unusual_adjustment: more units than this (off)"),
    ] = None,
    adjustment_count: Annotated[
        int, Query(ge=1, le=100_000, description="unusual_adjustment: more than this per user")
    ] = D.adjustment_count,
    adjustment_days: Annotated[
        int, Query(ge=1, le=365, description="unusual_adjustment: over the last this many days")
    ] = D.adjustment_days,
) -> Thresholds:
    return Thresholds(
        expiry_days=expiry_days,
        dead_days=dead_days,
        cover_days=cover_days,
        adjustment_value=adjustment_value,
        adjustment_qty=adjustment_qty,
        adjustment_count=adjustment_count,
        adjustment_days=adjustment_days,
    )


Limits = Annotated[Thresholds, Depends(thresholds)]


@router.get("/exceptions", response_model=list[ExceptionRead])
def list_exceptions(
    db: DB,
    actor: CurrentActor,
    limits: Limits,
    kind: Annotated[
        list[ExceptionKind] | None, Query(description="repeatable; default: all")
    ] = None,
    severity: Annotated[Severity | None, Query(description="this severity and worse")] = None,
    warehouse: Annotated[Path | None, Query(description="one warehouse, e.g. WH1")] = None,
    sku: Annotated[Code | None, Query()] = None,
    role: Annotated[Role | None, Query(description="only what this role should act on")] = None,
    include_acknowledged: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=exceptions.MAX_LIMIT, description="per kind")] = 1000,
) -> Any:
    """Situations to act on, the most severe first, each with the role that should act and
    what to do (docs/exceptions.md describes every kind and its thresholds). Only the
    warehouses a restricted user works in; acknowledged ones only when their numbers changed,
    unless include_acknowledged."""
    filters = exceptions.Filters(
        kinds=tuple(kind or ()),
        severity=severity,
        warehouse=warehouse,
        sku=sku,
        role=role,
        include_acknowledged=include_acknowledged,
    )
    return exceptions.list_exceptions(db, actor, filters, thresholds=limits, limit=limit)


@router.post(
    "/exceptions/acknowledgements",
    response_model=ExceptionRead,
    status_code=status.HTTP_201_CREATED,
)
def acknowledge(body: AcknowledgementCreate, db: DB, actor: CurrentActor, limits: Limits) -> Any:
    """Acknowledge a current exception by its key (thresholds as when listing it): hidden from
    the list until its numbers change. Managers and admins."""
    return exceptions.acknowledge(db, actor, body.key, body.note, thresholds=limits)


@router.delete("/exceptions/acknowledgements/{key}", status_code=status.HTTP_204_NO_CONTENT)
def unacknowledge(
    key: Annotated[str, PathParam(min_length=1, max_length=128)], db: DB, actor: CurrentActor
) -> Response:
    """Remove the acknowledgement of a key: the exception is listed again while it lasts."""
    exceptions.unacknowledge(db, actor, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
