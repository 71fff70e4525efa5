"""Races at the service level: threads calling post_movements at once on one real database.

Every lock or guarded update gets a race in which exactly the right number of writers win, on
SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row locks in a fixed order, guarded updates).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select

from onhand.domain.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    Unavailable,
)
from onhand.services import items, locations, postings, queries
from onhand.services.postings import MovementInput, PostingResult
from onhand.services.verify import verify
from onhand.store import tables
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org

T = TypeVar("T")
# Threads outnumber connections so writers queue for the pool as well as for locks, while the
# PostgreSQL server (shared with other test runs) keeps connections to spare.
POOL_SIZE = 4


@pytest.fixture
def writers(db: Database, database_url: str) -> Iterator[Database]:
    """A second engine on the test's database, with a small pool, for the racing threads."""
    database = Database(make_engine(database_url, sqlite_synchronous="NORMAL", pool_size=POOL_SIZE))
    yield database
    database.dispose()


def add_item(db: Database, org: Org, sku: str, *, tracking: str = "none") -> None:
    items.create_items(db, org.actor, [items.ItemCreate(sku=sku, name=sku, tracking=tracking)])


def add_locations(db: Database, org: Org, *codes: str) -> None:
    for code in codes:
        locations.create_location(db, org.actor, code=code)


def move(sku: str, source: str, destination: str, qty: int = 1, **extra: str) -> MovementInput:
    return MovementInput(
        sku=sku, from_location=source, to_location=destination, quantity=Decimal(qty), **extra
    )


def race(n: int, work: Callable[[int], T]) -> list[T | Exception]:
    """Run work(0..n-1) on n threads released together; each result or the error it raised."""
    gate = threading.Barrier(n)

    def one(i: int) -> T | Exception:
        gate.wait()
        try:
            return work(i)
        except Exception as exc:  # collected: the test asserts on every outcome
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def on_hand(db: Database, org: Org, sku: str) -> dict[str, Decimal]:
    """Non-zero balances of an item per location, virtual ones included."""
    found = queries.on_hand_by_item(db, org.actor, sku, include_virtual=True)
    return {line["location"]: line["quantity"] for line in found["lines"]}


def movement_count(db: Database, org: Org) -> int:
    with db.reading() as uow:
        q = select(func.count()).select_from(tables.movements)
        return int(uow.conn.execute(q.where(tables.movements.c.org_id == org.org_id)).scalar_one())


def assert_verified(db: Database) -> None:
    report = verify(db)
    assert report.ok, [f"{f.check}: {f.message}" for f in report.findings]


