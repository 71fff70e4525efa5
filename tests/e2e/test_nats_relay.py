"""The outbox published to the real NATS JetStream server by a real `onhand serve` process and
by the `onhand events relay` worker, on SQLite and PostgreSQL: events posted over HTTP arrive on
the stream in sequence order with their ids, durable consumers each get every event (or what
their subject filter picks), and a broker that is away delays publishing but breaks no posting;
the relay catches up when the broker is back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx

from onhand.services import events
from onhand.store import events as outbox
from onhand.store.unit_of_work import Database
from tests.conftest import Org, Server, make_org, start_server
from tests.nats_helpers import Gate, Stream, wait_until


def api(server: Server, org: Org) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=org.headers, timeout=60)


def stock_up(http: httpx.Client) -> None:
    assert http.post("/locations", json={"code": "WH1"}).status_code == 201
    assert http.post("/items", json={"sku": "BOLT", "name": "Bolt"}).status_code == 201


def receive(http: httpx.Client, quantity: str) -> None:
    body = {"sku": "BOLT", "from": "@supplier", "to": "WH1", "quantity": quantity}
    r = http.post("/movements", json=body)
    assert r.status_code == 201, r.text


def listed(http: httpx.Client) -> list[dict[str, Any]]:
    r = http.get("/events", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def slug_of(db: Database, org: Org) -> str:
    with db.reading() as uow:
        return outbox.org_slugs(uow.conn, [org.org_id])[org.org_id]


@contextmanager
def nobody_listens() -> Iterator[str]:
    """A nats:// URL of a local port that refuses connections (bound, not listening, so
    nothing else takes it meanwhile)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"nats://127.0.0.1:{s.getsockname()[1]}"


def server_log(server: Server) -> str:
    """What the stopped server wrote to stderr, which must hold no traceback."""
    assert server.process.poll() is not None
    assert server.process.stderr is not None
    logged = server.process.stderr.read().decode(errors="replace")
    assert "Traceback" not in logged, logged[-4000:]
    return logged


def test_events_posted_over_http_arrive_on_the_stream_in_order_for_every_consumer(
    db: Database, database_url: str, nats_stream: Stream
) -> None:
    shop, other = make_org(db), make_org(db)
    server = start_server(database_url, extra_env=nats_stream.env())
    try:
        with api(server, shop) as http, api(server, other) as elsewhere:
            stock_up(http)
            stock_up(elsewhere)
            for q in ("1", "2", "3"):
                receive(http, q)
            receive(elsewhere, "9")
            assert http.post("/suppliers", json={"code": "ACME", "name": "Acme"}).is_success
            po = {"supplier": "ACME", "receive_to": "WH1", "lines": [{"sku": "BOLT", "quantity": "5"}]}  # fmt: skip
            assert http.post("/purchase-orders", json=po).status_code == 201
            receive(http, "4")
            ours, theirs = listed(http), listed(elsewhere)
        every = sorted([*ours, *theirs], key=lambda e: e["sequence"])
        wait_until(lambda: len(nats_stream.messages()) >= len(every), "the events on the stream")
    finally:
        server.stop()
    assert "publishing events to NATS" not in server_log(server)  # the broker was there all along

    assert [e["type"] for e in ours] == [*["stock.moved"] * 3, "po.created", "stock.moved"]
    got = nats_stream.messages()
    assert [m.event["id"] for m in got] == [e["id"] for e in every]
    assert [m.headers["Nats-Msg-Id"] for m in got] == [str(e["id"]) for e in every]
    for message, event in zip(got, every, strict=True):
        sent = dict(message.event)
        assert datetime.fromisoformat(sent.pop("occurred_at")) == datetime.fromisoformat(
            event["occurred_at"].replace("Z", "+00:00")
        )
        assert sent == {k: v for k, v in event.items() if k != "occurred_at"}
    slug, other_slug = slug_of(db, shop), slug_of(db, other)
    assert got[0].subject == f"{nats_stream.subject}.{slug}.stock.moved"
    assert {m.subject for m in got if m.event["type"] == "po.created"} == {
        f"{nats_stream.subject}.{slug}.po.created"
    }
    assert {m.subject for m in got if m.event["id"] == theirs[0]["id"]} == {
        f"{nats_stream.subject}.{other_slug}.stock.moved"
    }

    # Durable pull consumers: each gets every event; a filter by org and type picks its share.
    ids = [e["id"] for e in every]
    assert [m.event["id"] for m in nats_stream.consume("billing")] == ids
    assert [m.event["id"] for m in nats_stream.consume("search")] == ids
    assert nats_stream.consume("billing") == []  # acknowledged: not delivered again
    picked = nats_stream.consume("shop-stock", f"{nats_stream.subject}.{slug}.stock.>")
    assert [m.event["id"] for m in picked] == [e["id"] for e in ours if e["type"] == "stock.moved"]


