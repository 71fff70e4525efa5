"""`onhand webhooks`: subscriptions, their delivery log, retries and pings from the command
line, as the organisation's first admin; and `onhand webhooks deliver`, a delivery worker of
its own beside serving processes that run with ONHAND_WEBHOOK_DELIVERY=false."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated, Any

import typer
from rich.table import Table

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    database,
    fail,
    handled,
    org_session,
    state,
)
from onhand.domain.ids import MAX_BIG_ID, MAX_ID
from onhand.runtime import delivery_options
from onhand.services import events, webhooks

hooks_app = typer.Typer(
    help="Webhooks: where the organisation's events are sent (docs/webhooks.md).",
    no_args_is_help=True,
)
app.add_typer(hooks_app, name="webhooks")

# Ids as the database holds them: a larger number is refused with a sentence, not sent to it.
WebhookId = Annotated[int, typer.Argument(min=1, max=MAX_ID)]
DeliveryId = Annotated[int, typer.Argument(min=1, max=MAX_BIG_ID)]
Types = Annotated[
    list[str] | None,
    typer.Option("--type", help="An event type (stock.moved) or family (po.*); repeatable"),
]


def _show(h: dict[str, Any]) -> None:
    types = ", ".join(h["event_types"]) or "every type"
    state_ = "active" if h["active"] else "paused"
    b = h["backlog"]
    console.print(f"webhook {h['id']}  {state_}  {h['url']}", highlight=False, markup=False)
    console.print(f"  events: {types}", highlight=False, markup=False)
    if h["description"]:
        console.print(f"  {h['description']}", highlight=False, markup=False)
    console.print(
        f"  pending {b['pending']}, retrying {b['retrying']}, dead {b['dead']}", highlight=False
    )


def _secret(h: dict[str, Any]) -> None:
    console.print(
        f"signing secret (shown once, keep it with the receiver): {h['secret']}",
        highlight=False,
        markup=False,
    )


@hooks_app.command("add")
def add(
    url: str,
    types: Types = None,
    description: Annotated[str, typer.Option(help="What the endpoint is for")] = "",
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused")] = False,
    org: OrgOption = None,
) -> None:
    """Send the organisation's events (of the given types; none: all) from now on to URL."""
    db, actor = org_session(org)
    data = webhooks.WebhookCreate(
        url=url, event_types=list(types or []), description=description, active=not paused
    )
    with handled():
        made = webhooks.create_webhook(
            db, actor, data, allow_private=state.settings.webhook_allow_private
        )
    _show(made)
    _secret(made)


@hooks_app.command("list")
def list_cmd(org: OrgOption = None) -> None:
    """The organisation's webhooks and what waits to be delivered."""
    db, actor = org_session(org)
    with handled():
        found = webhooks.list_webhooks(db, actor)
    if not found:
        console.print("no webhooks")
    for h in found:
        _show(h)


@hooks_app.command("update")
def update(
    webhook_id: WebhookId,
    url: Annotated[str | None, typer.Option(help="A new URL")] = None,
    types: Types = None,
    all_types: Annotated[bool, typer.Option("--all-types", help="Every event type")] = False,
    description: Annotated[str | None, typer.Option()] = None,
    active: Annotated[
        bool | None, typer.Option("--resume/--pause", help="Resume or pause deliveries")
    ] = None,
    org: OrgOption = None,
) -> None:
    """Change a webhook's URL, event types or description; pause or resume it."""
    if types and all_types:
        raise fail("give --type or --all-types, not both", EXIT["invalid"])
    changes: dict[str, Any] = {"url": url, "description": description, "active": active}
    if types or all_types:
        changes["event_types"] = list(types or [])
    db, actor = org_session(org)
    with handled():
        _show(
            webhooks.update_webhook(
                db,
                actor,
                webhook_id,
                {k: v for k, v in changes.items() if v is not None},
                allow_private=state.settings.webhook_allow_private,
            )
        )


@hooks_app.command("remove")
def remove(webhook_id: WebhookId, org: OrgOption = None) -> None:
    """Delete a webhook and its delivery log."""
    db, actor = org_session(org)
    with handled():
        webhooks.delete_webhook(db, actor, webhook_id)
    console.print(f"webhook {webhook_id} deleted", highlight=False)


@hooks_app.command("rotate-secret")
def rotate(
    webhook_id: WebhookId,
    keep_hours: Annotated[
        int, typer.Option(help="Hours the previous secret still signs deliveries (0: none)")
    ] = 24,
    org: OrgOption = None,
) -> None:
    """A new signing secret for a webhook."""
    db, actor = org_session(org)
    with handled():
        done = webhooks.rotate_secret(db, actor, webhook_id, keep_previous_hours=keep_hours)
    _secret(done)
    if done["previous_secret_valid_until"]:
        console.print(
            f"the previous secret signs too until {done['previous_secret_valid_until']:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )


@hooks_app.command("ping")
def ping(webhook_id: WebhookId, org: OrgOption = None) -> None:
    """Send a webhook.ping event to this webhook only."""
    db, actor = org_session(org)
    with handled():
        done = webhooks.ping(db, actor, webhook_id)
    console.print(
        f"ping queued as event {done['event_id']}: see `onhand webhooks deliveries {webhook_id}`",
        highlight=False,
    )


@hooks_app.command("deliveries")
def deliveries(
    webhook_id: WebhookId,
    status: Annotated[
        list[str] | None,
        typer.Option(help="Only this status (repeatable): pending, delivered, retrying, dead"),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 50,
    org: OrgOption = None,
) -> None:
    """A webhook's delivery log, newest first."""
    db, actor = org_session(org)
    with handled():
        page = webhooks.list_deliveries(
            db, actor, webhook_id, statuses=list(status or []), limit=limit
        )
    if not page["deliveries"]:
        console.print("no deliveries")
        return
    table = Table("delivery", "event", "type", "status", "attempts", "HTTP", "next (UTC)", "error")
    for d in page["deliveries"]:
        nxt = d["next_attempt_at"]
        table.add_row(
            str(d["id"]),
            str(d["event_id"]),
            d["event_type"],
            d["status"],
            str(d["attempts"]),
            str(d["last_status"] or ""),
            f"{nxt:%Y-%m-%d %H:%M:%S}" if nxt else "",
            d["last_error"] or "",
        )
    console.print(table)


@hooks_app.command("retry")
def retry(webhook_id: WebhookId, delivery_id: DeliveryId, org: OrgOption = None) -> None:
    """Send a dead (or retrying) delivery again now."""
    db, actor = org_session(org)
    with handled():
        retried = webhooks.retry_delivery(db, actor, webhook_id, delivery_id)
    console.print(webhooks.retried_sentence(delivery_id, retried), highlight=False)


@hooks_app.command("deliver")
def deliver(
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, then stop (retries wait)")
    ] = False,
) -> None:
    """Fan out new events and send due deliveries of every organisation until interrupted (a
    worker beside servers started with ONHAND_WEBHOOK_DELIVERY=false); safe beside others."""
    from onhand.services.webhook_dispatch import Dispatcher  # httpx loads for this command

    db = database()
    dispatcher = Dispatcher(db, delivery_options(state.settings))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, dispatcher.stop)
        await asyncio.to_thread(events.sequence, db)
        await dispatcher.run(follow=True, once=once)

    if not once:
        console.print("delivering webhooks (Ctrl-C stops)", highlight=False)
    try:
        asyncio.run(main())
    finally:
        db.dispose()
    console.print(f"{dispatcher.sent} attempts made", highlight=False)
