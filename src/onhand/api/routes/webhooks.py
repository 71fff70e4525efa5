"""Webhook subscriptions (admins): create, read, change, pause, delete, rotate the secret;
the delivery log, a retry, a test ping. See docs/webhooks.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from onhand.api.deps import DB, BigId, CurrentActor, Id
from onhand.api.schemas import MAX_BIG_ID
from onhand.api.schemas_webhooks import (
    DeliveryDetail,
    DeliveryPage,
    DeliveryStatus,
    PingRead,
    RetriedDelivery,
    SecretRotate,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from onhand.services import webhooks
from onhand.services.webhook_dispatch import DeliveryOptions

router = APIRouter(tags=["webhooks"])


def _allow_private(request: Request) -> bool:
    options: DeliveryOptions = request.app.state.webhooks
    return options.allow_private


@router.post("/webhooks", response_model=WebhookWithSecret, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, request: Request, db: DB, actor: CurrentActor) -> Any:
    """Subscribe a URL to the organisation's events (of the chosen types) from now on; the
    answer holds the signing secret, shown this once."""
    return webhooks.create_webhook(
        db,
        actor,
        webhooks.WebhookCreate(**body.model_dump()),
        allow_private=_allow_private(request),
    )


@router.get("/webhooks", response_model=list[WebhookRead])
def list_webhooks(db: DB, actor: CurrentActor) -> Any:
    """The organisation's webhooks with their backlog (no secrets)."""
    return webhooks.list_webhooks(db, actor)


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead)
def get_webhook(webhook_id: Id, db: DB, actor: CurrentActor) -> Any:
    """One webhook (no secret)."""
    return webhooks.get_webhook(db, actor, webhook_id)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead)
def update_webhook(
    webhook_id: Id, body: WebhookUpdate, request: Request, db: DB, actor: CurrentActor
) -> Any:
    """Change the URL, event types or description; ``active`` false pauses, true resumes."""
    return webhooks.update_webhook(
        db,
        actor,
        webhook_id,
        body.model_dump(exclude_unset=True),
        allow_private=_allow_private(request),
    )


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: Id, db: DB, actor: CurrentActor) -> Response:
    """Delete a webhook and its delivery log."""
    webhooks.delete_webhook(db, actor, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=WebhookWithSecret)
def rotate_secret(
    webhook_id: Id, db: DB, actor: CurrentActor, body: SecretRotate | None = None
) -> Any:
    """A new signing secret, shown this once; the previous one keeps signing deliveries too for
    ``keep_previous_hours`` (default 24)."""
    keep = (body or SecretRotate()).keep_previous_hours
    return webhooks.rotate_secret(db, actor, webhook_id, keep_previous_hours=keep)


@router.post(
    "/webhooks/{webhook_id}/ping", response_model=PingRead, status_code=status.HTTP_202_ACCEPTED
)
def ping(webhook_id: Id, db: DB, actor: CurrentActor) -> Any:
    """Send a ``webhook.ping`` event to this webhook only; its delivery shows in the log."""
    return webhooks.ping(db, actor, webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    webhook_id: Id,
    db: DB,
    actor: CurrentActor,
    status: Annotated[
        list[DeliveryStatus], Query(description="only these statuses (repeatable)")
    ] = [],  # noqa: B006 (FastAPI copies defaults)
    before: Annotated[
        int | None, Query(ge=1, le=MAX_BIG_ID, description="deliveries with a smaller id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=webhooks.MAX_LOG_PAGE)] = 50,
) -> Any:
    """The delivery log, newest first."""
    return webhooks.list_deliveries(
        db, actor, webhook_id, statuses=list(status), before=before, limit=limit
    )


@router.get("/webhooks/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(webhook_id: Id, delivery_id: BigId, db: DB, actor: CurrentActor) -> Any:
    """One delivery with each attempt: when, how long, the endpoint's status or the error."""
    return webhooks.get_delivery(db, actor, webhook_id, delivery_id)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", response_model=RetriedDelivery
)
def retry_delivery(webhook_id: Id, delivery_id: BigId, db: DB, actor: CurrentActor) -> Any:
    """Send a dead (or retrying) delivery again now; on a paused webhook, when it is resumed."""
    return webhooks.retry_delivery(db, actor, webhook_id, delivery_id)
