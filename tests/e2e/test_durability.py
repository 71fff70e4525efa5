"""SIGKILL in the middle of a load of postings loses no acknowledged posting and leaves no half
posting: after a restart `onhand verify` passes and retried requests post exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from onhand.services import items, locations, postings
from onhand.services.verify import verify
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org, start_server

CLIENTS = 4
ACKED_BEFORE_KILL = 60  # the kill comes once this many postings were acknowledged...
LOAD_SECONDS = 4.0  # ...or after this long, whichever is first
MAX_PER_CLIENT = 500


@dataclass
class Target:
    """A database to load and kill a server on, and the environment its server gets."""

    url: str
    env: dict[str, str]
    synchronous: str


@pytest.fixture(
    params=[
        pytest.param(("sqlite", "FULL"), id="sqlite-synchronous-full"),
        pytest.param(("sqlite", "NORMAL"), id="sqlite-synchronous-normal"),
        pytest.param(("postgres", "FULL"), id="postgres", marks=pytest.mark.postgres),
    ]
)
def target(request: pytest.FixtureRequest) -> Target:
    backend, synchronous = request.param
    url = str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_schema_url"))
    return Target(url=url, env={"ONHAND_SQLITE_SYNCHRONOUS": synchronous}, synchronous=synchronous)


@pytest.fixture
def opened(target: Target) -> Iterator[tuple[Database, Org]]:
    """The target database, migrated, with an organisation, items and opening stock."""
    db = Database(make_engine(target.url, sqlite_synchronous=target.synchronous, pool_size=2))
    upgrade(db.engine)
    org = make_org(db)
    items.create_items(
        db,
        org.actor,
        [
            items.ItemCreate(sku="A", name="Item A"),
            items.ItemCreate(sku="B", name="Item B"),
            items.ItemCreate(sku="L", name="Item L", tracking="lot"),
        ],
    )
    for code in ("WH1", "WH2"):
        locations.create_location(db, org.actor, code=code)
    opening = postings.MovementInput(
        sku="B", from_location="@supplier", to_location="WH1", quantity=Decimal(100_000)
    )
    postings.post_movements(db, org.actor, [opening], idempotency_key="opening")
    yield db, org
    db.dispose()


def posting_body(client: int, n: int) -> dict[str, Any]:
    """A posting of 1 to 4 lines over three items, two warehouses and several lots."""
    lines = [
        {"sku": "A", "from": "@supplier", "to": "WH1", "quantity": "2"},
        {"sku": "B", "from": "WH1", "to": "@customer", "quantity": "1"},
        {"sku": "L", "from": "@supplier", "to": "WH2", "quantity": "1", "lot": f"LOT-{n % 5}"},
        {"sku": "A", "from": "WH1", "to": "WH2", "quantity": "1"},
    ][: 1 + (client + n) % 4]
    return {"idempotency_key": f"c{client}-{n}", "movements": lines}


@dataclass
class Load:
    """What the clients sent, what the server acknowledged, and what was cut off."""

    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)
    cut_off: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, url: str, headers: dict[str, str], number: int, stop: threading.Event) -> None:
        with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as http:
            for n in range(MAX_PER_CLIENT):
                if stop.is_set():
                    return
                body = posting_body(number, n)
                key = body["idempotency_key"]
                with self.lock:
                    self.sent[key] = body
                try:
                    r = http.post("/postings", json=body)
                except httpx.TransportError:
                    with self.lock:
                        self.cut_off.add(key)
                    return
                with self.lock:
                    if r.status_code == 201:
                        self.acked[key] = r.json()
                    else:
                        self.unexpected.append(f"{r.status_code} {r.text[:300]}")


def descendants(pid: int) -> set[int]:
    """Every process below pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def port_is_closed(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as s:
        return s.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) != 0


def stored_postings(db: Database, org: Org) -> dict[str, tuple[int, int, list[int]]]:
    """idempotency key -> (posting id, movement_count recorded, ids of the stored movements)."""
    p, m = tables.postings, tables.movements
    with db.reading() as uow:
        heads = uow.conn.execute(
            select(p.c.id, p.c.idempotency_key, p.c.movement_count).where(p.c.org_id == org.org_id)
        ).all()
        rows = uow.conn.execute(
            select(m.c.posting_id, m.c.id).where(m.c.org_id == org.org_id).order_by(m.c.id)
        ).all()
    by_posting: dict[int, list[int]] = {}
    for posting_id, movement_id in rows:
        by_posting.setdefault(posting_id, []).append(movement_id)
    return {key: (pid, count, by_posting.get(pid, [])) for pid, key, count in heads}


def run_cli_verify(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onhand.cli", "verify"],
        env=os.environ | {"ONHAND_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sigkill_during_a_load_of_postings_loses_no_acknowledged_posting_and_leaves_no_half(
    target: Target, opened: tuple[Database, Org]
) -> None:
    db, org = opened
    server = start_server(target.url, extra_env=target.env)
    pid = server.process.pid
    try:
        # `onhand serve` with one worker runs uvicorn in its own process: it holds every
        # database connection, and there is nothing below it that could survive it.
        assert descendants(pid) == set()
        load, stop = Load(), threading.Event()
        clients = [
            threading.Thread(target=load.client, args=(server.url, org.headers, i, stop))
            for i in range(CLIENTS)
        ]
        for c in clients:
            c.start()
        deadline = time.monotonic() + LOAD_SECONDS
        while len(load.acked) < ACKED_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        stop.set()
        for c in clients:
            c.join(60)
        assert server.process.wait(10) == -signal.SIGKILL
    finally:
        server.stop()
    assert not alive(pid)
    assert port_is_closed(server.url)
    assert load.unexpected == []
    assert len(load.acked) >= 10, "the load did not get going before the kill"
    assert load.cut_off, "the kill came between requests, not in the middle of the load"

    # Reopen the database the killed server was writing to.
    db.dispose()
    stored = stored_postings(db, org)
    for key, answer in load.acked.items():
        assert key in stored, f"acknowledged posting {key} was lost"
        posting_id, count, movement_ids = stored[key]
        assert posting_id == answer["posting_id"]
        assert movement_ids == answer["movement_ids"]
    for key, (_, count, movement_ids) in stored.items():
        if key == "opening":
            continue
        sent = len(load.sent[key]["movements"])
        assert count == sent, f"posting {key} records {count} movements, {sent} were sent"
        assert len(movement_ids) == sent, f"posting {key} is stored half: {movement_ids}"
    report = verify(db)
    assert report.ok, [f"{f.check}: {f.message}" for f in report.findings]
    cli = run_cli_verify(target.url)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "OK" in cli.stdout

    # Restarted, the server answers every retry as the clients would send it: the postings cut
    # off by the kill post now or are replayed (if they had committed), and only once either way.
    server = start_server(target.url, extra_env=target.env)
    try:
        with httpx.Client(base_url=f"{server.url}/api/v1", headers=org.headers, timeout=30) as http:
            for key in sorted(load.cut_off):
                r = http.post("/postings", json=load.sent[key])
                assert r.status_code in (200, 201), r.text
                assert r.json()["replayed"] is (key in stored)
            again = next(iter(load.acked))
            r = http.post("/postings", json=load.sent[again])
            assert r.status_code == 200, r.text
            assert r.json()["posting_id"] == load.acked[again]["posting_id"]
    finally:
        server.stop()
    after = stored_postings(db, org)
    assert set(after) == set(stored) | load.cut_off
    for key in load.cut_off:
        assert len(after[key][2]) == len(load.sent[key]["movements"])
    report = verify(db)
    assert report.ok, [f"{f.check}: {f.message}" for f in report.findings]
