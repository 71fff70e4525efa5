"""Bodies of the event list and catalogue (the outbox, as followers read it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class EventSubject(BaseModel):
    type: str = Field(description="what the event is about: posting, purchase_order, lot...")
    id: str = Field(description="its number, SKU/lot or id")


class EventRead(BaseModel):
    id: int = Field(description="stable and unique: use it to drop a repeated delivery")
    sequence: int = Field(description="the position in the organisation's stream: resume after it")
    type: str
    occurred_at: datetime
    subject: EventSubject
    actor_id: int | None = Field(description="the user who made the change; none when derived")
    posting_id: int | None
    data: dict[str, Any]


class EventPage(BaseModel):
    events: list[EventRead]
    next: int = Field(description="pass as `after` to read on from here")


class EventTypeRead(BaseModel):
    type: str
    description: str
