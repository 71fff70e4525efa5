"""The outbox relay to NATS JetStream, in this process, against the real broker, on SQLite and
PostgreSQL: each event once, in sequence order, with its id as Nats-Msg-Id; a relay that died
mid-batch, or after the broker acknowledged but before its cursor moved, adds no duplicate
when it runs again; two relays at once publish each event once; on PostgreSQL one process
publishes at a time."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import pytest

from onhand.services import events
from onhand.services.nats_relay import NatsRelay, RelayConfig
from onhand.store import events as outbox
from onhand.store.unit_of_work import Database
from tests.async_run import run_async
from tests.conftest import Org, make_org
from tests.nats_helpers import Stream, wait_until


def emit(db: Database, org: Org, n: int, type_: str = "stock.moved") -> list[int]:
    """n events of this organisation, each in a transaction of its own; their ids."""

    def one(i: int) -> None:
        db.write(lambda uow: events.emit(uow, org.actor, type_, "posting", i, {"n": i}))

    for i in range(n):
        one(i)
    events.sequence(db)
    with db.reading() as uow:
        rows = outbox.events_after(uow.conn, after=0, limit=10_000, org_id=org.org_id)
    return [int(r.id) for r in rows][-n:]


def cursor(db: Database, config: RelayConfig) -> int:
    with db.reading() as uow:
        return outbox.cursor(uow.conn, config.cursor)


def slug(db: Database, org: Org) -> str:
    with db.reading() as uow:
        return outbox.org_slugs(uow.conn, [org.org_id])[org.org_id]


def publish_once(db: Database, config: RelayConfig) -> int:
    return run_async(NatsRelay(db, config).publish_once())


def test_each_event_is_published_once_in_order_with_its_id(
    db: Database, org: Org, nats_stream: Stream
) -> None:
    other = make_org(db)
    moved = emit(db, org, 3)
    held = emit(db, org, 1, "lot.on_hold")
    elsewhere = emit(db, other, 2)
    config = nats_stream.config()

    assert publish_once(db, config) == 6
    got = nats_stream.messages()
    assert [m.event["id"] for m in got] == [*moved, *held, *elsewhere]
    seqs = [m.event["sequence"] for m in got]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 6
    assert [m.headers["Nats-Msg-Id"] for m in got] == [str(m.event["id"]) for m in got]
    assert [m.headers["Onhand-Sequence"] for m in got] == [str(s) for s in seqs]
    mine, theirs = slug(db, org), slug(db, other)
    assert [m.subject for m in got] == [
        *[f"{nats_stream.subject}.{mine}.stock.moved"] * 3,
        f"{nats_stream.subject}.{mine}.lot.on_hold",
        *[f"{nats_stream.subject}.{theirs}.stock.moved"] * 2,
    ]
    # The payload is the envelope the API lists.
    listed = events.list_events(db, org.actor)["events"]
    first: dict[str, Any] = dict(listed[0])
    when = first["occurred_at"].isoformat().replace("+00:00", "Z")
    assert got[0].event == first | {"occurred_at": when}
    assert cursor(db, config) == seqs[-1]

    # Nothing new: nothing published; new events follow the old ones.
    assert publish_once(db, config) == 0
    later = emit(db, org, 2)
    assert publish_once(db, config) == 2
    assert [m.event["id"] for m in nats_stream.messages()] == [
        *moved,
        *held,
        *elsewhere,
        *later,
    ]


class FailingAfter:
    """A JetStream context whose publishes fail after ``n`` went through (the broker went
    away mid-batch, or the relay died there)."""

    def __init__(self, js: Any, n: int) -> None:
        self._js, self._left = js, n

    async def publish(self, *args: Any, **kwargs: Any) -> Any:
        if self._left == 0:
            raise ConnectionResetError("the connection to the broker broke")
        self._left -= 1
        return await self._js.publish(*args, **kwargs)


def test_a_relay_run_again_after_a_crash_mid_batch_adds_no_duplicate(
    db: Database, org: Org, nats_stream: Stream
) -> None:
    ids = emit(db, org, 10)
    config = nats_stream.config()
    relay = NatsRelay(db, config)

    async def crash_after_four() -> None:
        nc, js = await relay.connect()
        try:
            await relay.publish_pending(FailingAfter(js, 4))  # type: ignore[arg-type]
        finally:
            await nc.close()

    with pytest.raises(ConnectionResetError):
        run_async(crash_after_four())
    published = nats_stream.messages()
    assert [m.event["id"] for m in published] == ids[:4]
    # What the broker acknowledged is kept: the cursor stands on the fourth event.
    assert cursor(db, config) == published[-1].event["sequence"]

    # A crash after the broker acknowledged, before the cursor moved: the cursor is behind
    # what the stream holds. Publishing again sends those events again; the broker drops them.
    db.write(lambda uow: outbox.save_cursor(uow.conn, config.cursor, 0))
    assert publish_once(db, config) == 10
    got = nats_stream.messages()
    assert [m.event["id"] for m in got] == ids
    assert [m.seq for m in got] == list(range(1, 11))  # the stream stored each event once
    assert cursor(db, config) == got[-1].event["sequence"]


def test_two_relays_at_once_publish_each_event_once(
    db: Database, org: Org, nats_stream: Stream
) -> None:
    ids = emit(db, org, 40)
    config = nats_stream.config(batch=7)

    async def both() -> list[int]:
        a, b = NatsRelay(db, config), NatsRelay(db, config)
        return list(await asyncio.gather(a.publish_once(), b.publish_once()))

    counts = run_async(both())
    assert sum(counts) >= 40  # on SQLite both may have sent a batch; never fewer than all
    got = nats_stream.messages()
    assert [m.event["id"] for m in got] == ids
    assert cursor(db, config) == got[-1].event["sequence"]


@pytest.mark.postgres
def test_on_postgresql_one_process_publishes_at_a_time(
    pg_db: Database, nats_stream: Stream
) -> None:
    db = pg_db
    org = make_org(db)
    ids = emit(db, org, 3)
    config = nats_stream.config()
    with outbox.follower_lock(db.engine, config.cursor) as ours:
        assert ours
        # Another process holds the relay's lock: this one leaves the batch to it.
        assert publish_once(db, config) == 0
        assert nats_stream.messages() == []
        with outbox.follower_lock(db.engine, config.cursor) as again:
            assert not again
    assert publish_once(db, config) == 3
    assert [m.event["id"] for m in nats_stream.messages()] == ids


def test_a_wrong_setting_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="stream name"):
        RelayConfig(url="nats://127.0.0.1:4222", stream="ONHAND.EVENTS")
    with pytest.raises(ValueError, match="subject prefix"):
        RelayConfig(url="nats://127.0.0.1:4222", subject="onhand.*")
    with pytest.raises(ValueError, match="duplicate window"):
        RelayConfig(url="nats://127.0.0.1:4222", duplicate_window=0)
    config = RelayConfig(url="nats://127.0.0.1:4222")
    assert config.subject_of("acme", "stock.moved") == "onhand.events.acme.stock.moved"
    assert (config.subjects, config.cursor) == ("onhand.events.>", "nats:ONHAND_EVENTS")
    for url, shown in [
        ("nats://u:pw@h:4222", "nats://u:***@h:4222"),
        ("nats://tok3n@h:4222,nats://u:p@w@g", "nats://***@h:4222,nats://u:***@g"),
        ("tls://h:4222", "tls://h:4222"),
    ]:
        assert RelayConfig(url=url).shown_url == shown


def test_a_password_in_the_nats_url_is_never_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:  # bound, not listening: the broker is away
        s.bind(("127.0.0.1", 0))
        url = f"nats://onhand:s3cret-pw@127.0.0.1:{s.getsockname()[1]}"
        relay = NatsRelay(db, RelayConfig(url=url), interval=0.05)
        with caplog.at_level(logging.DEBUG):
            relay.start()
            try:
                wait_until(
                    lambda: any("still fails" in r.getMessage() for r in caplog.records),
                    "the outage logged, and the next failure",
                )
            finally:
                relay.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"nats://onhand:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in logged
    assert "s3cret-pw" not in logged
