"""`onhand events`: publish the event outbox to NATS JetStream from a worker process of its own
(serving processes with the event pump relay by themselves when ONHAND_NATS_URL is set), and
look after the outbox: its followers' cursors and its retention."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from onhand.cli_common import EXIT, app, console, database, fail, handled, state
from onhand.runtime import relay_config

if TYPE_CHECKING:
    from onhand.services.nats_relay import RelayConfig
from onhand.services import events

events_app = typer.Typer(
    help="The event outbox: publish it to a broker, its followers, its retention.",
    no_args_is_help=True,
)
app.add_typer(events_app, name="events")


def _config(url: str | None, stream: str | None, subject: str | None) -> RelayConfig:
    settings = state.settings.model_copy()
    if url:
        settings.nats_url = url
    try:
        config = relay_config(settings)
        if config is None:
            raise fail("no NATS server: set ONHAND_NATS_URL or pass --url", EXIT["invalid"])
        return replace(config, stream=stream or config.stream, subject=subject or config.subject)
    except ValueError as exc:
        raise fail(str(exc), EXIT["invalid"]) from None


@events_app.command("relay")
def relay_cmd(
    url: Annotated[
        str | None,
        typer.Option(help="NATS server, e.g. nats://127.0.0.1:4222 (default: $ONHAND_NATS_URL)"),
    ] = None,
    stream: Annotated[
        str | None,
        typer.Option(help="JetStream stream (default: $ONHAND_NATS_STREAM or ONHAND_EVENTS)"),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="subject prefix (default: $ONHAND_NATS_SUBJECT or onhand.events)"),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="publish what is waiting, then exit (1 if NATS cannot be reached)"
        ),
    ] = False,
) -> None:
    """Publish the outbox's events to NATS JetStream, in order, each once, until interrupted
    (Ctrl-C or SIGTERM); a broker that is away is retried, the events wait in the outbox."""
    from onhand.services.nats_relay import NatsRelay  # the NATS client loads for this command

    config = _config(url, stream, subject)
    relay = NatsRelay(database(), config)
    if once:
        try:
            n = asyncio.run(relay.publish_once())
        except Exception as exc:
            raise fail(
                f"cannot publish to NATS at {config.shown_url}: {exc or type(exc).__name__}"
            ) from None
        console.print(
            f"{n} event(s) published to the stream {escape(config.stream)}", highlight=False
        )
        return

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, relay.request_stop)
        await relay.serve()

    console.print(
        f"publishing events to {escape(config.shown_url)}, stream {escape(config.stream)}, "
        f"subjects {escape(config.subjects)} (Ctrl-C stops)",
        highlight=False,
    )
    asyncio.run(serve())
    console.print("relay stopped")


@events_app.command("cursors")
def cursors_cmd() -> None:
    """The outbox's followers (webhook fan-out, broker relays...): how far each has read and
    how many events it is behind. The furthest behind holds the retention back."""
    db = database()
    try:
        rows = events.cursors(db)
    finally:
        db.dispose()
    if not rows:
        console.print("no follower has read the outbox yet")
        return
    table = Table("follower", "position", "behind")
    for r in rows:
        table.add_row(escape(r["name"]), str(r["position"]), str(r["behind"]))
    console.print(table)


@events_app.command("forget-cursor")
def forget_cursor_cmd(
    name: Annotated[
        str, typer.Argument(help="the follower's name, as `onhand events cursors` shows it")
    ],
) -> None:
    """Remove the cursor of a follower that no longer runs (it holds the retention back); if
    it runs again it starts from the oldest event kept."""
    db = database()
    try:
        with handled():
            events.forget_cursor(db, name)
    finally:
        db.dispose()
    console.print(f"forgot the cursor {escape(name)}", highlight=False)


@events_app.command("prune")
def prune_cmd(
    keep_days: Annotated[
        int | None,
        typer.Option(
            min=1, help="keep this many days of events (default: $ONHAND_EVENT_KEEP_DAYS, 90)"
        ),
    ] = None,
) -> None:
    """Remove the events older than the keeping time that every follower has read and no
    webhook delivery needs (serving processes do this hourly by themselves)."""
    days = keep_days or state.settings.event_keep_days
    if not days:
        raise fail(
            "ONHAND_EVENT_KEEP_DAYS is 0 (keep events for ever): pass --keep-days to prune",
            EXIT["invalid"],
        )
    db = database()
    try:
        with handled():
            done = events.prune(db, keep_days=days)
    finally:
        db.dispose()
    console.print(f"{done.removed} event(s) older than {days} days removed", highlight=False)
    if done.held_by:
        console.print(
            f"older events are kept because the follower {escape(done.held_by)} has not read "
            "them: see `onhand events cursors`",
            highlight=False,
        )
