"""Concurrent requests to a real `onhand serve` process: the headline 64-for-50 case, idempotent
retries, and crossing postings, on SQLite and on PostgreSQL (also with two worker processes)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from onhand.services.verify import verify
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.conftest import Org, Server, make_org, pg_schema, start_server

PROBLEM = "application/problem+json"


@dataclass
class Served:
    """A server process and the database it serves; each test makes its own organisation."""

    server: Server
    db: Database


@pytest.fixture(
    scope="module",
    params=[
        # The default deployment (one process on a SQLite file), and a scaled-out one: two
        # worker processes on PostgreSQL, so racing requests also meet in different processes.
        # The service-level races in tests/integration cover one process on PostgreSQL.
        pytest.param(("sqlite", 1), id="sqlite"),
        pytest.param(("postgres", 2), id="postgres-2-workers", marks=pytest.mark.postgres),
    ],
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    backend, workers = request.param
    with fresh_database_url(backend, tmp_path_factory.mktemp("concurrent")) as url:
        db = Database(make_engine(url, sqlite_synchronous="NORMAL", pool_size=2))
        upgrade(db.engine)
        # A small pool per worker: the PostgreSQL server is shared with other test runs.
        srv = start_server(url, workers=workers, extra_env={"ONHAND_DB_POOL_SIZE": "4"})
        try:
            yield Served(server=srv, db=db)
        finally:
            srv.stop()
            db.dispose()


@contextmanager
def fresh_database_url(backend: str, work: Path) -> Iterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{work / 'onhand.db'}"
        return
    with pg_schema("conc") as url:
        yield url


@pytest.fixture
def org(served: Served) -> Org:
    return make_org(served.db)


@pytest.fixture
def http(served: Served, org: Org) -> Iterator[httpx.Client]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    with httpx.Client(
        base_url=f"{served.server.url}/api/v1", headers=org.headers, timeout=120, limits=limits
    ) as client:
        yield client


def created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return dict(r.json())


def setup_stock(http: httpx.Client, stock: dict[tuple[str, str], int]) -> None:
    """Items, warehouses and a receipt of each (sku, location): quantity."""
    for sku in sorted({s for s, _ in stock}):
        created(http.post("/items", json={"sku": sku, "name": f"Item {sku}"}))
    for code in sorted({loc for _, loc in stock}):
        created(http.post("/locations", json={"code": code}))
    lines = [
        {"sku": s, "from": "@supplier", "to": loc, "quantity": str(q)}
        for (s, loc), q in sorted(stock.items())
    ]
    created(http.post("/postings", json={"movements": lines}))


def at_once(n: int, request: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """Send n requests from n threads released together."""
    gate = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        gate.wait()
        return request(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def total(http: httpx.Client, sku: str) -> str:
    r = http.get(f"/stock/items/{sku}")
    assert r.status_code == 200, r.text
    return str(r.json()["total"])


def movement_count(served: Served, org: Org) -> int:
    m = tables.movements
    with served.db.reading() as uow:
        q = select(func.count()).select_from(m).where(m.c.org_id == org.org_id)
        return int(uow.conn.execute(q).scalar_one())


def assert_verified(served: Served, org: Org) -> None:
    report = verify(served.db, org_id=org.org_id)
    assert report.ok, [f"{f.check}: {f.message}" for f in report.findings]


def test_64_concurrent_requests_for_one_unit_of_50_give_50_created_and_14_clear_conflicts(
    served: Served, org: Org, http: httpx.Client
) -> None:
    setup_stock(http, {("W", "WH1"): 50})
    body = {"sku": "W", "from": "WH1", "to": "@customer", "quantity": "1"}

    answers = at_once(64, lambda i: http.post("/movements", json=body))

    assert Counter(r.status_code for r in answers) == {201: 50, 409: 14}
    for r in answers:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith(PROBLEM)
            problem = r.json()
            assert problem["code"] == "insufficient_stock"
            assert problem["detail"] == "only 0 of W available at WH1, 1 requested"
    assert len({r.json()["posting_id"] for r in answers if r.status_code == 201}) == 50
    assert total(http, "W") == "0"
    history = http.get("/items/W/movements", params={"location": "WH1", "limit": 1000})
    assert history.status_code == 200, history.text
    outbound = [m for m in history.json()["movements"] if m["from"] == "WH1"]
    assert len(outbound) == 50
    assert all(m["to"] == "@customer" and m["quantity"] == "1" for m in outbound)
    assert movement_count(served, org) == 51
    assert_verified(served, org)


def test_a_retry_with_the_same_key_posts_once_and_says_it_was_replayed(
    served: Served, org: Org, http: httpx.Client
) -> None:
    setup_stock(http, {("W", "WH1"): 10})
    body = {"sku": "W", "from": "WH1", "to": "@customer", "quantity": "3"}
    key = {"Idempotency-Key": "order-17-shipment"}

    first = http.post("/movements", json=body, headers=key)
    retry = http.post("/movements", json=body, headers=key)

    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert first.json()["replayed"] is False
    assert retry.status_code == 200, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json() | {"replayed": True}
    assert total(http, "W") == "7"
    assert movement_count(served, org) == 2


def test_the_same_key_with_another_payload_is_refused_and_changes_nothing(
    served: Served, org: Org, http: httpx.Client
) -> None:
    setup_stock(http, {("W", "WH1"): 10})
    key = {"Idempotency-Key": "order-18-shipment"}
    body = {"sku": "W", "from": "WH1", "to": "@customer", "quantity": "3"}
    created(http.post("/movements", json=body, headers=key))

    other = http.post("/movements", json=body | {"quantity": "4"}, headers=key)

    assert other.status_code == 409, other.text
    assert other.headers["content-type"].startswith(PROBLEM)
    assert other.json()["code"] == "idempotency_key_reused"
    assert "order-18-shipment" in other.json()["detail"]
    assert total(http, "W") == "7"
    assert movement_count(served, org) == 2


def test_16_concurrent_requests_with_one_key_post_exactly_once_with_one_posting_id(
    served: Served, org: Org, http: httpx.Client
) -> None:
    setup_stock(http, {("W", "WH1"): 10})
    batch = {
        "movements": [
            {"sku": "W", "from": "WH1", "to": "@customer", "quantity": "2"},
            {"sku": "W", "from": "@supplier", "to": "WH1", "quantity": "5"},
        ]
    }
    key = {"Idempotency-Key": f"retry-storm-{uuid.uuid4()}"}

    answers = at_once(16, lambda i: http.post("/postings", json=batch, headers=key))

    assert Counter(r.status_code for r in answers) == {201: 1, 200: 15}, [
        r.text for r in answers if r.status_code not in (200, 201)
    ][:2]
    bodies = [r.json() for r in answers]
    assert len({(b["posting_id"], tuple(b["movement_ids"])) for b in bodies}) == 1
    assert all(
        r.headers.get("Idempotent-Replayed") == "true" for r in answers if r.status_code == 200
    )
    assert total(http, "W") == "13"
    assert movement_count(served, org) == 3
    assert_verified(served, org)


def test_crossing_postings_sent_at_once_all_complete_and_conserve_stock(
    served: Served, org: Org, http: httpx.Client
) -> None:
    setup_stock(http, {(s, loc): 500 for s in ("X", "Y") for loc in ("A", "B")})

    def line(sku: str, source: str, dest: str) -> dict[str, str]:
        return {"sku": sku, "from": source, "to": dest, "quantity": "1"}

    shapes = [
        [line("X", "A", "B")],
        [line("X", "B", "A")],
        [line("X", "A", "B"), line("Y", "B", "A")],
        [line("Y", "A", "B"), line("X", "B", "A")],
    ]

    answers = at_once(48, lambda i: http.post("/postings", json={"movements": shapes[i % 4]}))

    assert Counter(r.status_code for r in answers) == {201: 48}, [
        r.text for r in answers if r.status_code != 201
    ][:2]
    # Each shape ran 12 times, and every A->B is matched by a B->A: both stay at 500.
    for sku in ("X", "Y"):
        r = http.get(f"/stock/items/{sku}")
        held = {line["location"]: line["quantity"] for line in r.json()["lines"]}
        assert held == {"A": "500", "B": "500"}
    assert movement_count(served, org) == 4 + 12 * 6
    assert_verified(served, org)