def test_a_broker_outage_breaks_no_posting_and_publishing_catches_up(
    db: Database, database_url: str, nats_stream: Stream
) -> None:
    shop = make_org(db)
    gate = Gate(nats_stream.url)  # closed: nothing listens on its port yet
    server = start_server(database_url, extra_env=nats_stream.env(gate.url))
    try:
        with api(server, shop) as http:
            stock_up(http)
            for q in ("1", "2", "3"):
                receive(http, q)  # 201 each, broker or not
            assert len(listed(http)) == 3
            assert nats_stream.messages() == []  # the relay cannot reach the broker

            gate.open()  # the broker is back
            wait_until(lambda: len(nats_stream.messages()) == 3, "the relay to catch up")

            gate.close()  # away again, while the relay is connected
            for q in ("4", "5"):
                receive(http, q)
            assert len(listed(http)) == 5
            gate.open()
            wait_until(lambda: len(nats_stream.messages()) >= 5, "the relay to catch up again")
            every = listed(http)
    finally:
        gate.close()
        server.stop()
    logged = server_log(server)
    got = nats_stream.messages()
    assert [m.event["id"] for m in got] == [e["id"] for e in every]  # each once, in order
    assert "publishing events to NATS at" in logged  # the outage was logged (once, no traceback)


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onhand.cli", "events", "relay", *args],
        env=os.environ | {"ONHAND_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def emit(db: Database, org: Org, n: int) -> None:
    for i in range(n):
        db.write(lambda uow, i=i: events.emit(uow, org.actor, "stock.moved", "posting", i, {}))


def test_the_relay_worker_publishes_and_stops_on_sigterm(
    db: Database, database_url: str, nats_stream: Stream
) -> None:
    org = make_org(db)
    emit(db, org, 3)
    where = ["--url", nats_stream.url, "--stream", nats_stream.name, "--subject", nats_stream.subject]  # fmt: skip
    once = run_cli(database_url, *where, "--once")
    assert once.returncode == 0, once.stderr
    assert f"3 event(s) published to the stream {nats_stream.name}" in once.stdout

    with nobody_listens() as dead:
        secret = dead.replace("nats://", "nats://onhand:s3cret-pw@")
        refused = run_cli(database_url, "--url", secret, "--stream", nats_stream.name, "--once")
    assert refused.returncode == 1
    shown = dead.replace("nats://", "nats://onhand:***@")
    assert f"cannot publish to NATS at {shown}" in refused.stderr
    assert "s3cret-pw" not in refused.stderr + refused.stdout  # a password is never shown
    assert "Traceback" not in refused.stderr
    bad = run_cli(database_url, "--url", nats_stream.url, "--stream", "a.b", "--once")
    assert bad.returncode == 2
    assert "stream name 'a.b' must be" in bad.stderr

    # As a worker of its own: publishes what comes, until SIGTERM.
    worker = subprocess.Popen(
        [sys.executable, "-m", "onhand.cli", "events", "relay", *where],
        env=os.environ | {"ONHAND_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        emit(db, org, 2)
        wait_until(lambda: len(nats_stream.messages()) == 5, "the worker to publish")
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "relay stopped" in out
    ids = [m.event["id"] for m in nats_stream.messages()]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
