"""Request and response bodies of sales orders, available-to-promise and warehouse settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, Exact, Flag, In, Path, Qty, Text
from onhand.api.schemas_purchasing import Note, Number

SoStatus = Literal["open", "partially_shipped", "shipped", "cancelled"]


class SoLineCreate(In):
    sku: Code
    quantity: Exact
    unit_price: Exact | None = None
    requested_date: dt.date | None = None


class SoCreate(In):
    customer: Text
    warehouse: Path = Field(description="the warehouse (a top-level location) that fulfils it")
    number: Number | None = None
    requested_date: dt.date | None = None
    channel: Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)] | None = None
    external_ref: Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None = (
        None
    )
    note: Note | None = None
    lines: list[SoLineCreate] = Field(min_length=1, max_length=1000)


class SoLineRead(BaseModel):
    line_no: int
    sku: str
    quantity: Qty
    reserved: Qty = Field(description="reserved for this line and not shipped yet")
    shipped: Qty
    cancelled: Qty
    backordered: Qty = Field(description="still to ship and not reserved")
    unit_price: Qty | None
    requested_date: dt.date | None


class SoRead(BaseModel):
    number: str
    customer: str
    status: SoStatus
    warehouse: str
    requested_date: dt.date | None
    channel: str | None
    external_ref: str | None
    note: str | None
    lines: list[SoLineRead]
    created_at: dt.datetime
    updated_at: dt.datetime


class AtpItem(In):
    sku: Code
    quantity: Exact | None = Field(default=None, description="ask for its earliest date")


class AtpQuery(In):
    warehouse: Path
    date: dt.date | None = Field(default=None, description="also answer ATP on this day")
    profile: Flag = Field(default=False, description="add each item's ATP profile by date")
    items: list[AtpItem] = Field(min_length=1, max_length=1000)


class AtpPoint(BaseModel):
    date: dt.date
    atp: Qty


class AtpLine(BaseModel):
    sku: str
    on_hand: Qty = Field(description="available on hand: outside holds, unexpired lots")
    reserved: Qty
    expected: Qty = Field(description="open purchase order lines")
    backordered: Qty = Field(description="owed and not reserved")
    atp_now: Qty
    atp_on_date: Qty | None = None
    quantity: Qty | None = None
    earliest_date: dt.date | None = Field(
        default=None, description="first day the quantity can be promised; null: not yet"
    )
    profile: list[AtpPoint] | None = Field(
        default=None, description="ATP today and at each date something is due (when asked)"
    )


class AtpRead(BaseModel):
    warehouse: str
    today: dt.date
    on: dt.date | None
    items: list[AtpLine]


class WarehouseSettingsSet(In):
    priority: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    backorders_first: Flag | None = None
    outbound: Path | None = Field(default=None, description="where picked stock waits to ship")


class WarehouseSettingsRead(BaseModel):
    warehouse: str
    priority: int
    backorders_first: bool
    outbound: str | None


class PickListCreate(In):
    warehouse: Path
    orders: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(
        default=None, max_length=1000, description="default: every open order of the warehouse"
    )


class PickTaskRead(BaseModel):
    seq: int
    order: str
    line_no: int
    sku: str
    location: str
    lot: str | None
    serial: str | None
    quantity: Qty
    picked: Qty
    status: Literal["open", "picked", "short", "cancelled"]


class PickListRead(BaseModel):
    number: str
    warehouse: str
    status: Literal["open", "done", "cancelled"]
    tasks: list[PickTaskRead]
    created_at: dt.datetime
    replayed: bool | None = None


class PickConfirmationCreate(In):
    seq: Annotated[int, Field(ge=1, le=10**9)]
    location: Path = Field(description="the location scanned")
    quantity: Exact = Field(description="what was taken; less than asked is a short pick")
    lot: Code | None = None
    serial: Code | None = None


class PickConfirm(In):
    confirmations: list[PickConfirmationCreate] = Field(min_length=1, max_length=10000)
    idempotency_key: (
        Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None
    ) = None


class ShipCreate(In):
    idempotency_key: (
        Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None
    ) = None


class ShipmentRead(BaseModel):
    order: SoRead
    shipment: str | None = None
    posting_id: int
    replayed: bool


class DiscrepancyRead(BaseModel):
    location: str
    sku: str
    kind: str
    quantity: Qty
    note: str | None
    created_at: dt.datetime


class PlanLineCreate(In):
    sku: Code
    quantity: Exact


class PlanCreate(In):
    lines: list[PlanLineCreate] = Field(min_length=1, max_length=1000)
    warehouses: list[Path] | None = Field(
        default=None, max_length=100, description="default: every warehouse you may use"
    )


class PlanLineRead(BaseModel):
    line: int
    sku: str
    quantity: Qty


class PlanShipmentRead(BaseModel):
    warehouse: str
    priority: int
    lines: list[PlanLineRead]


class PlanRead(BaseModel):
    complete: bool
    shipments: list[PlanShipmentRead]
    unfilled: list[PlanLineRead]