def test_64_writers_taking_one_unit_of_50_leave_exactly_50_winners(
    db: Database, writers: Database, org: Org
) -> None:
    add_item(db, org, "W")
    add_locations(db, org, "WH1")
    postings.post_movements(db, org.actor, [move("W", "@supplier", "WH1", 50)])

    outcomes = race(
        64, lambda i: postings.post_movements(writers, org.actor, [move("W", "WH1", "@customer")])
    )

    won = [o for o in outcomes if isinstance(o, PostingResult)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert len(won) == 50, [o for o in outcomes if isinstance(o, Exception)][:3]
    assert len(refused) == 14, [
        repr(o) for o in outcomes if not isinstance(o, (PostingResult, InsufficientStock))
    ][:3]
    assert all(r.message == "only 0 of W available at WH1, 1 requested" for r in refused)
    assert len({r.posting_id for r in won}) == 50
    assert on_hand(db, org, "W") == {"@supplier": Decimal(-50), "@customer": Decimal(50)}
    assert movement_count(db, org) == 51
    assert_verified(db)


def test_a_multi_line_posting_that_loses_the_race_on_one_line_changes_nothing(
    db: Database, writers: Database, org: Org
) -> None:
    add_item(db, org, "A")
    add_item(db, org, "B")
    add_locations(db, org, "WH1")
    postings.post_movements(
        db, org.actor, [move("A", "@supplier", "WH1", 100), move("B", "@supplier", "WH1", 10)]
    )

    # Plenty of A for everyone, but only 10 B: the 10 winners take both, the others take nothing.
    outcomes = race(
        24,
        lambda i: postings.post_movements(
            writers, org.actor, [move("A", "WH1", "@customer"), move("B", "WH1", "@customer")]
        ),
    )

    assert sum(isinstance(o, PostingResult) for o in outcomes) == 10
    assert sum(isinstance(o, InsufficientStock) and o.extra["sku"] == "B" for o in outcomes) == 14
    assert on_hand(db, org, "A")["WH1"] == Decimal(90)
    assert "WH1" not in on_hand(db, org, "B")
    assert_verified(db)


def test_16_concurrent_posts_with_one_idempotency_key_post_exactly_once(
    db: Database, writers: Database, org: Org
) -> None:
    add_item(db, org, "W")
    add_locations(db, org, "WH1")
    lines = [move("W", "@supplier", "WH1", 3)]

    outcomes = race(
        16, lambda i: postings.post_movements(writers, org.actor, lines, idempotency_key="k-1")
    )

    results = [o for o in outcomes if isinstance(o, PostingResult)]
    assert len(results) == 16, [o for o in outcomes if isinstance(o, Exception)][:3]
    assert len({r.posting_id for r in results}) == 1
    assert len({tuple(r.movement_ids) for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert on_hand(db, org, "W")["WH1"] == Decimal(3)
    assert movement_count(db, org) == 1
    assert_verified(db)


def test_one_key_raced_with_two_payloads_posts_one_and_refuses_the_other(
    db: Database, writers: Database, org: Org
) -> None:
    add_item(db, org, "W")
    add_locations(db, org, "WH1")
    payloads = [[move("W", "@supplier", "WH1", 3)], [move("W", "@supplier", "WH1", 4)]]

    outcomes = race(
        16,
        lambda i: postings.post_movements(
            writers, org.actor, payloads[i % 2], idempotency_key="k-1"
        ),
    )

    posted = [i for i, o in enumerate(outcomes) if isinstance(o, PostingResult)]
    refused = [i for i, o in enumerate(outcomes) if isinstance(o, IdempotencyConflict)]
    assert len(posted) == 8, outcomes
    assert len(refused) == 8, outcomes
    winner = posted[0] % 2
    assert {i % 2 for i in posted} == {winner}
    assert on_hand(db, org, "W")["WH1"] == Decimal(3 + winner)
    assert movement_count(db, org) == 1


def test_crossing_transfers_and_multi_line_postings_all_complete_without_deadlock(
    db: Database, writers: Database, org: Org
) -> None:
    for sku in ("X", "Y", "Z"):
        add_item(db, org, sku)
    add_locations(db, org, "A", "B", "C")
    postings.post_movements(
        db,
        org.actor,
        [move(s, "@supplier", loc, 1000) for s in ("X", "Y", "Z") for loc in ("A", "B", "C")],
    )
    # The same balance rows, named in opposite orders by postings running at once.
    shapes = [
        [move("X", "A", "B")],
        [move("X", "B", "A")],
        [move("X", "A", "B"), move("Y", "B", "A"), move("Z", "C", "A")],
        [move("Z", "A", "C"), move("Y", "A", "B"), move("X", "B", "A")],
        [move("Y", "C", "B"), move("X", "C", "A"), move("Y", "B", "C")],
        [move("X", "B", "C"), move("Z", "B", "A"), move("Z", "A", "B"), move("X", "C", "B")],
    ]
    rounds = 8

    outcomes = race(
        len(shapes) * rounds,
        lambda i: postings.post_movements(writers, org.actor, shapes[i % len(shapes)]),
    )

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert failures == []
    expected: Counter[tuple[str, str]] = Counter()
    for shape in shapes:
        for line in shape:
            expected[(line.sku, line.from_location)] -= int(line.quantity) * rounds
            expected[(line.sku, line.to_location)] += int(line.quantity) * rounds
    for sku in ("X", "Y", "Z"):
        held = on_hand(db, org, sku)
        assert sum(held.values()) == 0
        for loc in ("A", "B", "C"):
            assert held[loc] == 1000 + expected[(sku, loc)], (sku, loc)
    assert_verified(db)


def test_the_first_receipts_of_a_new_lot_raced_create_one_lot_and_all_post(
    db: Database, writers: Database, org: Org
) -> None:
    # Lot rows and chain heads are created on first use: the loser of that insert race retries.
    add_item(db, org, "L", tracking="lot")
    add_locations(db, org, "WH1")

    outcomes = race(
        16,
        lambda i: postings.post_movements(
            writers, org.actor, [move("L", "@supplier", "WH1", 2, lot="LOT-1")]
        ),
    )

    assert all(isinstance(o, PostingResult) for o in outcomes), outcomes
    with db.reading() as uow:
        lot_rows = uow.conn.execute(
            select(tables.lots.c.code).where(tables.lots.c.org_id == org.org_id)
        ).all()
    assert [r.code for r in lot_rows] == ["LOT-1"]
    assert on_hand(db, org, "L")["WH1"] == Decimal(32)
    assert_verified(db)


def test_a_serial_raced_out_of_its_location_leaves_it_exactly_once(
    db: Database, writers: Database, org: Org
) -> None:
    add_item(db, org, "S", tracking="serial")
    add_locations(db, org, "WH1", "WH2")
    postings.post_movements(db, org.actor, [move("S", "@supplier", "WH1", serial="SN-1")])

    destinations = ["WH2", "@customer"]
    outcomes = race(
        12,
        lambda i: postings.post_movements(
            writers, org.actor, [move("S", "WH1", destinations[i % 2], serial="SN-1")]
        ),
    )

    won = [i for i, o in enumerate(outcomes) if isinstance(o, PostingResult)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, PostingResult))
    held = {k: v for k, v in on_hand(db, org, "S").items() if v > 0}
    assert held == {destinations[won[0] % 2]: Decimal(1)}
    assert_verified(db)


def test_concurrent_reversals_of_one_movement_reverse_it_once(
    db: Database, writers: Database, org: Org
) -> None:
    add_item(db, org, "W")
    add_locations(db, org, "WH1")
    first = postings.post_movements(db, org.actor, [move("W", "@supplier", "WH1", 5)])
    movement_id = first.movement_ids[0]

    # Distinct keys, so only the unique reverses_id can stop the second reversal.
    outcomes = race(
        8,
        lambda i: postings.reverse_movement(
            writers, org.actor, movement_id, idempotency_key=f"undo-{i}"
        ),
    )

    assert sum(isinstance(o, PostingResult) for o in outcomes) == 1
    refused = [o for o in outcomes if not isinstance(o, PostingResult)]
    assert all(isinstance(o, Conflict) and o.code == "already_reversed" for o in refused), refused
    assert "WH1" not in on_hand(db, org, "W")
    assert_verified(db)


@pytest.mark.postgres
def test_postings_of_other_items_go_ahead_while_one_item_is_mid_posting_on_postgres(
    pg_schema_url: str,
) -> None:
    db = Database(make_engine(pg_schema_url))
    upgrade(db.engine)
    org = make_org(db)
    for sku in ("HELD", "FREE"):
        add_item(db, org, sku)
    add_locations(db, org, "WH1")
    postings.post_movements(
        db, org.actor, [move(s, "@supplier", "WH1", 10) for s in ("HELD", "FREE")]
    )
    impatient = Database(make_engine(pg_schema_url, pool_size=1))

    @event.listens_for(impatient.engine, "connect")
    def _refuse_to_wait(dbapi_conn: Any, _record: Any) -> None:
        # A writer that gives up instead of waiting for a lock someone else holds.
        dbapi_conn.execute("SET lock_timeout = '300ms'")
        dbapi_conn.commit()

    try:
        with db.writing() as uow:
            # A posting of HELD in flight: it holds every lock a posting takes, uncommitted.
            lines = [move("HELD", "WH1", "@customer")]
            postings._post(uow, org.actor, lines, "in-flight", postings.payload_hash(lines))

            other = postings.post_movements(
                impatient, org.actor, [move("FREE", "WH1", "@customer")]
            )
            assert not other.replayed
            with pytest.raises(Unavailable) as waited:
                postings.post_movements(impatient, org.actor, [move("HELD", "WH1", "@customer")])
            assert waited.value.code == "database_busy"
        assert on_hand(db, org, "FREE")["WH1"] == Decimal(9)
        assert on_hand(db, org, "HELD")["WH1"] == Decimal(10)
        assert_verified(db)
    finally:
        impatient.dispose()
        db.dispose()


def test_deactivating_an_item_or_location_while_stock_arrives_never_strands_stock(
    db: Database, writers: Database
) -> None:
    org = make_org(db)
    add_item(db, org, "D")
    add_locations(db, org, "WH1", "WH2")
    wh2 = locations.get_location(db, org.actor, path="WH2")["id"]

    def work(i: int) -> object:
        if i == 0:
            return items.deactivate_item(writers, org.actor, "D")
        if i == 1:
            return locations.update_location(writers, org.actor, wh2, active=False)
        destination = "WH1" if i % 2 else "WH2"
        return postings.post_movements(writers, org.actor, [move("D", "@supplier", destination)])

    outcomes = race(12, work)
    for outcome in outcomes:
        assert not isinstance(outcome, Exception) or isinstance(outcome, Conflict | InvalidInput)
    stock = queries.on_hand_by_item(db, org.actor, "D")
    item_active = items.get_item(db, org.actor, "D")["active"]
    wh2_active = locations.get_location(db, org.actor, location_id=wh2)["active"]
    if not item_active:
        assert stock["total"] == 0
    if not wh2_active:
        assert all(line["location"] != "WH2" for line in stock["lines"])
    posted = sum(isinstance(o, PostingResult) for o in outcomes)
    assert stock["total"] == posted
    assert verify(db).ok
