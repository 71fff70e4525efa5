"""Webhook subscriptions (admins): where the organisation's events are sent, which ones, the
secret that signs them; the delivery log, a retry of a failed delivery, a test ping.

The secret is made here and shown twice only: in the answer that created the subscription and
in the answer of a rotation. Deliveries themselves are made and sent by webhook_dispatch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.events import check_filters
from onhand.domain.webhooks import (
    DEAD,
    DELIVERED,
    DUE,
    FANOUT_CURSOR,
    PENDING,
    RETRYING,
    STATUSES,
    check_description,
    check_url,
    host_of,
    is_private_host,
    new_secret,
    private_refusal,
)
from onhand.services import events
from onhand.services.common import audit, not_found, utcnow
from onhand.store import events as outbox
from onhand.store import webhooks as store
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_SUBSCRIPTIONS = 50  # per organisation
MAX_LOG_PAGE = 500
MAX_KEEP_HOURS = 168  # how long a rotated secret may still be honoured


@dataclass(slots=True)
class WebhookCreate:
    url: str
    event_types: list[str] = field(default_factory=list)
    description: str = ""
    active: bool = True


UPDATABLE = frozenset({"url", "event_types", "description", "active"})


def _check_url(url: str, *, allow_private: bool) -> str:
    url = check_url(url)
    if not allow_private and is_private_host(host_of(url)):
        raise private_refusal(host_of(url))
    return url


def _out(row: Any, backlog: dict[str, int] | None = None) -> dict[str, Any]:
    waiting = backlog or {}
    return {
        "id": row.id,
        "url": row.url,
        "description": row.description,
        "event_types": json.loads(row.event_types),
        "active": row.active,
        "previous_secret_valid_until": row.previous_until
        if row.previous_until and row.previous_until > utcnow()
        else None,
        "backlog": {s: waiting.get(s, 0) for s in (PENDING, RETRYING, DEAD)},
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _row(uow: UnitOfWork, actor: Actor, sub_id: int) -> Any:
    row = store.subscription(uow.conn, actor.org_id, sub_id)
    if row is None:
        raise not_found("webhook", sub_id)
    return row


def _read(uow: UnitOfWork, actor: Actor, sub_id: int) -> dict[str, Any]:
    row = _row(uow, actor, sub_id)
    return _out(row, store.backlog(uow.conn, actor.org_id, [row.id])[row.id])


def create_webhook(
    db: Database, actor: Actor, data: WebhookCreate, *, allow_private: bool = False
) -> dict[str, Any]:
    """A subscription of the organisation's events of the chosen types (none: all) after now,
    with its signing secret (shown this once)."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    url = _check_url(data.url, allow_private=allow_private)
    chosen = check_filters(data.event_types)
    description = check_description(data.description)
    secret = new_secret()
    now = utcnow()
    # Events committed before now get their positions first, so "after now" leaves them out.
    events.sequence(db)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        if store.count_subscriptions(uow.conn, actor.org_id, for_adding=True) >= MAX_SUBSCRIPTIONS:
            raise Conflict(
                f"an organisation may have {MAX_SUBSCRIPTIONS} webhooks: delete one first",
                code="too_many_webhooks",
            )
        after = outbox.last_position(uow.conn)
        # The fan-out reads from here at the latest, so the retention keeps what it will send.
        outbox.ensure_cursor(uow.conn, FANOUT_CURSOR, after)
        new_id = store.insert_subscription(
            uow.conn,
            {
                "org_id": actor.org_id,
                "url": url,
                "description": description,
                "event_types": json.dumps(chosen),
                "active": data.active,
                "secret": secret,
                "after_seq": after,
                "created_at": now,
                "created_by": actor.user_id,
                "updated_at": now,
                "updated_by": actor.user_id,
            },
        )
        audit(uow, actor, "webhook", new_id, "create", url=url, event_types=",".join(chosen))
        return {**_read(uow, actor, new_id), "secret": secret}

    return db.write(work)


