"""Webhook deliveries: made from the outbox, sent signed, retried with backoff, logged.

The fan-out follows the outbox (``events.follow``): each event becomes a delivery row per
matching subscription in the transaction that moves the follower's cursor, so every delivery is
made exactly once. Sending is at least once: the dispatcher claims due deliveries (a lease, so a
dispatcher that dies mid-send leaves them to another), sends them with httpx, and records each
outcome. Postings only ever write the outbox: no endpoint, however slow, is on their path.

The dispatcher runs an asyncio loop in a thread of its own: a slow or dead endpoint holds a few
of its slots (at most ``per_subscription``, each for at most the timeout), never the others'.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import secrets
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpcore
import httpx

from onhand import __version__
from onhand.domain.events import matches
from onhand.domain.webhooks import (
    DEAD,
    DELIVERED,
    FANOUT_CURSOR,
    PENDING,
    RETRYING,
    SIGNATURE_HEADER,
    RetryPolicy,
    is_private_address,
    is_private_host,
    private_refusal,
    signature_header,
)
from onhand.services import events
from onhand.services.common import utcnow
from onhand.store import events as outbox
from onhand.store import webhooks as store
from onhand.store.unit_of_work import Database, UnitOfWork

log = logging.getLogger("onhand.webhooks")

# httpcore asks sniffio which async library runs on every request; without sniffio installed
# (anyio no longer needs it) that is a failed import each time, a search of sys.path that cost
# ~40 % of a delivery's CPU. Remembering the failure makes it instant and changes nothing else.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

FOLLOWER = FANOUT_CURSOR
FAN_OUT_BATCH = 500
FAN_OUT_ROUNDS = 20  # batches per call at most, so one call stays short
PRUNE_BATCH = 5000
HOLD = 16  # deliveries claimed per sending slot (see Dispatcher)
FOLLOW_EVERY = 0.25  # seconds between fan-outs of a worker that follows the outbox itself
READ_LIMIT = 64 * 1024  # of an endpoint's answer: read (to reuse the connection), not kept
ERROR_MAX = 300


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """How deliveries are sent: the retry schedule, the timeout of one attempt (to connect, and
    between bytes of the answer; a whole attempt gets twice that), how many are in flight (in
    all, and per subscription), whether private addresses may be delivered to, how long the log
    of finished deliveries is kept, and how often the dispatcher looks for due ones."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 5.0
    concurrency: int = 64
    per_subscription: int = 4
    allow_private: bool = False
    log_days: int = 30
    poll: float = 1.0

    @property
    def lease(self) -> timedelta:
        """How long a claim holds a delivery: well past the longest wait in the queue (HOLD
        attempts of a slot, each at most twice the timeout) and the attempt itself."""
        return timedelta(seconds=self.timeout * 2 * (HOLD + 1) + 60)


# --- fan-out ------------------------------------------------------------------------------


