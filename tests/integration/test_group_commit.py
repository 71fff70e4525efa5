"""SQLite group commit: postings made at the same time share one transaction and one commit,
each in its own savepoint. Each must still commit or fail alone, and every caller gets its own
answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from onhand.domain.errors import InsufficientStock, InvalidInput, OnhandError
from onhand.services import verify
from onhand.services.common import utcnow
from onhand.services.postings import MovementInput, PostingResult
from onhand.store import ledger
from onhand.store.unit_of_work import Database, UnitOfWork
from tests.conftest import make_org
from tests.integration.ledger_helpers import World, build_world, mv, on_hand, post, snapshot


@pytest.fixture
def w(sqlite_db: Database) -> World:
    world = build_world(sqlite_db, make_org(sqlite_db).actor)
    post(world, mv("BOLT", "@supplier", "WH1/A/01", 20), mv("BOLT", "@supplier", "WH1/A/02", 1))
    return world


def _while_a_write_is_running(db: Database, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Start every job while another write holds the lead, so that they queue and then run as
    one group; return each job's result or the exception it raised, in order."""
    started, release = threading.Event(), threading.Event()

    def hold(_uow: UnitOfWork) -> None:
        started.set()
        release.wait(30)

    holder = threading.Thread(target=db.write, args=(hold,))
    holder.start()
    assert started.wait(30)
    outcomes: list[Any] = [None] * len(jobs)

    def run(n: int) -> None:
        try:
            outcomes[n] = jobs[n]()
        except OnhandError as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for t in threads:
        t.start()
    time.sleep(0.3)  # let them queue behind the holder (if one is late it only runs later)
    release.set()
    holder.join(30)
    for t in threads:
        t.join(60)
    return outcomes


def test_postings_sharing_a_commit_each_commit_or_fail_alone(w: World) -> None:
    take_one: list[MovementInput] = [mv("BOLT", "WH1/A/01", "@customer", 1)]
    # Both lines are short together (the second bin holds 1): refused as a whole.
    two_bins = [mv("BOLT", "WH1/A/01", "@customer", 1), mv("BOLT", "WH1/A/02", "@customer", 2)]
    bad_second_line = [mv("BOLT", "WH1/A/01", "@customer", 1), mv("NOPE", "WH1", "@customer", 1)]
    plan = [take_one] * 25 + [two_bins] * 5 + [bad_second_line] * 5
    before = snapshot(w.db, w.org_id)
    outcomes = _while_a_write_is_running(
        w.db, [lambda lines=lines: post(w, *lines) for lines in plan]
    )

    taken = [o for o in outcomes[:25] if isinstance(o, PostingResult)]
    assert len(taken) == 20
    assert all(isinstance(o, InsufficientStock) for o in outcomes[:25] if o not in taken)
    assert all(isinstance(o, InsufficientStock) for o in outcomes[25:30])
    assert all(isinstance(o, InvalidInput) and o.code == "sku_not_found" for o in outcomes[30:])
    assert on_hand(w, "BOLT") == {("WH1/A/02", None, None): Decimal(1)}
    after = snapshot(w.db, w.org_id)
    # A refused posting leaves no row behind (a refused one had already written its posting row
    # before its stock was found short).
    assert len(after["postings"]) == len(before["postings"]) + 20
    assert len(after["movements"]) == len(before["movements"]) + 20
    # Every successful caller got its own posting and movement.
    assert len({o.posting_id for o in taken}) == 20
    assert len({m for o in taken for m in o.movement_ids}) == 20
    assert verify.verify(w.db).ok


def test_a_retried_key_inside_the_same_group_is_answered_with_the_first_posting(
    w: World,
) -> None:
    lines = [mv("BOLT", "WH1/A/01", "@customer", 2)]
    outcomes = _while_a_write_is_running(
        w.db, [lambda: post(w, *lines, key="same-key") for _ in range(6)]
    )

    assert all(isinstance(o, PostingResult) for o in outcomes)
    assert len({o.posting_id for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert on_hand(w, "BOLT")[("WH1/A/01", None, None)] == Decimal(18)


def test_work_that_fails_in_a_group_leaves_nothing_and_the_others_are_kept(w: World) -> None:
    before = snapshot(w.db, w.org_id)

    def fail(uow: UnitOfWork) -> None:
        ledger.insert_posting(
            uow.conn,
            org_id=w.org_id,
            key=f"doomed-{threading.get_ident()}",
            payload_hash="0" * 64,
            actor_id=w.actor.user_id,
            count=0,
            now=utcnow(),
        )
        raise InvalidInput("refused after writing", code="on_purpose")

    outcomes = _while_a_write_is_running(
        w.db,
        [
            lambda: w.db.write(fail),
            lambda: post(w, mv("BOLT", "@supplier", "WH1/A/01", 5)),
            lambda: w.db.write(fail),
        ],
    )

    assert isinstance(outcomes[0], InvalidInput)
    assert isinstance(outcomes[2], InvalidInput)
    assert isinstance(outcomes[1], PostingResult)
    after = snapshot(w.db, w.org_id)
    assert len(after["movements"]) == len(before["movements"]) + 1
    assert len(after["postings"]) == len(before["postings"]) + 1
    assert on_hand(w, "BOLT")[("WH1/A/01", None, None)] == Decimal(25)
