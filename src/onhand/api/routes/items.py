"""Items and their lots."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from onhand.api.deps import DB, CurrentActor
from onhand.api.schemas import ItemCreate, ItemRead, ItemUpdate, LotCreate, LotRead, LotUpdate
from onhand.services import items, lots

router = APIRouter(tags=["items"])


@router.post("/items", response_model=ItemRead, status_code=status.HTTP_201_CREATED)
def create_item(body: ItemCreate, db: DB, actor: CurrentActor) -> Any:
    return items.create_items(db, actor, [items.ItemCreate(**body.model_dump())])[0]


@router.get("/items", response_model=list[ItemRead])
def list_items(
    db: DB,
    actor: CurrentActor,
    category: Annotated[str | None, Query(max_length=100)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="text in SKU or name")] = None,
    after: Annotated[
        str | None, Query(max_length=64, description="last SKU of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    return items.list_items(
        db, actor, category=category, active=active, search=q, after=after, limit=limit
    )


@router.get("/items/{sku}", response_model=ItemRead)
def get_item(sku: str, db: DB, actor: CurrentActor) -> Any:
    return items.get_item(db, actor, sku)


@router.patch("/items/{sku}", response_model=ItemRead)
def update_item(sku: str, body: ItemUpdate, db: DB, actor: CurrentActor) -> Any:
    return items.update_item(db, actor, sku, body.model_dump(exclude_unset=True))


@router.delete("/items/{sku}", response_model=ItemRead)
def deactivate_item(sku: str, db: DB, actor: CurrentActor) -> Any:
    """Deactivate the item (items are never deleted: the ledger refers to them)."""
    return items.deactivate_item(db, actor, sku)


@router.post("/lots", response_model=LotRead, status_code=status.HTTP_201_CREATED)
def create_lot(body: LotCreate, db: DB, actor: CurrentActor) -> Any:
    return lots.create_lot(db, actor, sku=body.sku, code=body.code, expiry_date=body.expiry_date)


@router.get("/lots", response_model=list[LotRead])
def list_lots(
    db: DB,
    actor: CurrentActor,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    return lots.list_lots(db, actor, sku=sku, limit=limit)


@router.get("/items/{sku}/lots/{code:path}", response_model=LotRead)
def get_lot(sku: str, code: str, db: DB, actor: CurrentActor) -> Any:
    return lots.get_lot(db, actor, sku=sku, code=code)


@router.patch("/items/{sku}/lots/{code:path}", response_model=LotRead)
def update_lot(sku: str, code: str, body: LotUpdate, db: DB, actor: CurrentActor) -> Any:
    return lots.update_lot(
        db, actor, sku=sku, code=code, expiry_date=body.expiry_date, on_hold=body.on_hold
    )
