"""Request and response bodies of transfers, returns (from customers, to suppliers) and scrap,
and of the history of returns and scrap."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, Exact, Flag, In, Path, Qty

IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)]
Reason = Annotated[str, Field(min_length=1, max_length=32, description="a code such as damaged")]


class TransferLineCreate(In):
    sku: Code
    quantity: Exact
    lot: Code | None = None
    serial: Code | None = None


class TransferCreate(In):
    from_: Path = Field(alias="from")
    to: Path
    lines: list[TransferLineCreate] = Field(min_length=1, max_length=1000)
    direct: Flag = Field(default=False, description="move now, without transit")
    via: Path | None = Field(default=None, description="a transit location (default @transit)")
    ship_date: dt.date | None = None
    expected_arrival: dt.date | None = None
    number: Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)] | None = None
    idempotency_key: IdempotencyKey | None = None


class TransferStep(In):
    idempotency_key: IdempotencyKey | None = None


class TransferLineRead(BaseModel):
    line_no: int
    sku: str
    quantity: Qty
    lot: str | None
    serial: str | None


class TransferRead(BaseModel):
    model_config = {"populate_by_name": True}

    number: str
    status: Literal["planned", "in_transit", "received", "cancelled"]
    from_: str = Field(alias="from")
    to: str
    via: str | None
    ship_date: dt.date | None
    expected_arrival: dt.date | None
    shipped_at: dt.datetime | None
    received_at: dt.datetime | None
    lines: list[TransferLineRead]
    created_at: dt.datetime
    replayed: bool | None = None


class ReturnLineCreate(In):
    sku: Code
    quantity: Exact
    lot: Code | None = None
    serial: Code | None = None


class ReturnCreate(In):
    to: Path = Field(description="a stock location, or a held (quarantine) one")
    reason: Reason
    order: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    lines: list[ReturnLineCreate] = Field(min_length=1, max_length=1000)
    idempotency_key: IdempotencyKey | None = None


class ReturnRead(BaseModel):
    number: str | None = None
    posting_id: int
    movement_ids: list[int] = Field(default_factory=list)
    to: str
    quarantined: bool | None = None
    replayed: bool


class SupplierReturnCreate(In):
    supplier: Code = Field(description="the supplier's code")
    from_: Path = Field(alias="from", description="the stock location the goods leave")
    reason: Reason
    order: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None, description="a purchase order of this supplier the goods came on"
    )
    lines: list[ReturnLineCreate] = Field(min_length=1, max_length=1000)
    idempotency_key: IdempotencyKey | None = None


class SupplierReturnRead(BaseModel):
    model_config = {"populate_by_name": True}

    supplier: str
    from_: str = Field(alias="from")
    posting_id: int
    movement_ids: list[int]
    replayed: bool


ReturnKind = Literal["customer_return", "supplier_return", "scrap"]


class ReturnMovementRead(BaseModel):
    model_config = {"populate_by_name": True}

    id: int
    posting_id: int
    kind: ReturnKind
    effective_at: dt.datetime
    recorded_at: dt.datetime
    sku: str
    quantity: Qty
    lot: str | None
    serial: str | None
    from_: str = Field(alias="from")
    to: str
    ref_type: str | None = Field(description="RMA, RTV or scrap (another for a plain write-off)")
    ref_id: str | None = Field(
        description="the sales order or return number; the purchase order or supplier"
    )
    reason: str | None
    actor_id: int
    by: str | None = Field(description="the username of who posted it")
    reverses_id: int | None


class ReturnHistoryRead(BaseModel):
    movements: list[ReturnMovementRead]
    next_before_id: int | None = Field(description="pass as before_id for the older ones")


class ScrapCreate(In):
    sku: Code
    from_: Path = Field(alias="from")
    quantity: Exact
    reason: Reason
    lot: Code | None = None
    serial: Code | None = None
    idempotency_key: IdempotencyKey | None = None


class ScrapRead(BaseModel):
    posting_id: int
    movement_ids: list[int]
    replayed: bool
