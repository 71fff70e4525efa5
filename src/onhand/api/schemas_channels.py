"""Request and response bodies of channel sales."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, Exact, In, Moment, Path

Channel = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
ExternalId = Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)]


class ChannelLineCreate(In):
    external_id: ExternalId = Field(description="the channel's own id of the line: posted once")
    kind: Literal["sale", "refund"]
    sku: Code
    quantity: Exact
    at: Moment | None = Field(default=None, description="when it happened (default: now)")
    lot: Code | None = None
    serial: Code | None = None
    unit_price: Exact | None = None


class ChannelSalesCreate(In):
    channel: Channel
    store: Path = Field(description="the stock location the store sells from")
    # Counted by the service (empty_batch, batch_too_large), like a posting's movements.
    lines: list[ChannelLineCreate]


class ChannelLineRead(BaseModel):
    line: int
    external_id: str
    status: Literal["posted", "duplicate"]
    movement_id: int | None = Field(description="the movement that posted it, now or before")


class ChannelSalesRead(BaseModel):
    channel: str
    store: str
    posting_id: int | None = Field(description="null when every line was posted before")
    posted: int
    duplicates: int
    lines: list[ChannelLineRead]
