"""The outbox's ordering guarantee: a reader following positions never skips an event whose
transaction drew its id earlier but committed later (PostgreSQL), and events of a rolled-back
transaction never appear."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from onhand.services import events, items, locations, postings
from onhand.services.postings import MovementInput
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org


def lot_event(uow: object, org: Org, code: str) -> None:
    events.emit(uow, org.actor, "lot.on_hold", "lot", f"X/{code}", {"lot": code})  # type: ignore[arg-type]


def subjects(page: dict[str, object]) -> list[str]:
    return [e["subject"]["id"] for e in page["events"]]  # type: ignore[attr-defined, index]


@pytest.mark.postgres
def test_a_late_commit_with_an_earlier_id_is_read_after_not_skipped(pg_db: Database) -> None:
    org = make_org(pg_db)
    with pg_db.writing() as early:
        lot_event(early, org, "EARLY")  # draws the smaller id, commits last
        with pg_db.writing() as late:
            lot_event(late, org, "LATE")
            late.commit()
        first = events.list_events(pg_db, org.actor)
        assert subjects(first) == ["X/LATE"]
        early.commit()
    second = events.list_events(pg_db, org.actor, after=first["next"])  # type: ignore[arg-type]
    assert subjects(second) == ["X/EARLY"]
    everything = events.list_events(pg_db, org.actor)
    assert subjects(everything) == ["X/LATE", "X/EARLY"]  # in the order they became visible
    ids = [e["id"] for e in everything["events"]]  # type: ignore[index]
    assert ids[0] > ids[1]


def test_a_rolled_back_change_leaves_no_event(db: Database) -> None:
    org = make_org(db)

    def fails(uow: object) -> None:
        lot_event(uow, org, "GONE")
        raise RuntimeError("the change failed after its event was written")

    with pytest.raises(RuntimeError):
        db.write(fails)  # type: ignore[arg-type]
    db.write(lambda uow: lot_event(uow, org, "KEPT"))
    assert subjects(events.list_events(db, org.actor)) == ["X/KEPT"]
    other = make_org(db)
    assert subjects(events.list_events(db, other.actor)) == []


def test_a_big_posting_is_told_in_parts_of_a_hundred_movements(db: Database) -> None:
    org = make_org(db)
    locations.create_location(db, org.actor, code="WH1")
    items.create_items(
        db, org.actor, [items.ItemCreate(sku=f"P{n}", name=f"Part {n}") for n in range(250)]
    )
    lines = [
        MovementInput(
            sku=f"P{n}", from_location="@supplier", to_location="WH1", quantity=Decimal(1)
        )
        for n in range(250)
    ]
    posted = postings.post_movements(db, org.actor, lines)
    told = events.list_events(db, org.actor, types=["stock.moved"])["events"]
    assert [(e["data"]["part"], e["data"]["parts"]) for e in told] == [(1, 3), (2, 3), (3, 3)]
    assert {e["data"]["posting_id"] for e in told} == {posted.posting_id}
    moved = [m for e in told for m in e["data"]["movements"]]
    assert [m["movement_id"] for m in moved] == posted.movement_ids
    assert [m["sku"] for m in moved] == [f"P{n}" for n in range(250)]


@pytest.mark.postgres
def test_two_followers_of_one_name_at_once_handle_each_event_once(pg_db: Database) -> None:
    org = make_org(pg_db)
    pg_db.write(lambda uow: lot_event(uow, org, "FIRST"))
    events.follow(pg_db, "twice", lambda uow, rows: None)  # the cursor exists from here
    for code in ("A", "B", "C"):
        pg_db.write(lambda uow, c=code: lot_event(uow, org, c))
    handled: dict[str, list[str]] = {"one": [], "two": []}
    inside, release = threading.Event(), threading.Event()

    def slow(uow: object, rows: list[Any]) -> None:
        handled["one"] += [r.subject_id for r in rows]
        inside.set()
        assert release.wait(30)

    one = threading.Thread(target=lambda: events.follow(pg_db, "twice", slow))
    one.start()
    assert inside.wait(30)
    two = threading.Thread(
        target=lambda: events.follow(
            pg_db, "twice", lambda uow, rows: handled["two"].extend(r.subject_id for r in rows)
        )
    )
    two.start()
    two.join(1.0)
    assert two.is_alive()  # it waits for the first one's cursor
    release.set()
    one.join(30)
    two.join(30)
    assert handled == {"one": ["X/A", "X/B", "X/C"], "two": []}
