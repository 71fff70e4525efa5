"""Live pages: a server-sent event stream that says when the organisation's stock changed.

Each open page holds one stream; the server looks at the organisation's latest posting once a
second (one index seek) and sends a ``stock`` event with its id when it moved on. The page then
fetches itself again and swaps the regions marked ``data-live`` (static/live.js), so on-hand
figures and the exceptions list follow the postings without a reload. A reconnecting browser
sends ``Last-Event-ID`` and hears at once about a change it missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from onhand.domain.access import Actor
from onhand.services import queries
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.render import db_of

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 3000


def _last_seen(request: Request) -> int | None:
    raw = request.headers.get("last-event-id", "")
    return int(raw) if raw.isdigit() else None


async def _events(
    request: Request, db: Database, actor: Actor, seen: int | None
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    quiet = 0.0
    while not await request.is_disconnected():
        latest = await run_in_threadpool(queries.ledger_position, db, actor)
        if seen is None:  # a new page: it shows the stock as of now
            seen = latest
        if latest != seen:
            seen, quiet = latest, 0.0
            yield f"id: {latest}\nevent: stock\ndata: {latest}\n\n"
        elif quiet >= HEARTBEAT_SECONDS:  # keeps proxies from closing an idle stream
            quiet = 0.0
            yield ": still here\n\n"
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS


@router.get("/live/events")
def events(request: Request) -> Response:
    db = db_of(request)
    session = sessions.require(db, request)
    return StreamingResponse(
        _events(request, db, session.actor, _last_seen(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
