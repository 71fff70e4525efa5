"""Suppliers, purchase orders and receipts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from onhand.api.deps import DB, CurrentActor, KeyHeader, idempotency_key_of
from onhand.api.schemas_purchasing import (
    PoCreate,
    PoLineCreate,
    PoRead,
    PoStatus,
    PoUpdate,
    ReceiptCreate,
    ReceiptRead,
    ReceivedRead,
    SupplierCode,
    SupplierCreate,
    SupplierItemRead,
    SupplierItemSet,
    SupplierRead,
    SupplierUpdate,
    UnplannedReceiptCreate,
)
from onhand.services import purchase_orders, receiving, suppliers

router = APIRouter(tags=["purchasing"])
REPLAYED = {200: {"description": "A retry with the same idempotency key: the first result"}}


@router.post("/suppliers", response_model=SupplierRead, status_code=status.HTTP_201_CREATED)
def create_supplier(body: SupplierCreate, db: DB, actor: CurrentActor) -> Any:
    return suppliers.create_supplier(db, actor, suppliers.SupplierCreate(**body.model_dump()))


@router.get("/suppliers", response_model=list[SupplierRead])
def list_suppliers(db: DB, actor: CurrentActor, active: bool | None = None) -> Any:
    return suppliers.list_suppliers(db, actor, active=active)


@router.get("/suppliers/{code}", response_model=SupplierRead)
def get_supplier(code: str, db: DB, actor: CurrentActor) -> Any:
    """A supplier, with the lead time learnt from its receipts."""
    return suppliers.get_supplier(db, actor, code)


@router.patch("/suppliers/{code}", response_model=SupplierRead)
def update_supplier(code: str, body: SupplierUpdate, db: DB, actor: CurrentActor) -> Any:
    return suppliers.update_supplier(db, actor, code, body.model_dump(exclude_unset=True))


@router.put("/suppliers/{code}/items/{sku}", response_model=SupplierItemRead)
def set_supplier_item(
    code: str, sku: str, body: SupplierItemSet, db: DB, actor: CurrentActor
) -> Any:
    """What the supplier sells of an item: price, supplier SKU, minimum, pack size, preferred."""
    return suppliers.set_supplier_item(
        db, actor, code, sku, suppliers.SupplierItemSet(**body.model_dump())
    )


@router.get("/supplier-items", response_model=list[SupplierItemRead])
def list_supplier_items(
    db: DB,
    actor: CurrentActor,
    supplier: SupplierCode | None = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    return suppliers.list_supplier_items(db, actor, supplier=supplier, sku=sku)


def _lines(lines: list[PoLineCreate]) -> list[purchase_orders.PoLineInput]:
    return [purchase_orders.PoLineInput(**x.model_dump()) for x in lines]


@router.post("/purchase-orders", response_model=PoRead, status_code=status.HTTP_201_CREATED)
def create_po(body: PoCreate, db: DB, actor: CurrentActor) -> Any:
    """A draft purchase order; lines without a unit price take the supplier's price."""
    data = body.model_dump(exclude={"lines"})
    return purchase_orders.create_po(
        db, actor, purchase_orders.PoCreate(**data, lines=_lines(body.lines))
    )


@router.get("/purchase-orders", response_model=list[PoRead])
def list_pos(
    db: DB,
    actor: CurrentActor,
    status_: Annotated[PoStatus | None, Query(alias="status")] = None,
    supplier: SupplierCode | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Any:
    return purchase_orders.list_pos(
        db, actor, status=status_, supplier=supplier, limit=limit, offset=offset
    )


@router.get("/purchase-orders/{number}", response_model=PoRead)
def get_po(number: str, db: DB, actor: CurrentActor) -> Any:
    return purchase_orders.get_po(db, actor, number)


@router.patch("/purchase-orders/{number}", response_model=PoRead)
def update_po(number: str, body: PoUpdate, db: DB, actor: CurrentActor) -> Any:
    """Change a draft; given lines replace all its lines."""
    given = body.model_dump(exclude_unset=True, exclude={"lines"})
    lines = _lines(body.lines) if "lines" in body.model_fields_set else None
    return purchase_orders.update_po(db, actor, number, lines=lines, **given)


@router.post("/purchase-orders/{number}/order", response_model=PoRead)
def order_po(number: str, db: DB, actor: CurrentActor) -> Any:
    """Draft > ordered: the lines become expected receipts."""
    return purchase_orders.order_po(db, actor, number)


@router.post("/purchase-orders/{number}/cancel", response_model=PoRead)
def cancel_po(number: str, db: DB, actor: CurrentActor) -> Any:
    """Cancel a draft, or an ordered PO nothing was received on."""
    return purchase_orders.cancel_po(db, actor, number)


@router.post("/purchase-orders/{number}/close", response_model=PoRead)
def close_po(number: str, db: DB, actor: CurrentActor) -> Any:
    """Stop expecting the rest of a partially received PO."""
    return purchase_orders.close_po(db, actor, number)


@router.post(
    "/purchase-orders/{number}/receipts",
    response_model=ReceivedRead,
    status_code=status.HTTP_201_CREATED,
    responses=REPLAYED,  # type: ignore[arg-type]
)
def receive(
    number: str,
    body: ReceiptCreate,
    db: DB,
    actor: CurrentActor,
    response: Response,
    key: KeyHeader = None,
) -> Any:
    """Receive goods against order lines (partial, lots, expiry, serials), into the order's
    receiving location or another location of its warehouse."""
    result = receiving.receive(
        db,
        actor,
        number,
        [receiving.ReceiptLineInput(**x.model_dump()) for x in body.lines],
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )
    if result["replayed"]:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/purchase-orders/{number}/receipts", response_model=list[ReceiptRead])
def list_receipts(number: str, db: DB, actor: CurrentActor) -> Any:
    return receiving.list_receipts(db, actor, number)


@router.post(
    "/receipts",
    response_model=ReceivedRead,
    status_code=status.HTTP_201_CREATED,
    responses=REPLAYED,  # type: ignore[arg-type]
)
def receive_without_order(
    body: UnplannedReceiptCreate,
    db: DB,
    actor: CurrentActor,
    response: Response,
    key: KeyHeader = None,
) -> Any:
    """Receive goods no purchase order announced: managers and admins only."""
    result = receiving.receive_without_order(
        db,
        actor,
        [receiving.UnplannedReceiptLine(**x.model_dump()) for x in body.lines],
        supplier=body.supplier,
        reference=body.reference,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )
    if result["replayed"]:
        response.status_code = status.HTTP_200_OK
    return result