def _fan_out_rows(uow: UnitOfWork, rows: list[Any]) -> None:
    subs = store.active_subscriptions(uow.conn, [r.org_id for r in rows])
    by_org: dict[int, list[tuple[int, list[str], int]]] = {}
    for s in subs:
        by_org.setdefault(s.org_id, []).append((s.id, json.loads(s.event_types), s.after_seq))
    now = utcnow()
    made: list[dict[str, Any]] = []
    for r in rows:
        if r.type == "webhook.ping":
            continue  # its one delivery was made with it (webhooks.ping)
        for sub_id, filters, after_seq in by_org.get(r.org_id, ()):
            if r.seq > after_seq and matches(filters, r.type):
                made.append(
                    {
                        "org_id": r.org_id,
                        "subscription_id": sub_id,
                        "event_id": r.id,
                        "event_type": r.type,
                        "status": PENDING,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    store.insert_deliveries(uow.conn, made)


def fan_out(db: Database) -> int:
    """Make the deliveries of the events not yet fanned out; how many events were read.

    One process at a time: on PostgreSQL two fan-outs at once would both read the cursor, and
    the later commit could move it back over deliveries the other made (which the next
    fan-out would then make again, and fail on the unique key every time). Another process's
    fan-out leaves this one nothing to do. SQLite's writers are one at a time already."""
    total = 0
    with outbox.follower_lock(db.engine, FOLLOWER) as ours:
        if not ours:
            return 0
        for _ in range(FAN_OUT_ROUNDS):
            n = events.follow(db, FOLLOWER, _fan_out_rows, batch=FAN_OUT_BATCH)
            total += n
            if n < FAN_OUT_BATCH:
                break
    return total


def prune(db: Database, options: DeliveryOptions) -> int:
    """Forget delivered and dead deliveries older than the log's keeping time; how many."""
    before = utcnow() - timedelta(days=options.log_days)
    total = 0
    while True:
        n = db.write(lambda uow: store.prune(uow.conn, finished_before=before, limit=PRUNE_BATCH))
        total += n
        if n < PRUNE_BATCH:
            return total


# --- sending ------------------------------------------------------------------------------


def body_of(row: Any) -> bytes:
    """The delivery's body: the event's envelope as JSON (the same bytes on every attempt)."""
    return events.envelope_json(row)


def _signing_secrets(row: Any, now: datetime) -> list[str]:
    keep = row.previous_secret and row.previous_until and row.previous_until > now
    return [row.secret, row.previous_secret] if keep else [row.secret]


@dataclass(slots=True)
class Outcome:
    """One attempt: the claimed delivery, when and how long, the endpoint's status or error."""

    claimed: Any
    at: datetime
    duration_ms: int
    http_status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _outcome_values(o: Outcome, policy: RetryPolicy, now: datetime) -> dict[str, Any]:
    attempts = o.claimed.attempts + 1
    values: dict[str, Any] = {
        "delivery_id": o.claimed.delivery_id,
        "attempts": attempts,
        "last_status": o.http_status,
        "last_error": o.error,
        "updated_at": now,
        "delivered_at": None,
    }
    if o.ok:
        return values | {"status": DELIVERED, "next_attempt_at": None, "delivered_at": now}
    if policy.is_dead(attempts):
        return values | {"status": DEAD, "next_attempt_at": None}
    wait = timedelta(seconds=policy.delay(attempts))
    return values | {"status": RETRYING, "next_attempt_at": now + wait}


def record_in(uow: UnitOfWork, outcomes: list[Outcome], token: str, policy: RetryPolicy) -> None:
    """Write the attempts' outcomes (those whose claim is still ``token``'s) and log every
    attempt, in the caller's transaction."""
    now = utcnow()
    store.record_outcomes(uow.conn, token, [_outcome_values(o, policy, now) for o in outcomes])
    store.insert_attempts(
        uow.conn,
        [
            {
                "org_id": o.claimed.org_id,
                "delivery_id": o.claimed.delivery_id,
                "attempt": o.claimed.attempts + 1,
                "at": o.at,
                "duration_ms": o.duration_ms,
                "http_status": o.http_status,
                "error": o.error,
            }
            for o in outcomes
        ],
    )


def record(db: Database, outcomes: list[Outcome], token: str, policy: RetryPolicy) -> None:
    """Write the attempts' outcomes and log them, in one transaction of their own."""
    db.write(lambda uow: record_in(uow, outcomes, token, policy))


def _short(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


class _Refused(Exception):
    """The attempt was not made (an address that may not be delivered to)."""


class _PublicOnly(httpcore.AsyncNetworkBackend):
    """Opens connections to public addresses only. The host name is looked up here, every
    address it has must be public, and the connection is made to one of those very
    addresses: a name cannot answer a public address to a check and a private one to the
    connection a moment later (DNS rebinding), and a failed look-up fails the attempt."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if is_private_host(host):
            raise _Refused(private_refusal(host).message)
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise httpcore.ConnectError(f"{host[:80]}: {exc.strerror or exc}") from exc
        addresses = list(dict.fromkeys(str(a[4][0]) for a in found))
        if not addresses or any(is_private_address(a) for a in addresses):
            raise _Refused(private_refusal(host).message)
        failed: Exception | None = None
        for address in addresses:  # in the resolver's order, the next when one fails
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failed = exc
        assert failed is not None
        raise failed

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class Sender:
    """Sends one delivery at a time over a shared connection pool, signed; never raises."""

    def __init__(self, options: DeliveryOptions, client: httpx.AsyncClient) -> None:
        self.options = options
        self.client = client

    async def send(self, claimed: Any) -> Outcome:
        """Attempt a delivery: 2xx is delivered; another status, a timeout or a connection
        failure is an error sentence for the log."""
        at = utcnow()
        start = time.monotonic()
        status: int | None = None
        error: str | None = None
        body = body_of(claimed)
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"onhand-webhooks/{__version__}",
            "Onhand-Event-Id": str(claimed.id),
            "Onhand-Event-Type": claimed.type,
            "Onhand-Delivery-Id": str(claimed.delivery_id),
            "Onhand-Attempt": str(claimed.attempts + 1),
            SIGNATURE_HEADER: signature_header(_signing_secrets(claimed, at), stamp, body),
        }
        limit = self.options.timeout
        try:
            async with asyncio.timeout(limit * 2):  # the look-up too
                async with self.client.stream(
                    "POST", claimed.url, content=body, headers=headers
                ) as r:
                    status = r.status_code
                    read = 0
                    async for chunk in r.aiter_raw():
                        read += len(chunk)
                        if read > READ_LIMIT:
                            break
            if not 200 <= status < 300:
                error = f"the endpoint answered {status} {r.reason_phrase}".rstrip()
                if 300 <= status < 400:
                    error += " (redirects are not followed: give the final URL)"
        except _Refused as exc:
            error = str(exc)
        except (TimeoutError, httpx.TimeoutException):
            error = f"no answer within {limit:g} s" if status is None else "the answer was too slow"
        except httpx.ConnectError as exc:
            error = f"could not connect: {exc or 'refused'}"
        except httpx.HTTPError as exc:
            error = f"the request failed: {type(exc).__name__} {exc}".strip()
        except Exception as exc:  # one delivery's surprise must not stop the others
            log.warning("webhook delivery %s failed unexpectedly: %r", claimed.delivery_id, exc)
            error = f"the request could not be made: {type(exc).__name__}"
        ms = int((time.monotonic() - start) * 1000)
        return Outcome(claimed, at, ms, status, _short(error) if error else None)


def _public_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport, with connections opened by _PublicOnly."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx has no setting for the network backend: the pool it makes, with ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_PublicOnly(),
    )
    return transport


def make_client(options: DeliveryOptions) -> httpx.AsyncClient:
    """The dispatcher's HTTP client: as many connections as deliveries in flight (so none waits
    for a connection held by a slow endpoint), no redirects, no proxies from the environment,
    and connections to public addresses only unless private ones are allowed."""
    t = options.timeout
    limits = httpx.Limits(
        max_connections=options.concurrency, max_keepalive_connections=options.concurrency
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=t, read=t, write=t, pool=t),
        limits=limits,
        transport=None if options.allow_private else _public_transport(limits),
        follow_redirects=False,
        trust_env=False,
    )


# --- the dispatcher -----------------------------------------------------------------------


class Dispatcher:
    """Claims due deliveries and sends them concurrently, in an asyncio loop.

    It holds up to HOLD deliveries per sending slot: sends go on from those while the
    transaction that records finished ones (and claims more) commits, so a commit's wait for
    the disk is shared by every attempt that finished meanwhile instead of holding up the next.
    At most ``per_subscription`` of one subscription are in flight.

    In a serving process it runs in a thread of its own (``start``/``stop``) and the event
    pump calls ``pump_task`` (the fan-out, short, and a nudge); ``onhand webhooks deliver``
    runs ``run(follow=True)`` in the foreground and fans out itself.
    """

    def __init__(self, db: Database, options: DeliveryOptions | None = None) -> None:
        self.db = db
        self.options = options or DeliveryOptions()
        self.token = secrets.token_hex(16)  # this dispatcher's claims
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop = threading.Event()
        self._last_prune = 0.0
        self._queue: deque[Any] = deque()  # claimed, not yet sent
        self._in_flight: dict[asyncio.Task[Outcome], int] = {}  # send -> subscription
        self._done: list[Outcome] = []  # sent, not yet recorded
        self._sender: Sender | None = None
        self.sent = 0  # attempts recorded (for the benchmark and the command line)

    # The event pump's task (in the pump's thread).
    def pump_task(self, db: Database) -> int:
        """Fan out new events, nudge the sending loop when there are new deliveries, and prune
        the log once an hour; how many events were fanned out."""
        n = fan_out(db)
        if n:
            self.wake()
        if time.monotonic() - self._last_prune >= 3600:
            self._last_prune = time.monotonic()
            prune(db, self.options)
        return n

    def wake(self) -> None:
        """Look for due deliveries now (from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(wake.set)

    def start(self) -> None:
        """Run the sending loop in a daemon thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=lambda: asyncio.run(self.run()), name="onhand-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the loop; deliveries not recorded are tried again once their lease runs out."""
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=self.options.timeout * 2 + 5)
            self._thread = None

    def _settle_and_claim(
        self, outcomes: list[Outcome], room: dict[int, int], free: int
    ) -> list[Any]:
        """Record finished attempts and claim what is due and fits, in one transaction (one
        commit, one disk flush, for both); nothing is written when there is nothing to do."""
        now = utcnow()
        if not outcomes:
            if free <= 0:
                return []
            with self.db.reading() as uow:
                due = store.next_due(uow.conn)
            if due is None or due > now:
                return []

        def work(uow: UnitOfWork) -> list[Any]:
            if outcomes:
                record_in(uow, outcomes, self.token, self.options.policy)
            if free <= 0:
                return []
            return store.claim_due(
                uow.conn,
                now=now,
                until=now + self.options.lease,
                token=self.token,
                per_subscription=room,
                default_per_subscription=self.options.per_subscription * HOLD,
                limit=free,
            )

        return self.db.write(work)

    def _room(self) -> dict[int, int]:
        """How many more each subscription with deliveries held here may have claimed."""
        held: dict[int, int] = {}
        for c in self._queue:
            held[c.subscription_id] = held.get(c.subscription_id, 0) + 1
        for sub in self._in_flight.values():
            held[sub] = held.get(sub, 0) + 1
        most = self.options.per_subscription * HOLD
        return {sub: most - n for sub, n in held.items()}

    def _start_more(self) -> None:
        """Start sending held deliveries while there are free slots, at most
        ``per_subscription`` of one subscription at a time, oldest claimed first."""
        if self._sender is None:
            return
        opts = self.options
        busy: dict[int, int] = {}
        for sub in self._in_flight.values():
            busy[sub] = busy.get(sub, 0) + 1
        waiting: list[Any] = []
        while self._queue and len(self._in_flight) < opts.concurrency:
            c = self._queue.popleft()
            if busy.get(c.subscription_id, 0) >= opts.per_subscription:
                waiting.append(c)  # its subscription's slots are taken: keeps its place
                continue
            busy[c.subscription_id] = busy.get(c.subscription_id, 0) + 1
            task = asyncio.create_task(self._sender.send(c))
            self._in_flight[task] = c.subscription_id
            task.add_done_callback(self._finished)
        self._queue.extendleft(reversed(waiting))

    def _finished(self, task: asyncio.Task[Outcome]) -> None:
        """A send ended: its outcome waits to be recorded; its slot takes the next delivery."""
        self._in_flight.pop(task, None)
        if not task.cancelled():
            self._done.append(task.result())
        self._start_more()
        if self._wake is not None:
            self._wake.set()

    async def run(
        self,
        *,
        follow: bool = False,
        once: bool = False,
        until: Callable[[], bool] | None = None,
    ) -> None:
        """Send due deliveries until stopped: with ``follow``, fan out new events too; with
        ``once``, return when nothing is due, held or unrecorded (later retries are left
        waiting); ``until``: return as soon as it says so."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        opts = self.options
        last_fan_out = 0.0
        async with make_client(opts) as client:
            self._sender = Sender(opts, client)
            try:
                while not self._stop.is_set() and not (until is not None and until()):
                    self._wake.clear()
                    if follow and time.monotonic() - last_fan_out >= FOLLOW_EVERY:
                        last_fan_out = time.monotonic()
                        await self._guarded(asyncio.to_thread(fan_out, self.db))
                    outcomes, self._done = self._done, []
                    free = opts.concurrency * HOLD - len(self._queue) - len(self._in_flight)
                    claimed = await self._guarded(
                        asyncio.to_thread(self._settle_and_claim, outcomes, self._room(), free)
                    )
                    if claimed is None:  # not recorded: kept for the next round
                        self._done[:0] = outcomes
                        continue
                    self.sent += len(outcomes)
                    self._queue.extend(claimed)
                    self._start_more()
                    idle = not (self._queue or self._in_flight or self._done)
                    if once and idle and not claimed:
                        return
                    if not claimed and not self._done:
                        await self._wait()
            finally:
                await self._shut_down()

    async def _shut_down(self) -> None:
        """Record what was sent; the rest is sent again once its lease runs out."""
        self._queue.clear()
        self._sender = None  # no new sends from the callbacks of the cancelled ones
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.sleep(0)  # let the cancellations run their callbacks
        outcomes, self._done = self._done, []
        if outcomes:
            await self._guarded(
                asyncio.to_thread(record, self.db, outcomes, self.token, self.options.policy)
            )
            self.sent += len(outcomes)
        self._in_flight.clear()
        self._loop = None

    async def _guarded(self, work: Any) -> Any:
        """The database work of a round, or None when it failed (logged; the next round tries
        again, and unrecorded deliveries are sent again once their lease runs out)."""
        try:
            return await work
        except Exception:
            log.exception("webhook dispatch round failed")
            await asyncio.sleep(self.options.poll)
            return None

    async def _wait(self) -> None:
        """Until a send finishes, a nudge, or the poll interval."""
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self.options.poll)
