"""Webhooks on the web, for admins: the list with a form to subscribe, and a webhook's page
with its settings, its actions (pause, resume, ping, rotate the secret, delete) and its
delivery log with a retry per failed delivery.

A secret is shown on the page that answers its creation or rotation, never again, and never
in a URL (those pages are rendered, not redirected to).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from onhand.domain.access import Permission
from onhand.domain.errors import NotFound, OnhandError
from onhand.domain.events import EVENT_TYPES, FAMILIES
from onhand.domain.ids import MAX_BIG_ID, MAX_ID
from onhand.domain.webhooks import STATUSES
from onhand.services import webhooks
from onhand.services.webhook_dispatch import DeliveryOptions
from onhand.web import order_forms as forms
from onhand.web import session as sessions
from onhand.web.render import db_of, page, whole
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
LOG_ROWS = 100


def _allow_private(request: Request) -> bool:
    options: DeliveryOptions = request.app.state.webhooks
    return options.allow_private


def _types_of(text: str) -> list[str]:
    """Event types typed as a list: separated by commas, spaces or lines."""
    return [t for t in text.replace(",", " ").split() if t]


def _num(text: str, what: str, most: int = MAX_ID) -> int:
    """An id from the URL; anything that is not one is a page that does not exist."""
    number = whole(text)
    if number is None or not 1 <= number <= most:
        raise NotFound(f"{what} {text[:40]!r} not found", code=f"{what}_not_found")
    return number


def _admin(request: Request, csrf: str | None = None) -> Session:
    """The signed-in admin (a form also checks its CSRF field); others get the 403 page."""
    db = db_of(request)
    session = sessions.require(db, request) if csrf is None else sessions.acting(db, request, csrf)
    session.actor.require(Permission.MANAGE_INTEGRATIONS)
    return session


def _list_page(
    request: Request,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    refused: forms.Refusal | None = None,
) -> Response:
    return page(
        request,
        "webhooks.html",
        session,
        status_code=refused.status if refused else 200,
        hooks=webhooks.list_webhooks(db_of(request), session.actor),
        values=values or {},
        error=refused,
        families=sorted(FAMILIES),
        types=list(EVENT_TYPES),
    )


def _hook_page(
    request: Request,
    session: Session,
    hook_id: int,
    *,
    secret: str | None = None,
    values: dict[str, str] | None = None,
    refused: forms.Refusal | None = None,
    status: str = "",
    status_code: int = 200,
) -> Response:
    db = db_of(request)
    hook = webhooks.get_webhook(db, session.actor, hook_id)
    chosen = [status] if status in STATUSES else []
    log = webhooks.list_deliveries(db, session.actor, hook_id, statuses=chosen, limit=LOG_ROWS)
    shown = values or {
        "url": hook["url"],
        "description": hook["description"],
        "event_types": ", ".join(hook["event_types"]),
    }
    return page(
        request,
        "webhook.html",
        session,
        status_code=refused.status if refused else status_code,
        hook=hook,
        deliveries=log["deliveries"],
        more=log["next_before"] is not None,
        statuses=STATUSES,
        status=status if chosen else "",
        secret=secret,
        values=shown,
        error=refused,
        families=sorted(FAMILIES),
    )


@router.get("/webhooks")
def webhooks_page(request: Request) -> Response:
    """The organisation's webhooks and the form to subscribe one."""
    return _list_page(request, _admin(request))


@router.post("/webhooks")
def create_webhook(
    request: Request,
    csrf: Text = "",
    url: Text = "",
    description: Text = "",
    event_types: Text = "",
) -> Response:
    """Subscribe a webhook: its page, with the secret shown this once; or the form again."""
    session = _admin(request, csrf)
    values = {"url": url.strip(), "description": description, "event_types": event_types}
    data = webhooks.WebhookCreate(
        url=values["url"], event_types=_types_of(event_types), description=description
    )
    try:
        made = webhooks.create_webhook(
            db_of(request), session.actor, data, allow_private=_allow_private(request)
        )
    except OnhandError as exc:
        if exc.kind == "forbidden":
            raise
        return _list_page(request, session, values=values, refused=forms.refusal(exc))
    return _hook_page(request, session, made["id"], secret=made["secret"], status_code=201)


