"""Bodies of webhook subscriptions, their delivery log and pings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import Flag, In

# The URL is checked by the service (a 422 invalid_webhook_url with a sentence), not here.
Url = Annotated[str, Field(max_length=8000, description="https:// (or http://) URL to POST to")]
EventTypes = Annotated[
    list[Annotated[str, Field(max_length=80)]],
    Field(
        max_length=100,
        description="event types (stock.moved) or families (po.*) to deliver; empty: every type",
    ),
]
Description = Annotated[str, Field(max_length=400, description="what the endpoint is for")]
DeliveryStatus = Literal["pending", "delivered", "retrying", "dead"]


class WebhookCreate(In):
    url: Url
    event_types: EventTypes = []
    description: Description = ""
    active: Flag = True


class WebhookUpdate(In):
    url: Url = Field(default=None)
    event_types: EventTypes = Field(default=None)
    description: Description = Field(default=None)
    active: Flag = Field(default=None, description="false pauses: events meanwhile are not sent")


class SecretRotate(In):
    keep_previous_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="deliveries are signed with the previous secret too for this long",
    )


class Backlog(BaseModel):
    pending: int
    retrying: int
    dead: int


class WebhookRead(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str] = Field(description="empty: every type")
    active: bool
    previous_secret_valid_until: datetime | None = Field(
        description="after a rotation: until when the previous secret still signs deliveries"
    )
    backlog: Backlog = Field(description="deliveries waiting, retrying, and given up on")
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    secret: str = Field(
        description="signs every delivery (HMAC-SHA256); shown only now: keep it safe"
    )


class DeliveryRead(BaseModel):
    id: int
    event_id: int = Field(description="the event's id: a receiver drops one it has handled")
    event_type: str
    status: DeliveryStatus = Field(
        description="pending (not yet tried), delivered (2xx), retrying (failed, tried again at"
        " next_attempt_at), dead (given up on; retry it by hand)"
    )
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None = Field(description="the endpoint's HTTP status at the last attempt")
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class RetriedDelivery(DeliveryRead):
    webhook_paused: bool = Field(
        description="the webhook is paused: the delivery is sent when it is resumed"
    )


class AttemptRead(BaseModel):
    attempt: int
    at: datetime
    duration_ms: int
    http_status: int | None
    error: str | None


class DeliveryDetail(DeliveryRead):
    attempt_log: list[AttemptRead]


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryRead]
    next_before: int | None = Field(description="pass as `before` for the next page; none: end")


class PingRead(BaseModel):
    webhook: int
    event_id: int
    type: str
