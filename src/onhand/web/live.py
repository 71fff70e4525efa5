"""Live pages: a server-sent event stream that says when the organisation's stock or
documents changed.

Each open page holds one stream; when the outbox moves on (the event pump watches it for
all streams of the process: services/event_watch.py), the server looks at the position of
the organisation's newest event (one index seek) and sends a ``stock`` event with it when it
moved on: every posting raises ``stock.moved``, and document changes (a sensor
excursion, a count variance, a lot put on hold) raise theirs. The page then fetches itself
again and swaps the regions marked ``data-live`` (static/live.js), so on-hand figures and the
exceptions list follow without a reload. A reconnecting browser sends ``Last-Event-ID`` and
hears at once about a change it missed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from onhand.api.deps import watch_of
from onhand.domain.access import Actor
from onhand.services import events as outbox
from onhand.services.event_watch import next_look
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.render import db_of, whole

router = APIRouter(include_in_schema=False)

LOOK_GAP_SECONDS = 1.0  # a stream looks at most this often (and only when the outbox moved)
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 3000


def _last_seen(request: Request) -> int | None:
    raw = request.headers.get("last-event-id", "")
    return whole(raw)


async def _events(
    request: Request, db: Database, actor: Actor, seen: int | None
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    watch = watch_of(request)
    spoke = time.monotonic()
    while not await request.is_disconnected():
        moved = watch.position if watch else 0  # before the read: a move meanwhile wakes us
        looked = time.monotonic()
        latest = await run_in_threadpool(outbox.position, db, actor)
        if seen is None:  # a new page: it shows the stock as of now
            seen = latest
        now = time.monotonic()
        if latest != seen:
            seen, spoke = latest, now
            yield f"id: {latest}\nevent: stock\ndata: {latest}\n\n"
        elif now - spoke >= HEARTBEAT_SECONDS:  # keeps proxies from closing an idle stream
            spoke = now
            yield ": still here\n\n"
        await next_look(watch, moved, looked, LOOK_GAP_SECONDS)


@router.get("/live/events")
def events(request: Request) -> Response:
    db = db_of(request)
    session = sessions.require(db, request)
    return StreamingResponse(
        _events(request, db, session.actor, _last_seen(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
