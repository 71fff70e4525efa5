"""Request and response bodies of suppliers, purchase orders, receipts and put-away."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, Exact, Flag, In, Path, Qty, Text

SupplierCode = Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)]
Number = Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)]
Days = Annotated[int, Field(ge=0, le=3650)]
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=PRINTABLE)]
Note = Annotated[str, Field(max_length=2000)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)]
PoStatus = Literal["draft", "ordered", "partially_received", "received", "cancelled"]


class SupplierCreate(In):
    code: SupplierCode
    name: Text
    currency: Currency = "EUR"
    lead_time_days: Days = 7
    lead_time_sd_days: Days = 0
    over_receipt_pct: Annotated[int, Field(ge=0, le=1000)] = 0
    active: Flag = True


class SupplierUpdate(In):
    name: Text = Field(default=None)
    currency: Currency = Field(default=None)
    lead_time_days: Days = Field(default=None)
    lead_time_sd_days: Days = Field(default=None)
    over_receipt_pct: Annotated[int, Field(ge=0, le=1000)] = Field(default=None)
    active: Flag = Field(default=None)


class LeadTimeRead(BaseModel):
    observations: int
    learnt_days: float | None
    learnt_sd_days: float | None
    planning_days: float = Field(description="learnt once there are 3 receipts, else configured")
    planning_sd_days: float


class SupplierRead(BaseModel):
    code: str
    name: str
    currency: str
    lead_time_days: int
    lead_time_sd_days: int
    over_receipt_pct: int
    active: bool
    lead_time: LeadTimeRead
    created_at: datetime
    updated_at: datetime


class SupplierItemSet(In):
    price: Exact = Decimal(0)
    supplier_sku: Code | None = None
    min_order_qty: Exact = Decimal(0)
    pack_size: Exact | None = None
    preferred: Flag = False


class SupplierItemRead(BaseModel):
    supplier: str
    sku: str
    supplier_sku: str | None
    price: Qty
    currency: str
    min_order_qty: Qty
    pack_size: Qty | None
    preferred: bool


class PoLineCreate(In):
    sku: Code
    quantity: Exact
    unit_price: Exact | None = None
    expected_date: date | None = None


class PoCreate(In):
    supplier: SupplierCode
    receive_to: Path
    number: Number | None = None
    expected_date: date | None = None
    note: Note | None = None
    lines: list[PoLineCreate] = Field(default_factory=list, max_length=1000)


class PoUpdate(In):
    receive_to: Path = Field(default=None)
    expected_date: date = Field(default=None)
    note: Note = Field(default=None)
    lines: list[PoLineCreate] = Field(default=None, max_length=1000)


class PoLineRead(BaseModel):
    line_no: int
    sku: str
    quantity: Qty
    received: Qty
    open: Qty
    unit_price: Qty
    expected_date: date | None
    closed: bool


class PoRead(BaseModel):
    number: str
    supplier: str
    status: PoStatus
    warehouse: str
    receive_to: str
    currency: str
    expected_date: date | None
    ordered_at: datetime | None
    note: str | None
    over_receipt_pct: int
    lines: list[PoLineRead]
    warnings: list[str] = Field(description="draft lines below the minimum or off the pack size")
    created_at: datetime
    updated_at: datetime


class ReceiptLineCreate(In):
    line_no: Annotated[int, Field(ge=1, le=100000)]
    quantity: Exact
    lot: Code | None = None
    expiry_date: date | None = None
    serials: list[Code] = Field(default_factory=list, max_length=10000)
    location: Path | None = Field(default=None, description="default: the order's receive_to")


class ReceiptCreate(In):
    lines: list[ReceiptLineCreate] = Field(min_length=1, max_length=1000)
    idempotency_key: IdempotencyKey | None = None


class UnplannedLineCreate(In):
    sku: Code
    quantity: Exact
    to: Path
    lot: Code | None = None
    expiry_date: date | None = None
    serials: list[Code] = Field(default_factory=list, max_length=10000)
    unit_cost: Exact | None = Field(
        default=None,
        description="what a unit cost, in the supplier's currency (the organisation's without "
        "a supplier); default: the warehouse's current unit cost",
    )


class UnplannedReceiptCreate(In):
    lines: list[UnplannedLineCreate] = Field(min_length=1, max_length=1000)
    supplier: SupplierCode | None = None
    reference: Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None = None
    idempotency_key: IdempotencyKey | None = None


class ReceiptRead(BaseModel):
    po: str | None
    line_no: int | None
    supplier: str | None
    sku: str
    quantity: Qty
    location: str
    lot: str | None
    received_at: datetime
    lead_time_days: int | None
    posting_id: int


class ReceivedRead(BaseModel):
    po: PoRead | None = None
    posting_id: int
    movement_ids: list[int]
    replayed: bool
    receipts: list[ReceiptRead]


class PutAwayZoneSet(In):
    zone: Path


class PutAwayZoneRead(BaseModel):
    sku: str
    zone: str


class SuggestionRead(BaseModel):
    bin: str
    reason: str


class PutAwayCreate(In):
    sku: Code
    from_: Path = Field(alias="from")
    quantity: Exact
    to: Path | None = Field(default=None, description="default: the suggested bin")
    lot: Code | None = None
    serial: Code | None = None
    idempotency_key: IdempotencyKey | None = None


class PutAwayRead(BaseModel):
    to: str
    why: str
    posting_id: int
    movement_ids: list[int]
    replayed: bool
