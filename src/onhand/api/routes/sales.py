"""Sales orders, available-to-promise and warehouse settings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from onhand.api.deps import DB, CurrentActor, KeyHeader, idempotency_key_of
from onhand.api.schemas import Exact, Path
from onhand.api.schemas_sales import (
    AtpQuery,
    AtpRead,
    DiscrepancyRead,
    PickConfirm,
    PickListCreate,
    PickListRead,
    PlanCreate,
    PlanRead,
    ShipCreate,
    ShipmentRead,
    SoCreate,
    SoRead,
    SoStatus,
    WarehouseSettingsRead,
    WarehouseSettingsSet,
)
from onhand.services import availability, picking, routing, sales_orders, shipping

router = APIRouter(tags=["sales"])


@router.post("/sales-orders", response_model=SoRead, status_code=status.HTTP_201_CREATED)
def create_order(body: SoCreate, db: DB, actor: CurrentActor) -> Any:
    """Create a sales order: each line reserves what is available in the warehouse now, the
    rest is backordered."""
    data = body.model_dump(exclude={"lines"})
    lines = [sales_orders.SoLineInput(**x.model_dump()) for x in body.lines]
    return sales_orders.create_order(db, actor, sales_orders.SoCreate(**data, lines=lines))


@router.get("/sales-orders", response_model=list[SoRead])
def list_orders(
    db: DB,
    actor: CurrentActor,
    status_: Annotated[SoStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Any:
    return sales_orders.list_orders(db, actor, status=status_, limit=limit, offset=offset)


@router.get("/sales-orders/{number}", response_model=SoRead)
def get_order(number: str, db: DB, actor: CurrentActor) -> Any:
    return sales_orders.get_order(db, actor, number)


@router.post("/sales-orders/{number}/reallocate", response_model=SoRead)
def reallocate(number: str, db: DB, actor: CurrentActor) -> Any:
    """Reserve what is available now for the order's backordered lines."""
    return sales_orders.reallocate(db, actor, number)


@router.post("/sales-orders/{number}/cancel", response_model=SoRead)
def cancel_order(number: str, db: DB, actor: CurrentActor) -> Any:
    """Cancel what is not shipped, releasing its reservations."""
    return sales_orders.cancel_order(db, actor, number)


@router.post("/atp", response_model=AtpRead)
def atp_many(body: AtpQuery, db: DB, actor: CurrentActor) -> Any:
    """Available-to-promise for up to 1,000 items in one warehouse: now, on a date, and the
    earliest date each requested quantity can be promised."""
    return availability.available_to_promise(
        db,
        actor,
        body.warehouse,
        [availability.AtpRequest(x.sku, x.quantity) for x in body.items],
        on=body.date,
        profile=body.profile,
    )


@router.get("/atp/{sku}", response_model=AtpRead)
def atp_one(
    sku: str,
    db: DB,
    actor: CurrentActor,
    warehouse: Annotated[Path, Query()],
    quantity: Annotated[Exact | None, Query()] = None,
    on: Annotated[date | None, Query(alias="date")] = None,
) -> Any:
    """Available-to-promise of one item in one warehouse."""
    return availability.available_to_promise(
        db, actor, warehouse, [availability.AtpRequest(sku, quantity)], on=on, profile=True
    )


@router.get("/warehouses/{code}/settings", response_model=WarehouseSettingsRead)
def get_warehouse_settings(code: str, db: DB, actor: CurrentActor) -> Any:
    """Routing priority, backorder rule and outbound location (defaults when never set)."""
    return sales_orders.get_warehouse_settings(db, actor, code)


@router.put("/warehouses/{code}/settings", response_model=WarehouseSettingsRead)
def set_warehouse_settings(
    code: str, body: WarehouseSettingsSet, db: DB, actor: CurrentActor
) -> Any:
    """Routing priority (lower first) and whether arriving stock serves backorders first."""
    return sales_orders.set_warehouse_settings(
        db,
        actor,
        code,
        priority=body.priority,
        backorders_first=body.backorders_first,
        outbound=body.outbound,
    )


@router.post("/pick-lists", response_model=PickListRead, status_code=status.HTTP_201_CREATED)
def create_pick_list(body: PickListCreate, db: DB, actor: CurrentActor) -> Any:
    """Tasks for what open orders have reserved: which stock to take from which bin (FIFO,
    FEFO or serials), in bin-path order."""
    return picking.create_pick_list(db, actor, body.warehouse, orders=body.orders)


@router.get("/pick-lists", response_model=list[PickListRead])
def list_pick_lists(
    db: DB,
    actor: CurrentActor,
    warehouse: Annotated[Path | None, Query()] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|done|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    """Pick lists, newest first: what the floor is working on (status=open)."""
    return picking.list_pick_lists(db, actor, warehouse=warehouse, status=status_, limit=limit)


@router.get("/pick-lists/{number}", response_model=PickListRead)
def get_pick_list(number: str, db: DB, actor: CurrentActor) -> Any:
    return picking.get_pick_list(db, actor, number)


@router.post("/pick-lists/{number}/confirm", response_model=PickListRead)
def confirm_picks(
    number: str, body: PickConfirm, db: DB, actor: CurrentActor, key: KeyHeader = None
) -> Any:
    """Confirm tasks with what was scanned and taken; the stock moves to the outbound location.
    Less than asked is a short pick: the rest is backordered and the bin flagged for a count."""
    return picking.confirm_picks(
        db,
        actor,
        number,
        [picking.PickConfirmation(**c.model_dump()) for c in body.confirmations],
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )


@router.post("/sales-orders/{number}/ship", response_model=ShipmentRead)
def ship_order(
    number: str,
    db: DB,
    actor: CurrentActor,
    key: KeyHeader = None,
    body: ShipCreate | None = None,
) -> Any:
    """Ship what is picked for the order and not shipped yet (to @customer)."""
    given = body.idempotency_key if body is not None else None
    return shipping.ship_order(db, actor, number, idempotency_key=idempotency_key_of(key, given))


@router.get("/discrepancies", response_model=list[DiscrepancyRead])
def list_discrepancies(db: DB, actor: CurrentActor) -> Any:
    """Open discrepancies (short picks...): where the records may be wrong, to count first."""
    return picking.list_discrepancies(db, actor)


@router.post("/fulfilment-plan", response_model=PlanRead)
def fulfilment_plan(body: PlanCreate, db: DB, actor: CurrentActor) -> Any:
    """Which warehouses should serve an order: one that can ship everything, else the split
    with the fewest shipments, ties broken by warehouse priority."""
    return routing.plan(
        db,
        actor,
        [routing.PlanLine(x.sku, x.quantity) for x in body.lines],
        warehouses=body.warehouses,
    )
