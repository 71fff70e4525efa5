"""Shared fixtures: real databases (SQLite file; PostgreSQL schema per test), organisations,
and a real HTTP server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from onhand.domain.access import Actor
from onhand.services import accounts
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.nats_helpers import NATS_ENV, Stream, nats_test_url, nats_unavailable

PG_ENV = "ONHAND_TEST_POSTGRES_URL"
PG_SKIP = f"{PG_ENV} is not set: PostgreSQL tests skipped (.ci/run sets it)"


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


@contextmanager
def pg_schema(prefix: str = "t") -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards (or a skip)."""
    base = pg_admin_url()
    if not base:
        pytest.skip(PG_SKIP)
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test."""
    with pg_schema() as url:
        yield url


@pytest.fixture
def pg_db(pg_schema_url: str) -> Iterator[Database]:
    """A migrated database on a fresh PostgreSQL schema, for tests of PostgreSQL alone
    (races between transactions, advisory locks); mark them ``postgres``."""
    engine = make_engine(pg_schema_url)
    upgrade(engine)
    db = Database(engine)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def nats_url() -> str:
    """The NATS server (with JetStream) the relay's tests publish to: in CI it must be there,
    elsewhere its absence skips those tests and says why."""
    url = nats_test_url()
    reason = nats_unavailable(url)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"NATS tests cannot run in CI: {reason}")
        pytest.skip(f"NATS tests skipped: {reason} (${NATS_ENV} names another server)")
    return url


@pytest.fixture
def nats_stream(nats_url: str) -> Iterator[Stream]:
    """A JetStream stream and subject prefix of this test's own, deleted afterwards."""
    stream = Stream.new(nats_url)
    yield stream
    stream.delete()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'onhand.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same test on the embedded SQLite file and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_schema_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url, sqlite_synchronous="NORMAL")
    upgrade(engine)
    database = Database(engine)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    engine = make_engine(sqlite_url, sqlite_synchronous="NORMAL")
    upgrade(engine)
    database = Database(engine)
    yield database
    database.dispose()


@dataclass
class Org:
    """An organisation made for a test, with its admin's actor and token."""

    org_id: int
    token: str
    actor: Actor

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_org(db: Database, slug: str | None = None) -> Org:
    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    new = accounts.create_organisation(
        db,
        name=slug.title(),
        slug=slug,
        admin_username=f"admin-{slug}",
        admin_password="password-1",
    )
    return Org(org_id=new.org_id, token=new.token, actor=accounts.authenticate(db, new.token))


@pytest.fixture
def org(db: Database) -> Org:
    return make_org(db)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A real `onhand serve` process."""

    url: str
    process: subprocess.Popen[bytes]
    database_url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_server(
    database_url: str, *, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    env = os.environ | {"ONHAND_DATABASE_URL": database_url} | (extra_env or {})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onhand.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded 2-core machine starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited early: {err[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return Server(url=url, process=proc, database_url=database_url)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not become healthy in 90 s")


@pytest.fixture
def server(db: Database, database_url: str) -> Iterator[Server]:
    """An HTTP server process on the test's database (already migrated by ``db``)."""
    srv = start_server(database_url)
    yield srv
    srv.stop()


MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    """The local MQTT broker (Mosquitto) the IoT tests publish to. Unreachable: the tests fail
    in CI (CI=true; .ci/run checks it first) and skip on a developer's machine, saying why."""
    try:
        socket.create_connection((MQTT_HOST, MQTT_PORT), timeout=3).close()
    except OSError as exc:
        why = f"no MQTT broker at {MQTT_HOST}:{MQTT_PORT} ({exc}): start Mosquitto"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why)
        pytest.skip(why)
    return f"mqtt://{MQTT_HOST}:{MQTT_PORT}"
