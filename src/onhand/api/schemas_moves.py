"""Request and response bodies of transfers, customer returns and scrap."""

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
