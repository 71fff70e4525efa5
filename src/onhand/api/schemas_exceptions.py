"""Request and response bodies of the exceptions list."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, In, Qty

ExceptionKind = Literal[
    "negative_stock",
    "below_reorder_point",
    "stockout",
    "count_variance",
    "lot_expiring",
    "dead_stock",
    "excess_stock",
    "late_purchase_order",
    "reservation_cannot_ship",
    "unusual_adjustment",
    "sensor_excursion",
    "sensor_stale",
]
Severity = Literal["critical", "high", "medium", "low"]
Role = Literal["clerk", "manager", "admin"]


class AcknowledgementRead(BaseModel):
    note: str | None
    by: str | None = Field(description="the user who acknowledged it")
    at: datetime
    current: bool = Field(
        description="true while the situation is the one acknowledged; false once it changed"
    )


class ExceptionRead(BaseModel):
    kind: ExceptionKind
    key: str = Field(
        description="stable identity of the situation, e.g. stockout:item=12:warehouse=3"
    )
    severity: Severity
    role: Role = Field(description="who should act")
    action: str = Field(description="what to do")
    message: str = Field(description="the situation, with its numbers")
    sku: str | None
    warehouse: str | None
    location: str | None
    lot: str | None
    serial: str | None
    document: str | None = Field(description="the count, order or planning run concerned")
    quantity: Qty | None = Field(description="the kind's main quantity (see docs/exceptions.md)")
    since: datetime | None = Field(description="since when the situation stands, where known")
    figures: dict[str, str] = Field(description="the numbers behind the message, by name")
    acknowledged: bool
    acknowledgement: AcknowledgementRead | None = Field(
        description="the latest acknowledgement of this key, current or outdated"
    )


class AcknowledgementCreate(In):
    key: str = Field(min_length=1, max_length=128, pattern=PRINTABLE)
    note: str | None = Field(default=None, max_length=2000)
