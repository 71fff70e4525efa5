"""Put-away: from the receiving location to a bin, with a suggested bin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from onhand.api.deps import DB, CurrentActor, KeyHeader, idempotency_key_of
from onhand.api.schemas import Code, Path
from onhand.api.schemas_purchasing import (
    PutAwayCreate,
    PutAwayRead,
    PutAwayZoneRead,
    PutAwayZoneSet,
    SuggestionRead,
)
from onhand.services import put_away

router = APIRouter(tags=["put-away"])


@router.put("/items/{sku}/put-away-zone", response_model=PutAwayZoneRead)
def set_put_away_zone(sku: str, body: PutAwayZoneSet, db: DB, actor: CurrentActor) -> Any:
    """The zone whose empty bins take the item when no bin of that warehouse holds it."""
    return put_away.set_put_away_zone(db, actor, sku, body.zone)


@router.get("/put-away/suggestion", response_model=SuggestionRead)
def suggest_bin(
    db: DB,
    actor: CurrentActor,
    sku: Annotated[Code, Query()],
    from_: Annotated[Path, Query(alias="from")],
    lot: Annotated[Code | None, Query()] = None,
) -> Any:
    """Where to put the item away: a bin holding it, else an empty bin in its zone, else any
    empty bin of the warehouse."""
    return put_away.suggest_bin(db, actor, sku, from_, lot=lot)


@router.post(
    "/put-away",
    response_model=PutAwayRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "A retry with the same idempotency key"}},  # type: ignore[dict-item]
)
def put_away_stock(
    body: PutAwayCreate, db: DB, actor: CurrentActor, response: Response, key: KeyHeader = None
) -> Any:
    """Move received stock to a bin: the one given, or the suggested one."""
    result = put_away.put_away_stock(
        db,
        actor,
        sku=body.sku,
        source=body.from_,
        quantity=body.quantity,
        to=body.to,
        lot=body.lot,
        serial=body.serial,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )
    if result["replayed"]:
        response.status_code = status.HTTP_200_OK
    return result
