"""Traces of lots and serials, recalls, trace proofs and the published checkpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import MAX_ID
from onhand.api.schemas_trace import (
    CheckpointRead,
    RecallCreate,
    RecallRead,
    RecallRelease,
    RecallSummary,
    TraceProof,
    TraceRead,
)
from onhand.services import recalls, trace_proofs, traceability

router = APIRouter(tags=["traceability"])

Sku = Annotated[str, Query(min_length=1, max_length=64)]
LotCode = Annotated[str | None, Query(min_length=1, max_length=64, description="a lot code")]
Serial = Annotated[str | None, Query(min_length=1, max_length=64, description="a serial")]


@router.get("/trace", response_model=TraceRead, response_model_by_alias=True)
def trace(
    db: DB,
    actor: CurrentActor,
    sku: Sku,
    lot: LotCode = None,
    serial: Serial = None,
    movements: Annotated[
        int, Query(ge=0, le=traceability.MOVEMENTS_SHOWN, description="movements listed")
    ] = traceability.MOVEMENTS_SHOWN,
) -> Any:
    """Where a lot (or serial) came from and went: receipts with supplier and purchase order,
    transfers, shipments and returns per order and customer, scrap and adjustments, on hand
    per location, and the reconciliation of them all."""
    return traceability.trace(db, actor, sku=sku, lot=lot, serial=serial, movements=movements)


@router.get("/trace/proof", response_model=TraceProof, response_class=JSONResponse)
def trace_proof(
    db: DB,
    actor: CurrentActor,
    sku: Sku,
    lot: LotCode = None,
    serial: Serial = None,
    checkpoint: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="anchor in this checkpoint (default: the latest)"),
    ] = None,
) -> Any:
    """The trace with its movements' ledger hashes and chain positions, linked to a version 2
    checkpoint, for a partner to check offline (`onhand trace verify`)."""
    doc = trace_proofs.export_proof(
        db, actor, sku=sku, lot=lot, serial=serial, checkpoint_id=checkpoint
    )
    # Sent as built: validating a proof of many movements again would only cost time.
    return JSONResponse(doc)


@router.get("/checkpoints", response_model=list[CheckpointRead])
def checkpoints(
    db: DB,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    """The ledger's checkpoints, newest first: publish their hashes for partners to check
    trace proofs against."""
    return trace_proofs.list_checkpoints(db, actor, limit=limit, before_id=before_id)


@router.post("/recalls", response_model=RecallRead, status_code=status.HTTP_201_CREATED)
def open_recall(body: RecallCreate, db: DB, actor: CurrentActor, response: Response) -> Any:
    """Recall a lot or serial: hold every remaining unit and list the customers to contact. A
    lot already under an open recall answers with that recall (200, replayed)."""
    done = recalls.recall(
        db, actor, sku=body.sku, lot=body.lot, serial=body.serial, reason=body.reason
    )
    if done["replayed"]:
        response.status_code = status.HTTP_200_OK
    return done


@router.get("/recalls", response_model=list[RecallSummary])
def list_recalls(
    db: DB,
    actor: CurrentActor,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|released)$")] = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Recalls, newest first."""
    return recalls.list_recalls(db, actor, status=status_, sku=sku, limit=limit)


@router.get("/recalls/{number}", response_model=RecallRead)
def get_recall(number: str, db: DB, actor: CurrentActor) -> Any:
    """A recall with the units it holds and the customers to contact, as they are now."""
    return recalls.get_recall(db, actor, number)


@router.post("/recalls/{number}/release", response_model=RecallRead)
def release_recall(
    number: str, db: DB, actor: CurrentActor, body: RecallRelease | None = None
) -> Any:
    """Close the recall and put back the hold the lot or serial had before it."""
    return recalls.release_recall(db, actor, number, note=body.note if body else None)