def list_webhooks(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The organisation's subscriptions with what waits or was given up on (no secrets)."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    with db.reading() as uow:
        rows = store.list_subscriptions(uow.conn, actor.org_id)
        waiting = store.backlog(uow.conn, actor.org_id, [r.id for r in rows])
        return [_out(r, waiting[r.id]) for r in rows]


def get_webhook(db: Database, actor: Actor, sub_id: int) -> dict[str, Any]:
    """One subscription (no secret)."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    with db.reading() as uow:
        return _read(uow, actor, sub_id)


def update_webhook(
    db: Database,
    actor: Actor,
    sub_id: int,
    changes: dict[str, Any],
    *,
    allow_private: bool = False,
) -> dict[str, Any]:
    """Change the URL, the event types, the description, or pause (``active`` false: events
    while paused are not delivered; deliveries already waiting wait) and resume."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(
            f"these fields cannot be changed: {', '.join(sorted(unknown))}",
            code="field_not_updatable",
        )
    values: dict[str, Any] = {}
    if changes.get("url") is not None:
        values["url"] = _check_url(changes["url"], allow_private=allow_private)
    if changes.get("event_types") is not None:
        values["event_types"] = json.dumps(check_filters(changes["event_types"]))
    if changes.get("description") is not None:
        values["description"] = check_description(changes["description"])
    if changes.get("active") is not None:
        values["active"] = bool(changes["active"])
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        _row(uow, actor, sub_id)
        if values:
            store.update_subscription(
                uow.conn, actor.org_id, sub_id, **values, updated_at=now, updated_by=actor.user_id
            )
            audit(uow, actor, "webhook", sub_id, "update", **values)
        return _read(uow, actor, sub_id)

    return db.write(work)


def delete_webhook(db: Database, actor: Actor, sub_id: int) -> None:
    """Delete a subscription and its delivery log; nothing more is sent to it."""
    actor.require(Permission.MANAGE_INTEGRATIONS)

    def work(uow: UnitOfWork) -> None:
        # Locked first: deliveries a fan-out is writing for it are then deleted with it.
        row = store.lock_subscription(uow.conn, actor.org_id, sub_id)
        if row is None:
            raise not_found("webhook", sub_id)
        store.delete_subscription(uow.conn, actor.org_id, sub_id)
        audit(uow, actor, "webhook", sub_id, "delete", url=row.url)

    db.write(work)


