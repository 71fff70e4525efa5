"""HTTP fixtures: one real `onhand serve` process per database backend for the whole session.

Tests stay isolated by making their own organisation (``tenant``) on that server's database.
The server's log goes to a file; a test fails when the server logged an unhandled error while
it ran, so "never a 500" is checked on every request, not only where a test looks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.conftest import Org, free_port, make_org, pg_schema

PROBLEM = "application/problem+json"
# Tables whose rows belong to one organisation: a refused request must leave them all unchanged.
ORG_TABLES = (
    "items",
    "item_barcodes",
    "locations",
    "lots",
    "serials",
    "postings",
    "movements",
    "balances",
    "users",
    "audit_events",
    "suppliers",
    "supplier_items",
    "purchase_orders",
    "purchase_order_lines",
    "receipts",
    "put_away_zones",
    "sales_orders",
    "sales_order_lines",
    "commitments",
    "warehouse_settings",
    "pick_lists",
    "pick_tasks",
    "shipments",
    "discrepancies",
    "transfers",
    "transfer_lines",
    "channel_lines",
    "count_settings",
    "classification_runs",
    "item_classes",
    "count_documents",
    "count_lines",
    "count_records",
    "replenishment_policies",
    "planning_runs",
    "planning_lines",
    "valuation_settings",
    "category_methods",
    "exchange_rates",
    "movement_costs",
    "valuation_items",
    "valuation_positions",
    "cost_layers",
    "landed_costs",
    "landed_cost_lines",
    "valuation_entries",
    "exception_acks",
    "kpi_settings",
    "recalls",
    "webhook_subscriptions",
    "webhook_deliveries",
    "webhook_attempts",
    "sensors",
    "condition_ranges",
    "sensor_readings",
    "sensor_rollups",
    "excursion_watches",
    "excursions",
    "excursion_lots",
    "iot_gateways",
)


@dataclass
class Api:
    """A running server and the database it serves."""

    url: str
    backend: str
    db: Database
    log: Path
    process: subprocess.Popen[bytes]

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")


def launch(
    database_url: str, log: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `onhand serve` on the database (its log to ``log``); the process and its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "onhand.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=os.environ | {"ONHAND_DATABASE_URL": database_url} | (extra_env or {}),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    deadline = time.monotonic() + 90  # a loaded 2-core machine starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not become healthy in 90 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextmanager
def running_api(backend: str, work: Path, env: dict[str, str] | None = None) -> Iterator[Api]:
    """A server process on a fresh SQLite file or PostgreSQL schema, with these settings."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{work / 'onhand.db'}"
        else:
            url = stack.enter_context(pg_schema("e2e"))
        engine = make_engine(url, sqlite_synchronous="NORMAL")
        upgrade(engine)
        db = Database(engine)
        log = work / "server.log"
        proc, served = launch(url, log, env)
        try:
            yield Api(url=served, backend=backend, db=db, log=log, process=proc)
        finally:
            stop(proc)
            db.dispose()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A server process on a fresh SQLite file or a fresh PostgreSQL schema, for the session."""
    with running_api(request.param, tmp_path_factory.mktemp(f"api-{request.param}")) as served:
        yield served


@pytest.fixture(autouse=True)
def _server_logged_no_error(request: pytest.FixtureRequest) -> Iterator[None]:
    if "api" not in request.fixturenames:
        yield
        return
    api: Api = request.getfixturevalue("api")
    start = api.log_size()
    yield
    logged = api.log_since(start)
    assert "Traceback" not in logged, logged[-4000:]
    assert "unhandled error" not in logged, logged[-4000:]
    assert api.process.poll() is None, "the server process died"


def client(api: Api, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{api.url}/api/v1", headers=headers, timeout=60)


PASSWORD = "password-1"


@dataclass
class User:
    """A logged-in user: id, name, token and an HTTP client that sends the token."""

    user_id: int
    username: str
    token: str
    http: httpx.Client


@dataclass
class Tenant:
    """An organisation of its own on the session's server, with its admin's HTTP client."""

    api: Api
    org: Org
    http: httpx.Client
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.api.db

    def item(self, sku: str, **fields: Any) -> dict[str, Any]:
        r = self.http.post("/items", json={"sku": sku, "name": f"Item {sku}", **fields})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def location(self, code: str, parent: str | None = None, **fields: Any) -> dict[str, Any]:
        r = self.http.post("/locations", json={"code": code, "parent": parent, **fields})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def move(
        self, sku: str, source: str, dest: str, quantity: str, **fields: Any
    ) -> dict[str, Any]:
        body = {"sku": sku, "from": source, "to": dest, "quantity": quantity, **fields}
        r = self.http.post("/movements", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def total(self, sku: str, **params: Any) -> Decimal:
        r = self.http.get(f"/stock/items/{sku}", params=params)
        assert r.status_code == 200, r.text
        return Decimal(r.json()["total"])

    def user(self, role: str, warehouses: list[str] | None = None) -> User:
        """A new user of this organisation with this role, logged in with username/password."""
        name = f"{role}-{uuid.uuid4().hex[:8]}"
        body: dict[str, Any] = {"username": name, "password": PASSWORD, "role": role}
        if warehouses is not None:
            body["warehouses"] = warehouses
        r = self.http.post("/users", json=body)
        assert r.status_code == 201, r.text
        login = self.http.post("/auth/token", json={"username": name, "password": PASSWORD})
        assert login.status_code == 201, login.text
        token = login.json()["token"]
        user = User(
            user_id=r.json()["id"], username=name, token=token, http=client(self.api, token)
        )
        self._clients.append(user.http)
        return user

    def fingerprint(self) -> dict[str, Any]:
        """Row counts of every table of this organisation, and its balances: equal before and
        after a refused request means the request changed nothing."""
        out: dict[str, Any] = {}
        with self.db.reading() as uow:
            for name in ORG_TABLES:
                t = tables.metadata.tables[name]
                q = select(func.count()).select_from(t).where(t.c.org_id == self.org.org_id)
                out[name] = uow.conn.execute(q).scalar_one()
            b = tables.balances
            rows = uow.conn.execute(
                select(b.c.item_id, b.c.location_id, b.c.lot_id, b.c.serial_id, b.c.qty)
                .where(b.c.org_id == self.org.org_id)
                .order_by(b.c.item_id, b.c.location_id, b.c.lot_id, b.c.serial_id)
            )
            out["balance_rows"] = [tuple(r) for r in rows]
        return out

    def close(self) -> None:
        for c in [self.http, *self._clients]:
            c.close()


def new_tenant(api: Api) -> Tenant:
    org = make_org(api.db)
    return Tenant(api=api, org=org, http=client(api, org.token))


@pytest.fixture
def tenant(api: Api) -> Iterator[Tenant]:
    """An organisation of this test's own."""
    t = new_tenant(api)
    yield t
    t.close()


@pytest.fixture
def other(api: Api) -> Iterator[Tenant]:
    """A second organisation on the same server, for isolation tests."""
    t = new_tenant(api)
    yield t
    t.close()


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and stable code, and a sentence."""
    assert r.status_code == status, f"{r.status_code} {r.text[:500]}"
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = dict(r.json())
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["title"]
    assert body["type"].startswith("https://")
    assert len(str(body["detail"])) > 10, body
    return body
