"""Webhooks in one process, on SQLite and PostgreSQL: the fan-out makes each delivery exactly
once (after the subscription was made, of its types, of its organisation), claims never hand
one delivery to two dispatchers, a dispatcher that died leaves its deliveries to another once
the lease has run out, and a late outcome never overwrites a newer one."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from onhand.domain.access import Actor, Role
from onhand.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from onhand.domain.webhooks import RetryPolicy
from onhand.services import events, webhook_dispatch, webhooks
from onhand.services.common import utcnow
from onhand.services.webhook_dispatch import DeliveryOptions, Dispatcher, fan_out
from onhand.store import tables
from onhand.store import webhooks as store
from onhand.store.unit_of_work import Database
from tests.async_run import run_async
from tests.conftest import Org, make_org
from tests.nats_helpers import wait_until
from tests.webhook_receiver import Receiver, start_receiver

FAST = DeliveryOptions(policy=RetryPolicy(base=0.05, max_attempts=3), allow_private=True, poll=0.1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.close()


def emit(db: Database, org: Org, type_: str, n: int = 1) -> None:
    """``n`` events of this type in one transaction."""

    def work(uow: Any) -> None:
        for i in range(n):
            events.emit(uow, org.actor, type_, "posting", i, {"n": i})

    db.write(work)


def subscribe(db: Database, org: Org, url: str, types: list[str] | None = None) -> dict[str, Any]:
    return webhooks.create_webhook(
        db, org.actor, webhooks.WebhookCreate(url=url, event_types=types or []), allow_private=True
    )


def deliveries(db: Database, sub_id: int) -> list[Any]:
    d = tables.webhook_deliveries
    with db.reading() as uow:
        return list(
            uow.conn.execute(select(d).where(d.c.subscription_id == sub_id).order_by(d.c.id))
        )


def test_fan_out_makes_each_delivery_once_for_later_matching_events_of_its_org(
    db: Database, org: Org
) -> None:
    other = make_org(db)
    emit(db, org, "stock.moved")  # before any subscription: never delivered
    every = subscribe(db, org, "https://hooks.example.com/all")
    po_only = subscribe(db, org, "https://hooks.example.com/po", ["po.*"])
    theirs = subscribe(db, other, "https://hooks.example.com/theirs")
    emit(db, org, "stock.moved", 2)
    emit(db, org, "po.created")
    emit(db, other, "po.created")
    fan_out(db)
    fan_out(db)  # nothing new: nothing made twice
    assert [d.event_type for d in deliveries(db, every["id"])] == ["stock.moved"] * 2 + [
        "po.created"
    ]
    assert [d.event_type for d in deliveries(db, po_only["id"])] == ["po.created"]
    assert [d.event_type for d in deliveries(db, theirs["id"])] == ["po.created"]
    mine = {d.event_id for d in deliveries(db, every["id"])}
    assert not mine & {d.event_id for d in deliveries(db, theirs["id"])}
    assert all(d.status == "pending" and d.attempts == 0 for d in deliveries(db, every["id"]))
    # Paused: events meanwhile are not delivered.
    webhooks.update_webhook(db, org.actor, every["id"], {"active": False})
    emit(db, org, "stock.moved")
    fan_out(db)
    assert len(deliveries(db, every["id"])) == 3


def test_a_ping_goes_to_its_subscription_only_whatever_its_types(db: Database, org: Org) -> None:
    pinged = subscribe(db, org, "https://hooks.example.com/a", ["lot.*"])
    left = subscribe(db, org, "https://hooks.example.com/b")
    done = webhooks.ping(db, org.actor, pinged["id"])
    fan_out(db)
    assert [d.event_id for d in deliveries(db, pinged["id"])] == [done["event_id"]]
    assert deliveries(db, left["id"]) == []
    webhooks.update_webhook(db, org.actor, left["id"], {"active": False})
    with pytest.raises(Conflict) as info:
        webhooks.ping(db, org.actor, left["id"])
    assert info.value.code == "webhook_paused"


def test_refusals_name_the_problem(db: Database, org: Org) -> None:
    create = webhooks.create_webhook
    cases = [
        ("ftp://example.com/x", [], "invalid_webhook_url"),
        ("https://user:pw@example.com/x", [], "invalid_webhook_url"),
        ("https://example.com:99999/x", [], "invalid_webhook_url"),
        ("https:///x", [], "invalid_webhook_url"),
        ("https://example.com/x#frag", [], "invalid_webhook_url"),
        ("http://127.0.0.1:9/x", [], "webhook_url_not_allowed"),
        ("http://localhost/x", [], "webhook_url_not_allowed"),
        ("http://[::1]/x", [], "webhook_url_not_allowed"),
        ("http://169.254.169.254/latest", [], "webhook_url_not_allowed"),
        ("https://example.com/x", ["stock.exploded"], "unknown_event_type"),
    ]
    for url, types, code in cases:
        with pytest.raises(InvalidInput) as info:
            create(db, org.actor, webhooks.WebhookCreate(url=url, event_types=types))
        assert info.value.code == code, url
    assert webhooks.list_webhooks(db, org.actor) == []
    with pytest.raises(NotFound):
        webhooks.get_webhook(db, org.actor, 999_999)
    as_manager = Actor(
        user_id=org.actor.user_id, org_id=org.org_id, username="m", role=Role.MANAGER
    )
    with pytest.raises(Forbidden):
        webhooks.list_webhooks(db, as_manager)


def claim(
    db: Database,
    token: str,
    *,
    per_subscription: dict[int, int] | None = None,
    default_per_subscription: int = 1000,
    limit: int = 1000,
) -> list[Any]:
    now = utcnow()
    return db.write(
        lambda uow: store.claim_due(
            uow.conn,
            now=now,
            until=now + timedelta(minutes=5),
            token=token,
            per_subscription=per_subscription or {},
            default_per_subscription=default_per_subscription,
            limit=limit,
        )
    )


def test_claims_split_due_deliveries_between_dispatchers(db: Database, org: Org) -> None:
    sub = subscribe(db, org, "https://hooks.example.com/a")
    emit(db, org, "stock.moved", 40)
    fan_out(db)
    got: dict[str, list[int]] = {}
    start = threading.Barrier(2)

    def run(token: str) -> None:
        start.wait()
        got[token] = [r.delivery_id for r in claim(db, token, limit=25)]

    threads = [threading.Thread(target=run, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(got["a"]) & set(got["b"])
    assert len(got["a"]) + len(got["b"]) == 40
    assert claim(db, "c") == []  # all held
    claimed = {d.claim for d in deliveries(db, sub["id"])}
    assert claimed == {"a", "b"}


def test_a_claim_takes_a_few_of_each_subscription_before_more_of_one(
    db: Database, org: Org
) -> None:
    busy = subscribe(db, org, "https://hooks.example.com/busy")
    quiet = subscribe(db, org, "https://hooks.example.com/quiet", ["po.*"])
    emit(db, org, "stock.moved", 30)
    emit(db, org, "po.created", 2)
    fan_out(db)
    got = claim(db, "x", default_per_subscription=4, limit=6)
    by_sub = [r.subscription_id for r in got]
    assert by_sub.count(quiet["id"]) == 2  # not crowded out by the busy one's backlog
    assert by_sub.count(busy["id"]) == 4
    # Room already taken in this process counts against the subscription.
    more = claim(db, "y", per_subscription={busy["id"]: 0}, default_per_subscription=4)
    assert more == []


def test_a_dead_dispatchers_claim_runs_out_and_its_late_outcome_is_dropped(
    db: Database, org: Org, receiver: Receiver
) -> None:
    path = "/ok/lease"
    sub = subscribe(db, org, receiver.url(path))
    receiver.accept(path, sub["secret"])
    emit(db, org, "stock.moved")
    fan_out(db)
    [held] = claim(db, "dead-one")
    d = tables.webhook_deliveries
    with db.writing() as uow:  # its lease runs out
        uow.conn.execute(update(d).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    run_async(Dispatcher(db, FAST).run(once=True))
    [row] = deliveries(db, sub["id"])
    assert row.status == "delivered"
    assert [a.event_id for a in receiver.of(path)] == [held.id]
    # The dead dispatcher's outcome arrives after all: the delivery stays delivered.
    late = webhook_dispatch.Outcome(held, utcnow(), 5, None, "no answer within 5 s")
    webhook_dispatch.record(db, [late], "dead-one", FAST.policy)
    [row] = deliveries(db, sub["id"])
    assert row.status == "delivered"
    assert row.attempts == 1


def test_a_failing_endpoint_is_retried_then_given_up_and_retried_by_hand(
    db: Database, org: Org, receiver: Receiver
) -> None:
    path = "/fail/x"
    sub = subscribe(db, org, receiver.url(path))
    receiver.accept(path, sub["secret"])
    emit(db, org, "stock.moved")
    dispatcher = Dispatcher(db, FAST)

    def dead() -> bool:
        return [r.status for r in deliveries(db, sub["id"])] == ["dead"]

    run_async(dispatcher.run(follow=True, until=dead))
    [row] = deliveries(db, sub["id"])
    assert row.attempts == 3
    assert row.last_status == 500
    assert "500" in (row.last_error or "")
    detail = webhooks.get_delivery(db, org.actor, sub["id"], row.id)
    assert [(a["attempt"], a["http_status"]) for a in detail["attempt_log"]] == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]
    assert len(receiver.of(path)) == 3
    assert all(a.signature_ok for a in receiver.of(path))
    again = webhooks.retry_delivery(db, org.actor, sub["id"], row.id)
    assert again["status"] == "retrying"
    run_async(dispatcher.run(once=True))
    [row] = deliveries(db, sub["id"])
    assert (row.status, row.attempts) == ("dead", 4)  # one more attempt, failed again
    with db.reading() as uow:
        assert uow.conn.scalar(select(func.count()).select_from(tables.webhook_attempts)) == 4


def test_a_webhook_deleted_while_its_delivery_is_in_flight_stops_no_dispatcher(
    db: Database, org: Org, receiver: Receiver
) -> None:
    gone = subscribe(db, org, "https://hooks.example.com/gone")
    path = "/ok/stays"
    stays = subscribe(db, org, receiver.url(path))
    receiver.accept(path, stays["secret"])
    emit(db, org, "stock.moved")
    fan_out(db)
    [held] = claim(db, "in-flight", per_subscription={stays["id"]: 0})
    assert held.subscription_id == gone["id"]
    webhooks.delete_webhook(db, org.actor, gone["id"])
    # Its attempt ends after the delete: recording it must not fail (a failed record is tried
    # again every round, and nothing else would be recorded or claimed meanwhile).
    sent = webhook_dispatch.Outcome(held, utcnow(), 5, 204, None)
    webhook_dispatch.record(db, [sent], "in-flight", FAST.policy)
    with db.reading() as uow:
        assert uow.conn.scalar(select(func.count()).select_from(tables.webhook_attempts)) == 0
    run_async(Dispatcher(db, FAST).run(once=True))
    assert [d.status for d in deliveries(db, stays["id"])] == ["delivered"]
    assert len(receiver.effects(path)) == 1


def test_a_retried_delivery_says_it_was_tried_and_may_be_retried_again(
    db: Database, org: Org, receiver: Receiver
) -> None:
    path = "/fail/again"
    sub = subscribe(db, org, receiver.url(path))
    receiver.accept(path, sub["secret"])
    emit(db, org, "stock.moved")
    later = DeliveryOptions(policy=RetryPolicy(base=3600), allow_private=True, poll=0.1)
    run_async(Dispatcher(db, later).run(follow=True, once=True))
    [row] = deliveries(db, sub["id"])
    assert (row.status, row.attempts) == ("retrying", 1)
    # Retried by hand: it is not "pending" (made, never tried), and a second click is fine.
    assert webhooks.retry_delivery(db, org.actor, sub["id"], row.id)["status"] == "retrying"
    assert webhooks.retry_delivery(db, org.actor, sub["id"], row.id)["status"] == "retrying"
    # While a dispatcher is sending it, a retry would have it sent twice at once: refused.
    [held] = claim(db, "sending")
    assert held.delivery_id == row.id
    with pytest.raises(Conflict) as info:
        webhooks.retry_delivery(db, org.actor, sub["id"], row.id)
    assert info.value.code == "delivery_in_flight"
    [row] = deliveries(db, sub["id"])
    assert row.claim == "sending"


def test_a_ping_shows_no_url_to_those_who_may_read_events(db: Database, org: Org) -> None:
    """A webhook's URL may hold a token; only admins see webhooks, everyone reads events."""
    url = "https://hooks.example.com/in?token=s3cret-in-url"
    sub = subscribe(db, org, url)
    webhooks.ping(db, org.actor, sub["id"])
    clerk = Actor(user_id=org.actor.user_id, org_id=org.org_id, username="c", role=Role.CLERK)
    [ping] = [e for e in events.list_events(db, clerk)["events"] if e["type"] == "webhook.ping"]
    assert ping["data"]["webhook"] == sub["id"]
    assert "s3cret-in-url" not in repr(ping)


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        # DNS rebinding: a public address to the first look-up, the receiver's to the next.
        (["93.184.216.34"], None),
        # A look-up that failed must not let the connection make one of its own.
        ([None], "could not connect"),
        (["127.0.0.1"], "private or local address"),
    ],
)
def test_a_host_name_is_connected_to_only_at_an_address_that_was_checked(
    db: Database, org: Org, receiver: Receiver, answers: list[str | None], error: str | None
) -> None:
    port = receiver.server.server_address[1]
    path = "/ok/rebound"
    sub = subscribe(db, org, f"http://inside.test:{port}{path}")
    receiver.accept(path, sub["secret"])
    emit(db, org, "stock.moved")
    fan_out(db)
    [held] = claim(db, "rebinding")
    options = DeliveryOptions(timeout=1)  # private addresses refused

    async def attempt() -> webhook_dispatch.Outcome:
        loop = asyncio.get_running_loop()
        real = loop.getaddrinfo
        told = iter(answers)

        async def resolver(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
            # A name server this test plays: answers in turn, then the receiver's address.
            if host in ("inside.test", b"inside.test"):
                answer = next(told, "127.0.0.1")
                if answer is None:
                    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
                return await real(answer, port, *args, **kw)
            return await real(host, port, *args, **kw)

        loop.getaddrinfo = resolver  # type: ignore[method-assign]
        async with webhook_dispatch.make_client(options) as client:
            return await webhook_dispatch.Sender(options, client).send(held)

    outcome = run_async(attempt())
    assert receiver.of(path) == []  # nothing reached the private address
    assert not outcome.ok
    if error:
        assert error in (outcome.error or "")


# --- races on PostgreSQL: one transaction is held open mid-way while another one runs ----------


class Meanwhile:
    """``work`` run in a thread of its own while the caller's transaction stays open: started
    by ``start``, which returns once ``work`` waits for that transaction (or has ended)."""

    def __init__(self, db: Database, work: Callable[[], Any]) -> None:
        self.db, self.work = db, work
        self.outcome: list[Any] = []  # its result, or the exception it raised
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            self.outcome.append(self.work())
        except Exception as exc:  # handed to the test
            self.outcome.append(exc)

    def start(self, conn: Any) -> None:
        me = conn.scalar(text("SELECT pg_backend_pid()"))
        self.thread.start()

        def waiting_for_us() -> bool:
            with self.db.reading() as uow:
                blocked = uow.conn.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))"),
                    {"me": me},
                )  # fmt: skip
            return bool(blocked) or not self.thread.is_alive()

        wait_until(waiting_for_us, "the other transaction to wait for this one")

    def result(self) -> Any:
        self.thread.join()
        [got] = self.outcome
        return got


