"""PostgreSQL advisory locks belong to one deployment: two onhand schemas in one database
(or two test runs at once) must not take each other's locks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from onhand.store import advisory
from onhand.store import events as outbox
from onhand.store.engine import make_engine
from tests.conftest import pg_schema

pytestmark = pytest.mark.postgres


def _engine_on_fresh_schema(prefix: str) -> Iterator[Engine]:
    with pg_schema(prefix) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def engine() -> Iterator[Engine]:
    """An engine on a fresh schema."""
    yield from _engine_on_fresh_schema("lock")


@pytest.fixture
def other_engine() -> Iterator[Engine]:
    """An engine on a second fresh schema of the same database."""
    yield from _engine_on_fresh_schema("other")


def test_a_follower_lock_held_in_one_schema_leaves_another_schema_free(
    engine: Engine, other_engine: Engine
) -> None:
    with outbox.follower_lock(engine, "webhooks") as ours:
        assert ours
        with outbox.follower_lock(other_engine, "webhooks") as theirs:
            assert theirs  # before, the other deployment skipped its fan-out here
        with outbox.follower_lock(engine, "webhooks") as again:
            assert not again  # within one schema it still excludes
        with outbox.follower_lock(engine, "nats") as other_name:
            assert other_name


def test_transaction_locks_are_per_schema_and_end_with_the_transaction(
    engine: Engine, other_engine: Engine
) -> None:
    with engine.begin() as conn:
        assert advisory.try_lock_for_transaction(conn, "iot.rollup")
        with other_engine.begin() as other:
            assert advisory.try_lock_for_transaction(other, "iot.rollup")
        with engine.begin() as same:
            assert not advisory.try_lock_for_transaction(same, "iot.rollup")
    with engine.begin() as conn:
        assert advisory.try_lock_for_transaction(conn, "iot.rollup")  # given back at commit
