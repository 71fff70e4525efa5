"""Exceptions: stock states a person should look into."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas_channels import ExceptionKind, ExceptionRead
from onhand.services import exceptions

router = APIRouter(tags=["exceptions"])


@router.get("/exceptions", response_model=list[ExceptionRead])
def list_exceptions(
    db: DB,
    actor: CurrentActor,
    kind: Annotated[ExceptionKind | None, Query(description="default: every kind")] = None,
    limit: Annotated[int, Query(ge=1, le=exceptions.MAX_LIMIT)] = 1000,
) -> Any:
    """Negative balances in internal locations (a store allowing negative stock sold what it
    had not received), each with when the last movement touched it; the longest-standing first.
    Only the warehouses a restricted user works in."""
    return exceptions.list_exceptions(db, actor, kind=kind, limit=limit)
