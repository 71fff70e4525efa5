"""Scanning: resolve a barcode, reconcile RFID reads, and receive, pick and move by scanning."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from onhand.api.deps import DB, CurrentActor, KeyHeader, idempotency_key_of
from onhand.api.schemas_scanning import (
    RfidRead,
    RfidReads,
    ScanMove,
    ScanMoveRead,
    ScanPick,
    ScanPickRead,
    ScanRead,
    ScanReceive,
    ScanReceiveRead,
    ScanResolve,
)
from onhand.services import rfid, scan_workflows, scanning

router = APIRouter(tags=["scanning"])


@router.post("/scan/resolve", response_model=ScanRead)
def resolve_scan(body: ScanResolve, db: DB, actor: CurrentActor) -> Any:
    """What a scanned barcode names: an item (with lot, expiry, serial, count), a location, or
    an SSCC."""
    return scanning.resolve(db, actor, body.code)


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
