"""Transfers, returns from customers and to suppliers, scrap, and the history of returns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from onhand.api.deps import DB, CurrentActor, KeyHeader, idempotency_key_of
from onhand.api.schemas import MAX_BIG_ID
from onhand.api.schemas_moves import (
    ReturnCreate,
    ReturnHistoryRead,
    ReturnKind,
    ReturnRead,
    ScrapCreate,
    ScrapRead,
    SupplierReturnCreate,
    SupplierReturnRead,
    TransferCreate,
    TransferRead,
    TransferStep,
)
from onhand.services import return_history, returns, transfers

router = APIRouter(tags=["transfers and returns"])
Status = Annotated[
    str | None, Query(alias="status", pattern="^(planned|in_transit|received|cancelled)$")
]
REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry with the same Idempotency-Key: the first result, nothing posted"}
}


def _answered(result: dict[str, Any], response: Response) -> dict[str, Any]:
    """A posting's answer: 201 when posted, 200 and Idempotent-Replayed for a retried key."""
    if result["replayed"]:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post(
    "/transfers",
    response_model=TransferRead,
    response_model_by_alias=True,
    status_code=status.HTTP_201_CREATED,
)
def create_transfer(
    body: TransferCreate, db: DB, actor: CurrentActor, key: KeyHeader = None
) -> Any:
    """Plan a transfer through a transit location, or move the stock now (direct)."""
    data = transfers.TransferCreate(
        source=body.from_,
        destination=body.to,
        lines=[transfers.TransferLineInput(**x.model_dump()) for x in body.lines],
        direct=body.direct,
        via=body.via,
        ship_date=body.ship_date,
        expected_arrival=body.expected_arrival,
        number=body.number,
    )
    return transfers.create_transfer(
        db, actor, data, idempotency_key=idempotency_key_of(key, body.idempotency_key)
    )


@router.get("/transfers", response_model=list[TransferRead], response_model_by_alias=True)
def list_transfers(
    db: DB,
    actor: CurrentActor,
    status_: Status = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Any:
    return transfers.list_transfers(db, actor, status=status_, limit=limit, offset=offset)


@router.get("/transfers/{number}", response_model=TransferRead, response_model_by_alias=True)
def get_transfer(number: str, db: DB, actor: CurrentActor) -> Any:
    return transfers.get_transfer(db, actor, number)


@router.post("/transfers/{number}/ship", response_model=TransferRead, response_model_by_alias=True)
def ship_transfer(
    number: str,
    db: DB,
    actor: CurrentActor,
    key: KeyHeader = None,
    body: TransferStep | None = None,
) -> Any:
    """Planned > in transit: the goods leave for the transit location."""
    given = body.idempotency_key if body else None
    return transfers.ship_transfer(
        db, actor, number, idempotency_key=idempotency_key_of(key, given)
    )


@router.post(
    "/transfers/{number}/receive", response_model=TransferRead, response_model_by_alias=True
)
def receive_transfer(
    number: str,
    db: DB,
    actor: CurrentActor,
    key: KeyHeader = None,
    body: TransferStep | None = None,
) -> Any:
    """In transit > received: the goods arrive."""
    given = body.idempotency_key if body else None
    return transfers.receive_transfer(
        db, actor, number, idempotency_key=idempotency_key_of(key, given)
    )


@router.post(
    "/transfers/{number}/cancel", response_model=TransferRead, response_model_by_alias=True
)
def cancel_transfer(number: str, db: DB, actor: CurrentActor) -> Any:
    """Cancel a planned transfer."""
    return transfers.cancel_transfer(db, actor, number)


@router.get("/returns", response_model=ReturnHistoryRead, response_model_by_alias=True)
def list_returns(
    db: DB,
    actor: CurrentActor,
    kind: ReturnKind | None = None,
    before_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_BIG_ID, description="next_before_id of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Returns from customers, returns to suppliers and scrap, newest first, paged: the
    movements with their reference, reason and who posted them."""
    return return_history.recent_returns(db, actor, kind=kind, before_id=before_id, limit=limit)


@router.post(
    "/returns",
    response_model=ReturnRead,
    status_code=status.HTTP_201_CREATED,
    responses=REPLAYED,
)
def return_goods(
    body: ReturnCreate, db: DB, actor: CurrentActor, response: Response, key: KeyHeader = None
) -> Any:
    """Take goods back from a customer, into stock or a held (quarantine) location."""
    data = returns.ReturnCreate(
        to=body.to,
        reason=body.reason,
        order=body.order,
        lines=[returns.ReturnLine(**x.model_dump()) for x in body.lines],
    )
    result = returns.return_goods(
        db, actor, data, idempotency_key=idempotency_key_of(key, body.idempotency_key)
    )
    return _answered(result, response)


@router.post(
    "/supplier-returns",
    response_model=SupplierReturnRead,
    response_model_by_alias=True,
    status_code=status.HTTP_201_CREATED,
    responses=REPLAYED,
)
def return_to_supplier(
    body: SupplierReturnCreate,
    db: DB,
    actor: CurrentActor,
    response: Response,
    key: KeyHeader = None,
) -> Any:
    """Send goods back to a supplier from a stock location, with a reason code, referring to a
    purchase order of that supplier when one is named."""
    data = returns.SupplierReturnCreate(
        supplier=body.supplier,
        source=body.from_,
        reason=body.reason,
        order=body.order,
        lines=[returns.ReturnLine(**x.model_dump()) for x in body.lines],
    )
    result = returns.return_to_supplier(
        db, actor, data, idempotency_key=idempotency_key_of(key, body.idempotency_key)
    )
    return _answered(result, response)


@router.post(
    "/scrap", response_model=ScrapRead, status_code=status.HTTP_201_CREATED, responses=REPLAYED
)
def scrap(
    body: ScrapCreate, db: DB, actor: CurrentActor, response: Response, key: KeyHeader = None
) -> Any:
    """Write stock off to @scrap with a reason code."""
    result = returns.scrap(
        db,
        actor,
        sku=body.sku,
        source=body.from_,
        quantity=body.quantity,
        reason=body.reason,
        lot=body.lot,
        serial=body.serial,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )
    return _answered(result, response)
