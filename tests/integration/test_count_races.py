"""Races on counts: threads recording, approving and planning at once on one real database;
exactly the right number win and each variance posts once."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from onhand.domain.errors import Conflict
from onhand.services.count_plans import create_count, make_daily_plan
from onhand.services.counts import CountEntry, approve_lines, record_counts
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.conftest import Org
from tests.integration.ledger_helpers import World, build_world, on_hand
from tests.integration.test_concurrency import POOL_SIZE, race
from tests.integration.test_count_programme import MONDAY
from tests.integration.test_counting import stock

D = Decimal


@pytest.fixture
def writers(db: Database, database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url, sqlite_synchronous="NORMAL", pool_size=POOL_SIZE))
    yield database
    database.dispose()


@pytest.fixture
def w(db: Database, org: Org) -> World:
    return build_world(db, org.actor)


def count_postings(w: World, number: str) -> int:
    m = tables.movements
    with w.db.reading() as uow:
        q = select(func.count()).where(m.c.org_id == w.org_id, m.c.ref_id == number)
        return int(uow.conn.execute(q).scalar_one())


def test_one_of_eight_counters_of_the_same_line_records_it(w: World, writers: Database) -> None:
    stock(w, "BOLT", "WH1/A/01", 100)
    number = create_count(w.db, w.actor, location="WH1/A/01")["number"]

    outcomes = race(
        8,
        lambda i: record_counts(
            writers, w.actor, number, location="WH1/A/01", entries=[CountEntry("BOLT", D(99))]
        ),
    )

    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1, [o for o in outcomes if isinstance(o, Exception)][:3]
    assert len(lost) == 7
    assert {e.code for e in lost} == {"count_closed"}
    assert count_postings(w, number) == 1
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(99)}


def test_eight_copies_of_one_record_with_its_key_record_it_once(
    w: World, writers: Database
) -> None:
    stock(w, "BOLT", "WH1/A/01", 100)
    number = create_count(w.db, w.actor, location="WH1/A/01")["number"]

    outcomes = race(
        8,
        lambda i: record_counts(
            writers,
            w.actor,
            number,
            location="WH1/A/01",
            entries=[CountEntry("BOLT", D(99))],
            idempotency_key="finish-WH1/A/01",
        ),
    )

    answers = [o for o in outcomes if isinstance(o, dict)]
    assert len(answers) == 8, [o for o in outcomes if isinstance(o, Exception)][:3]
    assert sorted(o["replayed"] for o in answers) == [False] + [True] * 7
    assert {o["status"] for o in answers} == {"closed"}
    assert count_postings(w, number) == 1
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(99)}


def test_approvals_racing_on_one_line_post_its_variance_once(w: World, writers: Database) -> None:
    stock(w, "BOLT", "WH1/A/01", 100)
    number = create_count(w.db, w.actor, location="WH1/A/01")["number"]
    for _ in range(2):
        record_counts(
            w.db, w.actor, number, location="WH1/A/01", entries=[CountEntry("BOLT", D(80))]
        )

    outcomes = race(6, lambda i: approve_lines(writers, w.actor, number, lines=[1]))

    assert all(isinstance(o, dict) and o["status"] == "closed" for o in outcomes), outcomes
    assert count_postings(w, number) == 1
    assert on_hand(w, "BOLT") == {("WH1/A/01", None, None): D(80)}


def test_planners_racing_on_one_day_make_its_documents_once(w: World, writers: Database) -> None:
    stock(w, "BOLT", "WH1/A/01", 5)
    stock(w, "BOLT", "WH2/STOCK", 5)
    from onhand.services import count_settings

    count_settings.update_settings(w.db, w.actor, {"frequency": {"C": 365}})

    outcomes = race(4, lambda i: make_daily_plan(writers, w.actor, day=MONDAY))

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    documents = {tuple((d["number"], d["warehouse"]) for d in o["documents"]) for o in outcomes}  # type: ignore[union-attr]
    assert len(documents) == 1
    assert [wh for _, wh in documents.pop()] == ["WH1", "WH2"]
    assert sum(o["created"] for o in outcomes) == 2  # type: ignore[index]
