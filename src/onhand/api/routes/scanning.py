"""Scanning: resolve a barcode, reconcile RFID reads or count a bin with them, and receive, pick,
move and count by scanning."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from onhand.api.deps import (
    BEARER_SECURITY,
    DB,
    CurrentActor,
    KeyHeader,
    bearer_token,
    idempotency_key_of,
)
from onhand.api.schemas_scanning import (
    RfidCountCreate,
    RfidCountRead,
    RfidRead,
    RfidReads,
    ScanCount,
    ScanCountRead,
    ScanMove,
    ScanMoveRead,
    ScanPick,
    ScanPickRead,
    ScanRead,
    ScanReceive,
    ScanReceiveRead,
    ScanResolve,
)
from onhand.services import accounts, rfid, scan_workflows, scanning

router = APIRouter(tags=["scanning"])


def _decimal_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


# Resolving is the scanners' hot path: like the posting routes it reads the token itself
# (FastAPI's dependency solving costs more than the token lookup), authenticates in the same
# read transaction as the lookup, and writes its JSON answer directly.
@router.post(
    "/scan/resolve",
    response_model=ScanRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ScanResolve"}}
            },
        }
    }
    | BEARER_SECURITY,
)
async def resolve_scan(request: Request) -> Response:
    """What a scanned barcode names: an item (with lot, expiry, serial, count), a location, or
    an SSCC."""
    token = bearer_token(request)
    db = request.app.state.db
    try:
        parsed = ScanResolve.model_validate_json(await request.body() or b"null")
    except ValidationError as exc:
        await run_in_threadpool(accounts.authenticate, db, token)  # a bad token is a 401 first
        raise RequestValidationError(
            [dict(e) | {"loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    result = await run_in_threadpool(scanning.resolve_for_token, db, token, parsed.code)
    return Response(orjson.dumps(result, default=_decimal_text), media_type="application/json")


@router.post("/rfid/reads", response_model=RfidRead)
def reconcile_rfid(body: RfidReads, db: DB, actor: CurrentActor) -> Any:
    """Reconcile a batch of EPC reads (SGTIN-96, hex) against the book at a location and below
    it: matched, missing, unexpected, and counts of items without serials. Posts nothing."""
    return rfid.reconcile_reads(db, actor, body.location, body.reads)


def _created(result: dict[str, Any], response: Response) -> dict[str, Any]:
    response.status_code = status.HTTP_200_OK if result["replayed"] else status.HTTP_201_CREATED
    return result


@router.post("/scan/receive", response_model=ScanReceiveRead, status_code=201)
def scan_receive(
    body: ScanReceive, db: DB, actor: CurrentActor, response: Response, key: KeyHeader = None
) -> Any:
    """Receive the scanned item (lot, expiry, serial from its barcode) against a PO line."""
    return _created(
        scan_workflows.scan_receive(
            db,
            actor,
            po=body.po,
            item=body.item,
            quantity=body.quantity,
            location=body.location,
            idempotency_key=idempotency_key_of(key, body.idempotency_key),
        ),
        response,
    )


@router.post("/scan/pick", response_model=ScanPickRead)
def scan_pick(body: ScanPick, db: DB, actor: CurrentActor, key: KeyHeader = None) -> Any:
    """Confirm the pick task for the scanned bin and item (lot, serial)."""
    return scan_workflows.scan_pick(
        db,
        actor,
        pick_list=body.pick_list,
        location=body.location,
        item=body.item,
        quantity=body.quantity,
        seq=body.seq,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )


@router.post("/scan/move", response_model=ScanMoveRead, status_code=201)
def scan_move(
    body: ScanMove, db: DB, actor: CurrentActor, response: Response, key: KeyHeader = None
) -> Any:
    """Move the scanned item from one bin to another of the same warehouse."""
    return _created(
        scan_workflows.scan_move(
            db,
            actor,
            source=body.from_,
            to=body.to,
            item=body.item,
            quantity=body.quantity,
            idempotency_key=idempotency_key_of(key, body.idempotency_key),
        ),
        response,
    )


@router.post("/scan/count", response_model=ScanCountRead, response_model_exclude_unset=True)
def scan_count(body: ScanCount, db: DB, actor: CurrentActor, key: KeyHeader = None) -> Any:
    """Record a bin's count from its scans (blind: book quantities are for managers only).
    With an idempotency key a retry records once and answers ``replayed``."""
    return scan_workflows.scan_count(
        db,
        actor,
        count=body.count,
        location=body.location,
        scans=[scan_workflows.CountScan(x.code, x.quantity) for x in body.scans],
        complete=body.complete,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )


@router.post("/rfid/counts", response_model=RfidCountRead, response_model_exclude_unset=True)
def count_rfid(body: RfidCountCreate, db: DB, actor: CurrentActor, key: KeyHeader = None) -> Any:
    """Record an RFID read of one bin as its count: read serials count 1, other items their
    tags, whatever the count expected there and was not read 0. With an idempotency key a
    retry records once and answers ``replayed``."""
    return rfid.count_reads(
        db,
        actor,
        body.count,
        body.location,
        body.reads,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )
