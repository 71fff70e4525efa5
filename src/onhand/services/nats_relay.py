"""Publishes the outbox to NATS JetStream, so that several consumers (other services, each API
process of a deployment) can follow the events through a broker.

Each sequenced event goes, in sequence order, to the subject
``<prefix>.<org slug>.<event type>`` (``onhand.events.acme.stock.moved``) of one stream, with
the envelope JSON as payload and the header ``Nats-Msg-Id`` set to the event's id. The relay's
cursor (in ``event_cursors``, named ``nats:<stream>``) moves only after the broker acknowledged
the publish: a relay that dies between an acknowledgement and the cursor's move publishes those
events again when it restarts, and JetStream drops a message whose Msg-Id it already stored
within the stream's duplicate window. At-least-once publishing plus the broker's de-duplication
puts each event into the stream once.

nats-py is asyncio: the relay runs its own event loop in a thread of its own, so a broker that is
down or slow delays publishing only, never a request nor the event pump's other work. It retries
with a growing pause (up to MAX_BACKOFF), and logs once when publishing fails and once when it
works again.

One process publishes at a time on PostgreSQL (an advisory lock, tried per pass). SQLite has no
such lock: two processes may publish the same batch at once, and the duplicate window drops the
second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import nats.errors
from nats.aio.client import Client as Nats
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from onhand.services import events
from onhand.store import events as outbox
from onhand.store.unit_of_work import Database

log = logging.getLogger("onhand.events.nats")

INTERVAL = 0.5  # seconds between looks at the outbox when everything was published
MAX_BACKOFF = 5.0  # the longest pause between tries while the broker is away
CONNECT_TIMEOUT = 2  # seconds
PUBLISH_TIMEOUT = 5.0  # seconds to wait for the broker's acknowledgement of one event
BATCH = 500

_STREAM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_USERINFO = re.compile(r"(?<=//)([^/,]*)@")  # of each server in a URL (or a list of them)


def _hide_secret(userinfo: re.Match[str]) -> str:
    user, colon, _ = userinfo.group(1).partition(":")
    return f"{user}:***@" if colon else "***@"  # "user:password", or a token alone


@dataclass(frozen=True)
class RelayConfig:
    """Where and how the relay publishes."""

    url: str
    stream: str = "ONHAND_EVENTS"
    subject: str = "onhand.events"
    duplicate_window: float = 120.0  # seconds; applied when the relay creates the stream
    batch: int = BATCH
    publish_timeout: float = PUBLISH_TIMEOUT

    def __post_init__(self) -> None:
        if not self.url.strip():
            raise ValueError("the NATS URL is empty")
        if not _STREAM_NAME.match(self.stream):
            raise ValueError(
                f"NATS stream name {self.stream!r} must be 1-64 letters, digits, _ or -"
            )
        if not all(_TOKEN.match(t) for t in self.subject.split(".")):
            raise ValueError(
                f"NATS subject prefix {self.subject!r} must be dot-separated words of "
                "letters, digits, _ or - (no wildcards)"
            )
        if self.duplicate_window <= 0:
            raise ValueError("the NATS duplicate window must be more than 0 seconds")
        if self.batch < 1 or self.publish_timeout <= 0:
            raise ValueError("the batch size and the publish timeout must be positive")

    @property
    def shown_url(self) -> str:
        """The URL for logs and messages: a password or token in it is shown as ***."""
        return _USERINFO.sub(_hide_secret, self.url)

    @property
    def cursor(self) -> str:
        """The name of the relay's cursor in event_cursors (one per stream)."""
        return f"nats:{self.stream}"

    @property
    def subjects(self) -> str:
        """The stream's subjects: every subject under the prefix."""
        return f"{self.subject}.>"

    def subject_of(self, org_slug: str, event_type: str) -> str:
        """The subject an event is published to: ``<prefix>.<org slug>.<type>``."""
        return f"{self.subject}.{org_slug}.{event_type}"


def _broker_trouble(exc: BaseException) -> bool:
    """A failure of the connection or the broker (expected during an outage, so logged
    without a traceback), rather than a fault of ours."""
    return isinstance(exc, nats.errors.Error | OSError | asyncio.TimeoutError | TimeoutError)