@pytest.mark.postgres
def test_two_fan_outs_at_once_leave_the_cursor_where_both_were(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes fan out at the same moment (two servers, or a server and `onhand webhooks
    deliver`): the second must not move the cursor back over deliveries it did not make, or
    the next fan-out makes them again and fails on the unique key, every time."""
    db = pg_db
    org = make_org(db)
    sub = subscribe(db, org, "https://hooks.example.com/po", ["po.*"])
    emit(db, org, "stock.moved", 3)  # matches nothing
    real = webhook_dispatch._fan_out_rows
    other = Meanwhile(db, lambda: fan_out(db))

    def first(uow: Any, rows: list[Any]) -> None:
        if not other.thread.is_alive() and not other.outcome:
            emit(db, org, "po.created", 2)  # which the other fan-out sees, this one not
            other.start(uow.conn)
        real(uow, rows)

    monkeypatch.setattr(webhook_dispatch, "_fan_out_rows", first)
    fan_out(db)
    monkeypatch.undo()
    other.result()
    fan_out(db)
    fan_out(db)
    assert [d.event_type for d in deliveries(db, sub["id"])] == ["po.created"] * 2


@pytest.mark.postgres
def test_a_webhook_deleted_while_the_fan_out_makes_its_deliveries_goes_with_them(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = pg_db
    org = make_org(db)
    sub = subscribe(db, org, "https://hooks.example.com/a")
    emit(db, org, "stock.moved")
    real = webhook_dispatch._fan_out_rows
    deleting = Meanwhile(db, lambda: webhooks.delete_webhook(db, org.actor, sub["id"]))

    def fan_out_rows(uow: Any, rows: list[Any]) -> None:
        real(uow, rows)  # its deliveries are written, not yet committed
        deleting.start(uow.conn)

    monkeypatch.setattr(webhook_dispatch, "_fan_out_rows", fan_out_rows)
    fan_out(db)
    assert deleting.result() is None  # not an IntegrityError
    assert webhooks.list_webhooks(db, org.actor) == []
    assert deliveries(db, sub["id"]) == []


@pytest.mark.postgres
def test_a_fan_out_while_a_webhook_is_deleted_makes_nothing_for_it(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = pg_db
    org = make_org(db)
    sub = subscribe(db, org, "https://hooks.example.com/a")
    emit(db, org, "stock.moved")
    real = store.delete_subscription
    fanning = Meanwhile(db, lambda: fan_out(db))

    def delete_subscription(conn: Any, org_id: int, sub_id: int) -> None:
        real(conn, org_id, sub_id)  # deleted, not yet committed
        fanning.start(conn)

    monkeypatch.setattr(store, "delete_subscription", delete_subscription)
    webhooks.delete_webhook(db, org.actor, sub["id"])
    assert fanning.result() == 1  # the event read, no IntegrityError
    assert deliveries(db, sub["id"]) == []


@pytest.mark.postgres
def test_a_webhook_deleted_while_an_attempt_is_recorded_goes_with_its_log(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = pg_db
    org = make_org(db)
    sub = subscribe(db, org, "https://hooks.example.com/a")
    emit(db, org, "stock.moved")
    fan_out(db)
    [held] = claim(db, "recording")
    real = store.record_outcomes
    deleting = Meanwhile(db, lambda: webhooks.delete_webhook(db, org.actor, sub["id"]))

    def record_outcomes(conn: Any, token: str, outcomes: Any) -> None:
        real(conn, token, outcomes)  # the delivery is updated, its attempt not yet logged
        deleting.start(conn)

    monkeypatch.setattr(store, "record_outcomes", record_outcomes)
    sent = webhook_dispatch.Outcome(held, utcnow(), 5, 204, None)
    webhook_dispatch.record(db, [sent], "recording", FAST.policy)
    assert deleting.result() is None  # not an IntegrityError
    assert webhooks.list_webhooks(db, org.actor) == []
    with db.reading() as uow:
        assert uow.conn.scalar(select(func.count()).select_from(tables.webhook_attempts)) == 0


@pytest.mark.postgres
def test_two_webhooks_created_at_once_at_the_limit_leave_one_refused(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = pg_db
    org = make_org(db)
    for n in range(webhooks.MAX_SUBSCRIPTIONS - 1):
        subscribe(db, org, f"https://hooks.example.com/{n}")
    real = store.insert_subscription
    other = Meanwhile(db, lambda: subscribe(db, org, "https://hooks.example.com/second"))

    def insert_subscription(conn: Any, values: dict[str, Any]) -> int:
        if not other.thread.is_alive() and not other.outcome:
            other.start(conn)  # it counts while this one, counted, is not yet committed
        return real(conn, values)

    monkeypatch.setattr(store, "insert_subscription", insert_subscription)
    subscribe(db, org, "https://hooks.example.com/first")
    refused = other.result()
    assert isinstance(refused, Conflict)
    assert refused.code == "too_many_webhooks"
    assert len(webhooks.list_webhooks(db, org.actor)) == webhooks.MAX_SUBSCRIPTIONS
