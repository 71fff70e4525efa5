"""An in-process site for page tests without a browser: a database of the test module's own
(an SQLite file or a PostgreSQL schema, by the fixture's parameter), the API with the web
pages, and clients signed in as a user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from fastapi.testclient import TestClient

from onhand import web
from onhand.api.app import create_api
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.conftest import pg_schema

PASSWORD = "password-1"
# A module-scoped fixture's parameters: each test runs on SQLite and on PostgreSQL.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[Database]:
    """A migrated database for the module, of the backend the fixture's parameter names."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'onhand.db'}"
        else:
            url = stack.enter_context(pg_schema(name.replace("-", "")))
        engine = make_engine(url, sqlite_synchronous="NORMAL")
        upgrade(engine)
        db = Database(engine)
        try:
            yield db
        finally:
            db.dispose()


def pages_app(db: Database) -> TestClient:
    """The API with the web pages, in this process."""
    app = create_api(db)
    web.install(app)
    return TestClient(app)


def signed_in(app: TestClient, username: str) -> TestClient:
    """A fresh client signed in as ``username`` (its session cookie kept)."""
    client = TestClient(app.app, follow_redirects=False)
    r = client.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 303, r.text
    return client
