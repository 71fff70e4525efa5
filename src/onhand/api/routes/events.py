"""Domain events: the list (resumable by position), the catalogue of types, and a live stream
(server-sent events) that resumes from Last-Event-ID."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from onhand.api.deps import DB, BearerToken, CurrentActor, watch_of
from onhand.api.schemas_events import EventPage, EventTypeRead
from onhand.domain.access import Actor
from onhand.domain.errors import OnhandError
from onhand.domain.events import check_filters
from onhand.services import accounts, events
from onhand.services.event_watch import next_look
from onhand.store.unit_of_work import Database

router = APIRouter(tags=["events"])

LOOK_GAP_SECONDS = 0.5  # a stream looks at most this often (and only when the outbox moved)
HEARTBEAT_SECONDS = 15.0
RECHECK_SECONDS = 30.0  # a revoked token ends the stream within this
RETRY_MS = 3000
Types = Annotated[
    list[str],
    Query(description="event types (stock.moved) or families (stock.*); none: every type"),
]
LAST_POSITION = 2**63 - 1
After = Annotated[
    int, Query(ge=0, le=LAST_POSITION, description="the position to read after (0: the start)")
]


@router.get("/events", response_model=EventPage)
def list_events(
    db: DB,
    actor: CurrentActor,
    after: After = 0,
    type: Types = [],  # noqa: B006 (FastAPI copies defaults)
    limit: Annotated[int, Query(ge=1, le=events.MAX_PAGE)] = 100,
) -> Any:
    """The organisation's events after ``after``, oldest first; ``next`` is where to resume."""
    return events.list_events(db, actor, after=after, types=type, limit=limit)


@router.get("/events/types", response_model=list[EventTypeRead])
def event_types(actor: CurrentActor) -> Any:
    """Every event type and when it is raised."""
    return events.event_types()


def _resume_from(request: Request, after: int) -> int:
    raw = request.headers.get("last-event-id", "").strip()
    if raw.isascii() and raw.isdigit() and int(raw) <= LAST_POSITION:
        return int(raw)
    return after


async def _stream(
    request: Request, db: Database, token: str, actor: Actor, after: int, types: list[str]
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    watch = watch_of(request)
    spoke = checked = time.monotonic()
    while not await request.is_disconnected():
        seen = watch.position if watch else 0  # before the read: a move meanwhile wakes us
        looked = time.monotonic()
        try:
            page = await run_in_threadpool(
                events.list_events, db, actor, after=after, types=types, limit=events.MAX_PAGE
            )
        except OnhandError as exc:  # e.g. the retention overtook a reader far behind
            yield f"event: end\ndata: {exc.message}\n\n"
            return
        for e in page["events"]:
            body = json.dumps(jsonable_encoder(e), separators=(",", ":"))
            yield f"id: {e['sequence']}\nevent: {e['type']}\ndata: {body}\n\n"
        now = time.monotonic()
        if page["events"]:
            spoke = now
        after = page["next"]
        if len(page["events"]) == events.MAX_PAGE:
            continue  # more waiting: no pause
        if now - spoke >= HEARTBEAT_SECONDS:  # keeps proxies from closing an idle stream
            spoke = now
            yield ": still here\n\n"
        if now - checked >= RECHECK_SECONDS:
            checked = now
            try:
                await run_in_threadpool(accounts.authenticate, db, token)
            except OnhandError:
                yield "event: end\ndata: the token is no longer valid\n\n"
                return
        await next_look(watch, seen, looked, LOOK_GAP_SECONDS)


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "the event stream"}},
)
def stream_events(
    request: Request,
    db: DB,
    token: BearerToken,
    actor: CurrentActor,
    after: After = 0,
    type: Types = [],  # noqa: B006
) -> StreamingResponse:
    """Server-sent events: each event as ``id: <sequence>``, ``event: <type>``, ``data: <JSON>``,
    from ``after`` (or the Last-Event-ID a reconnecting client sends) on, live; 410
    ``events_pruned`` when events after that position were removed by the retention."""
    chosen = check_filters(type)
    start = _resume_from(request, after)
    events.check_resumable(db, actor, start)
    return StreamingResponse(
        _stream(request, db, token, actor, start, chosen),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