class NatsRelay:
    """Publishes the outbox to a JetStream stream: ``serve`` until stopped (in a thread of
    its own with ``start``/``stop``), or ``publish_pending`` for one pass."""

    def __init__(self, db: Database, config: RelayConfig, *, interval: float = INTERVAL) -> None:
        self.db = db
        self.config = config
        self._interval = interval
        self._slugs: dict[int, str] = {}
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._failing_since: float | None = None

    # -- one pass -------------------------------------------------------------------------

    async def connect(self) -> tuple[Nats, JetStreamContext]:
        """A connection to the broker, with the stream in place (created when missing)."""
        nc = Nats()
        try:
            await asyncio.wait_for(
                nc.connect(
                    self.config.url,
                    name="onhand-relay",
                    connect_timeout=CONNECT_TIMEOUT,
                    # One try per pass: the relay's own loop retries (and logs once). A lost
                    # connection is closed, and a new one made on the next pass.
                    allow_reconnect=False,
                    max_reconnect_attempts=1,  # 0 would retry the first connection forever
                    reconnect_time_wait=0,
                    error_cb=self._client_error,
                ),
                CONNECT_TIMEOUT * 3,
            )
            js = nc.jetstream(timeout=self.config.publish_timeout)
            await self._ensure_stream(js)
        except BaseException:
            await _close(nc)
            raise
        return nc, js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await js.stream_info(self.config.stream)
            return  # an existing stream keeps its configuration: an operator may have tuned it
        except NotFoundError:
            pass
        wanted = StreamConfig(
            name=self.config.stream,
            subjects=[self.config.subjects],
            storage=StorageType.FILE,
            duplicate_window=self.config.duplicate_window,
            description="onhand's domain events (the outbox), one message per event",
        )
        try:
            await js.add_stream(wanted)
            log.info("created the NATS stream %s (%s)", self.config.stream, self.config.subjects)
        except BadRequestError:
            # Another relay created it a moment ago (with other settings): use it as it is.
            await js.stream_info(self.config.stream)

    async def publish_pending(self, js: JetStreamContext) -> int:
        """Publish the sequenced events after the relay's cursor, in order, until none is
        left, moving the cursor after the acknowledgements; how many were published. Does
        nothing (0) while another process publishes to the same stream (PostgreSQL)."""
        events.sequence(self.db)  # a cheap read when there is nothing to sequence
        total = 0
        with outbox.follower_lock(self.db.engine, self.config.cursor) as ours:
            if not ours:
                return 0
            while True:
                rows = self._next_batch()
                if not rows:
                    return total
                total += await self._publish(js, rows)
                if len(rows) < self.config.batch:
                    return total

    def _next_batch(self) -> list[Any]:
        with self.db.reading() as uow:
            after = outbox.cursor(uow.conn, self.config.cursor)
            rows = outbox.events_after(uow.conn, after=after, limit=self.config.batch)
            unknown = {int(r.org_id) for r in rows} - self._slugs.keys()
            if unknown:  # an organisation's slug never changes: looked up once
                self._slugs.update(outbox.org_slugs(uow.conn, sorted(unknown)))
        return rows

    async def _publish(self, js: JetStreamContext, rows: list[Any]) -> int:
        # One at a time, each after the previous one's acknowledgement: a failure leaves no
        # later event in the stream ahead of it, so the stream stays in sequence order.
        done = 0
        try:
            for row in rows:
                await js.publish(
                    self.config.subject_of(self._slugs[int(row.org_id)], row.type),
                    events.envelope_json(row),
                    stream=self.config.stream,  # never into another stream that overlaps
                    headers={
                        "Nats-Msg-Id": str(row.id),
                        "Onhand-Sequence": str(row.seq),
                        "Onhand-Event-Type": row.type,
                    },
                )
                done += 1
        finally:
            # What the broker acknowledged is kept, even when a later publish failed.
            if done:
                last = int(rows[done - 1].seq)
                self.db.write(lambda uow: outbox.advance_cursor(uow.conn, self.config.cursor, last))
        return done

    async def publish_once(self) -> int:
        """Connect, publish what is pending, disconnect; how many events were published."""
        nc, js = await self.connect()
        try:
            return await self.publish_pending(js)
        finally:
            await _close(nc)

    # -- the loop -------------------------------------------------------------------------

    async def serve(self) -> None:
        """Publish until ``request_stop``: connect, publish what is pending, wait a moment,
        again; on a failure, close the connection and try again after a pause."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        nc: Nats | None = None
        js: JetStreamContext | None = None
        backoff = self._interval
        try:
            while not self._stopping.is_set():
                pause = self._interval
                try:
                    if nc is None or js is None or not nc.is_connected:
                        await _close(nc)
                        nc = js = None
                        nc, js = await self.connect()
                    await self.publish_pending(js)
                    self._working()
                    backoff = self._interval
                except Exception as exc:
                    self._failed(exc)
                    await _close(nc)
                    nc = js = None
                    pause = backoff
                    backoff = min(backoff * 2, MAX_BACKOFF)
                await self._sleep(pause)
        finally:
            await _close(nc)

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    def request_stop(self) -> None:
        """Ask ``serve`` to finish (from any thread or a signal handler)."""
        self._stopping.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(wake.set)

    def start(self) -> None:
        """Run ``serve`` in a daemon thread with its own event loop."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(
                target=lambda: asyncio.run(self.serve()), name="onhand-nats-relay", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread started by ``start`` (the cursor is saved after every batch, so
        nothing is lost by stopping at any point)."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def _failed(self, exc: Exception) -> None:
        first = self._failing_since is None
        if first:
            self._failing_since = time.monotonic()
        # Logged once per outage: the outbox keeps the events, nothing is lost meanwhile.
        if not first:
            log.debug("publishing to NATS still fails: %r", exc)
        elif _broker_trouble(exc):
            log.warning(
                "publishing events to NATS at %s failed (%s); retrying, the events wait in the outbox",
                self.config.shown_url,
                _describe(exc),
            )
        else:
            log.exception("publishing events to NATS failed; retrying")

    def _working(self) -> None:
        if self._failing_since is not None:
            down = time.monotonic() - self._failing_since
            self._failing_since = None
            log.warning("publishing events to NATS works again (after %.0f s)", down)

    async def _client_error(self, exc: Exception) -> None:
        # nats-py reports each failed connection attempt here; the relay logs outages itself.
        log.debug("NATS client: %r", exc)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _close(nc: Nats | None) -> None:
    if nc is not None and not nc.is_closed:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.close(), CONNECT_TIMEOUT * 2)
