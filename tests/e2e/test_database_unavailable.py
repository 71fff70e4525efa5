"""A database that cannot be reached is a 503 with a problem body, never a 500."""

from __future__ import annotations

import httpx

from onhand.api.app import create_api
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.async_run import run_async
from tests.conftest import free_port


def test_an_unreachable_database_answers_503_database_unavailable() -> None:
    # Nothing listens on this port: every connection attempt is refused at once.
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/none", pool_size=1)
    app = create_api(Database(engine))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://onhand") as client:
            return await client.get("/health")

    r = run_async(call())
    engine.dispose()
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "database_unavailable"