@router.get("/webhooks/{hook_id}")
def webhook_page(
    request: Request,
    hook_id: str,
    status: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """A webhook: its settings, actions and delivery log (of one status when chosen)."""
    session = _admin(request)
    return _hook_page(request, session, _num(hook_id, "webhook"), status=status)


@router.post("/webhooks/{hook_id}/edit")
def edit_webhook(
    request: Request,
    hook_id: str,
    csrf: Text = "",
    url: Text = "",
    description: Text = "",
    event_types: Text = "",
) -> Response:
    """Change the URL, description and event types; or the form again with the sentence."""
    session = _admin(request, csrf)
    hook = _num(hook_id, "webhook")
    values = {"url": url.strip(), "description": description, "event_types": event_types}
    changes: dict[str, Any] = {
        "url": values["url"],
        "description": description,
        "event_types": _types_of(event_types),
    }
    try:
        webhooks.update_webhook(
            db_of(request), session.actor, hook, changes, allow_private=_allow_private(request)
        )
    except OnhandError as exc:
        if exc.kind in ("forbidden", "not_found"):
            raise
        return _hook_page(request, session, hook, values=values, refused=forms.refusal(exc))
    return forms.done(f"/webhooks/{hook}", "The webhook is saved.")


def _act(
    request: Request, hook_id: str, csrf: str, act: Any, message: str | Callable[[Any], str]
) -> Response:
    """Run a button's action, ``act(db, actor, webhook id)``, and say ``message`` (or what it
    makes of the action's result); its page again with the sentence when refused."""
    session = _admin(request, csrf)
    hook = _num(hook_id, "webhook")
    try:
        result = act(db_of(request), session.actor, hook)
    except OnhandError as exc:
        if exc.kind in ("forbidden", "not_found"):
            raise
        return _hook_page(request, session, hook, refused=forms.refusal(exc))
    return forms.done(f"/webhooks/{hook}", message if isinstance(message, str) else message(result))


@router.post("/webhooks/{hook_id}/pause")
def pause(request: Request, hook_id: str, csrf: Text = "") -> Response:
    """Pause deliveries (events meanwhile are not sent)."""
    return _act(
        request,
        hook_id,
        csrf,
        lambda db, actor, hook: webhooks.update_webhook(db, actor, hook, {"active": False}),
        "The webhook is paused: events from now on are not sent to it until it is resumed.",
    )


@router.post("/webhooks/{hook_id}/resume")
def resume(request: Request, hook_id: str, csrf: Text = "") -> Response:
    """Resume deliveries."""
    return _act(
        request,
        hook_id,
        csrf,
        lambda db, actor, hook: webhooks.update_webhook(db, actor, hook, {"active": True}),
        "The webhook is active again.",
    )


@router.post("/webhooks/{hook_id}/ping")
def ping(request: Request, hook_id: str, csrf: Text = "") -> Response:
    """Send a test event to this webhook."""
    return _act(
        request,
        hook_id,
        csrf,
        webhooks.ping,
        "A webhook.ping event is on its way: its delivery shows in the log below.",
    )


@router.post("/webhooks/{hook_id}/deliveries/{delivery_id}/retry")
def retry(request: Request, hook_id: str, delivery_id: str, csrf: Text = "") -> Response:
    """Send a failed delivery again now."""
    delivery = _num(delivery_id, "delivery", MAX_BIG_ID)  # delivery ids are 64-bit
    return _act(
        request,
        hook_id,
        csrf,
        lambda db, actor, hook: webhooks.retry_delivery(db, actor, hook, delivery),
        lambda retried: webhooks.retried_sentence(delivery, retried),
    )


@router.post("/webhooks/{hook_id}/rotate-secret")
def rotate(request: Request, hook_id: str, csrf: Text = "", keep: Text = "24") -> Response:
    """A new secret, shown this once on the page that answers."""
    session = _admin(request, csrf)
    hook = _num(hook_id, "webhook")
    try:
        hours = whole(keep, digits=5)
        hours = -1 if hours is None else hours
        done = webhooks.rotate_secret(
            db_of(request), session.actor, hook, keep_previous_hours=hours
        )
    except OnhandError as exc:
        if exc.kind in ("forbidden", "not_found"):
            raise
        return _hook_page(request, session, hook, refused=forms.refusal(exc))
    return _hook_page(request, session, hook, secret=done["secret"])


@router.post("/webhooks/{hook_id}/delete")
def delete(request: Request, hook_id: str, csrf: Text = "") -> Response:
    """Delete a webhook and its log."""
    session = _admin(request, csrf)
    hook = _num(hook_id, "webhook")
    webhooks.delete_webhook(db_of(request), session.actor, hook)
    return forms.done("/webhooks", f"Webhook {hook} is deleted: nothing more is sent to it.")