def rotate_secret(
    db: Database, actor: Actor, sub_id: int, *, keep_previous_hours: int = 24
) -> dict[str, Any]:
    """A new signing secret (shown this once); deliveries carry a signature with the previous
    one too for ``keep_previous_hours`` (0: the old secret stops now), so a receiver can switch
    without refusing deliveries."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    if not 0 <= keep_previous_hours <= MAX_KEEP_HOURS:
        raise InvalidInput(
            f"keep_previous_hours must be from 0 to {MAX_KEEP_HOURS}",
            code="invalid_keep_previous_hours",
        )
    secret = new_secret()
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, sub_id)
        keep = keep_previous_hours > 0
        store.update_subscription(
            uow.conn,
            actor.org_id,
            sub_id,
            secret=secret,
            previous_secret=row.secret if keep else None,
            previous_until=now + timedelta(hours=keep_previous_hours) if keep else None,
            updated_at=now,
            updated_by=actor.user_id,
        )
        audit(
            uow, actor, "webhook", sub_id, "rotate_secret", keep_previous_hours=keep_previous_hours
        )
        return {**_read(uow, actor, sub_id), "secret": secret}

    return db.write(work)


def _delivery_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at if row.status in DUE else None,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "delivered_at": row.delivered_at,
    }


def check_statuses(statuses: list[str]) -> list[str]:
    """Delivery statuses to filter by, checked."""
    for s in statuses:
        if s not in STATUSES:
            raise InvalidInput(
                f"no delivery status {s[:40]!r}: the statuses are {', '.join(STATUSES)}",
                code="invalid_status",
            )
    return list(dict.fromkeys(statuses))


def list_deliveries(
    db: Database,
    actor: Actor,
    sub_id: int,
    *,
    statuses: list[str] | None = None,
    before: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The subscription's delivery log, newest first, of the chosen statuses; ``next_before``
    reads on (none: the end)."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    chosen = check_statuses(statuses or [])
    if not 1 <= limit <= MAX_LOG_PAGE:
        raise InvalidInput(f"limit must be from 1 to {MAX_LOG_PAGE}", code="invalid_limit")
    with db.reading() as uow:
        _row(uow, actor, sub_id)
        rows = store.list_deliveries(
            uow.conn, actor.org_id, sub_id, statuses=chosen, before=before, limit=limit
        )
    found = [_delivery_out(r) for r in rows]
    return {"deliveries": found, "next_before": found[-1]["id"] if len(found) == limit else None}


def _delivery_row(uow: UnitOfWork, actor: Actor, sub_id: int, delivery_id: int) -> Any:
    _row(uow, actor, sub_id)
    row = store.delivery(uow.conn, actor.org_id, sub_id, delivery_id)
    if row is None:
        raise not_found("delivery", delivery_id)
    return row


def get_delivery(db: Database, actor: Actor, sub_id: int, delivery_id: int) -> dict[str, Any]:
    """A delivery with each of its attempts (when, how long, the endpoint's status or error)."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    with db.reading() as uow:
        row = _delivery_row(uow, actor, sub_id, delivery_id)
        tries = store.attempts_of(uow.conn, actor.org_id, delivery_id)
    return {
        **_delivery_out(row),
        "attempt_log": [
            {
                "attempt": a.attempt,
                "at": a.at,
                "duration_ms": a.duration_ms,
                "http_status": a.http_status,
                "error": a.error,
            }
            for a in tries
        ],
    }


def retry_delivery(db: Database, actor: Actor, sub_id: int, delivery_id: int) -> dict[str, Any]:
    """Send a dead (or retrying) delivery again now: one more attempt (a failure makes a dead one
    dead again; a retrying one goes on with its schedule). Refused while it is being sent. On a
    paused webhook it waits for the resume (``webhook_paused`` is then true)."""
    actor.require(Permission.MANAGE_INTEGRATIONS)
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = _delivery_row(uow, actor, sub_id, delivery_id)
        if row.status == DELIVERED:
            raise Conflict(
                f"delivery {delivery_id} was delivered already; the receiver has it",
                code="delivery_not_retryable",
            )
        if row.status == PENDING:
            raise Conflict(
                f"delivery {delivery_id} is waiting for its first attempt already",
                code="delivery_not_retryable",
            )
        if not store.make_due(uow.conn, actor.org_id, delivery_id, now):
            raise Conflict(
                f"delivery {delivery_id} is being sent right now; see its outcome in the log",
                code="delivery_in_flight",
            )
        audit(uow, actor, "webhook", sub_id, "retry_delivery", delivery=delivery_id)
        paused = not _row(uow, actor, sub_id).active
        return _delivery_out(_delivery_row(uow, actor, sub_id, delivery_id)) | {
            "webhook_paused": paused
        }

    return db.write(work)


def retried_sentence(delivery_id: int, retried: dict[str, Any]) -> str:
    """What to tell the person who asked for ``retry_delivery``."""
    if retried["webhook_paused"]:
        return (
            f"Delivery {delivery_id} will be sent again when the webhook is resumed (it is paused)."
        )
    return f"Delivery {delivery_id} will be sent again now."


def ping(db: Database, actor: Actor, sub_id: int) -> dict[str, Any]:
    """Send a ``webhook.ping`` event to this subscription only (whatever its event types): a test
    of the endpoint and its signature check. Its delivery shows in the log like any other."""
    actor.require(Permission.MANAGE_INTEGRATIONS)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, sub_id)
        if not row.active:
            raise Conflict(
                f"webhook {sub_id} is paused: resume it (active true) to ping it",
                code="webhook_paused",
            )
        event_id = store.insert_event(
            uow.conn,
            events.event_row(
                actor.org_id,
                "webhook.ping",
                "webhook",
                sub_id,
                # No URL: every reader of events sees this, and a URL may hold a token.
                {"webhook": sub_id, "message": "a test delivery from onhand"},
                actor_id=actor.user_id,
            ),
        )
        # Its delivery is made here, for this subscription only (the fan-out skips pings), so
        # it shows in the log at once.
        now = utcnow()
        store.insert_deliveries(
            uow.conn,
            [
                {
                    "org_id": actor.org_id,
                    "subscription_id": sub_id,
                    "event_id": event_id,
                    "event_type": "webhook.ping",
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        return {"webhook": sub_id, "event_id": event_id, "type": "webhook.ping"}

    return db.write(work)
