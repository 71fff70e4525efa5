"""The outbox's retention: old events go once every follower has read them and no webhook
delivery needs them; a reader resuming before what was removed is told, not served a gap;
a commit that wrote events calls the listeners (the event pump wakes on it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from onhand.domain.errors import Gone, InvalidInput, NotFound
from onhand.services import events, webhooks
from onhand.services.common import utcnow
from onhand.services.webhook_dispatch import fan_out
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org


def emit(
    db: Database, org: Org, subject: str, *, days_ago: int = 0, type_: str = "lot.on_hold"
) -> int:
    """One event about a lot, dated ``days_ago``; its position."""
    db.write(lambda uow: events.emit(uow, org.actor, type_, "lot", subject, {}))
    if days_ago:
        e = tables.events
        at = utcnow() - timedelta(days=days_ago)
        db.write(
            lambda uow: uow.conn.execute(
                update(e).where(e.c.subject_id == subject).values(occurred_at=at)
            )
        )
    page = events.list_events(db, org.actor)
    return next(x["sequence"] for x in page["events"] if x["subject"]["id"] == subject)


def subjects(db: Database, org: Org, after: int = 0) -> list[str]:
    return [e["subject"]["id"] for e in events.list_events(db, org.actor, after=after)["events"]]


def read_all(db: Database, name: str) -> None:
    """A follower called ``name`` reads everything there is."""
    while events.follow(db, name, lambda uow, rows: None):
        pass


def test_old_events_every_follower_read_go_and_newer_ones_stay(db: Database) -> None:
    org = make_org(db)
    first = emit(db, org, "OLD-1", days_ago=100)
    second = emit(db, org, "OLD-2", days_ago=95)
    emit(db, org, "NEW", days_ago=10)
    read_all(db, "reader")

    done = events.prune(db, keep_days=90)
    assert (done.removed, done.held_by) == (2, None)
    assert subjects(db, org) == ["NEW"]  # from the start: what is kept
    assert subjects(db, org, after=second) == ["NEW"]
    with pytest.raises(Gone) as refused:
        events.list_events(db, org.actor, after=first)
    assert refused.value.code == "events_pruned"
    assert refused.value.extra["resume_after"] == second
    with pytest.raises(Gone):
        events.check_resumable(db, org.actor, first)
    assert events.prune(db, keep_days=90).removed == 0  # nothing more to do


def test_another_organisations_reader_is_not_refused_for_events_it_never_had(
    db: Database,
) -> None:
    mine, theirs = make_org(db), make_org(db)
    seen = emit(db, theirs, "THEIRS", days_ago=1)
    emit(db, mine, "MINE-OLD", days_ago=200)
    read_all(db, "reader")
    assert events.prune(db, keep_days=90).removed == 1
    events.check_resumable(db, theirs.actor, seen)  # missed none of its own: no refusal
    assert subjects(db, theirs, after=seen) == []
    assert subjects(db, mine) == []


def test_a_follower_behind_holds_the_older_events_until_its_cursor_is_forgotten(
    db: Database,
) -> None:
    org = make_org(db)
    emit(db, org, "A", days_ago=120)
    read_all(db, "slow")  # reads A, then stops following
    emit(db, org, "B", days_ago=110)
    emit(db, org, "C", days_ago=100)
    read_all(db, "fast")

    done = events.prune(db, keep_days=90)
    assert (done.removed, done.held_by) == (1, "slow")
    assert subjects(db, org) == ["B", "C"]
    behind = {c["name"]: c["behind"] for c in events.cursors(db)}
    assert behind == {"slow": 2, "fast": 0}

    events.forget_cursor(db, "slow")
    with pytest.raises(NotFound):
        events.forget_cursor(db, "slow")
    assert events.prune(db, keep_days=90) == events.Pruned(2, None)
    assert subjects(db, org) == []


def test_an_event_a_webhook_delivery_still_needs_is_kept(db: Database) -> None:
    org = make_org(db)
    webhooks.create_webhook(
        db,
        org.actor,
        webhooks.WebhookCreate(url="http://127.0.0.1:9/hook", event_types=["lot.released"]),
        allow_private=True,
    )
    emit(db, org, "DELIVERING", days_ago=100, type_="lot.released")
    emit(db, org, "PLAIN", days_ago=100)
    read_all(db, "reader")
    assert events.prune(db, keep_days=90) == events.Pruned(0, "webhooks:fanout")
    fan_out(db)  # DELIVERING matches the subscription: its delivery waits to be sent
    assert events.prune(db, keep_days=90).removed == 1
    assert subjects(db, org) == ["DELIVERING"]


def test_the_keeping_time_is_at_least_a_day(db: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        events.prune(db, keep_days=0)
    assert refused.value.code == "invalid_keep_days"


def test_a_commit_that_wrote_events_calls_the_listeners_and_no_other_does(db: Database) -> None:
    org = make_org(db)
    calls: list[str] = []
    db.on_commit(events.MARK, lambda: calls.append("events"))
    db.write(lambda uow: uow.conn.execute(update(tables.organisations).values(name="renamed")))
    assert calls == []

    def fails(uow: Any) -> None:
        events.emit(uow, org.actor, "lot.on_hold", "lot", "X", {})
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        db.write(fails)
    assert calls == []
    emit(db, org, "Y")
    assert calls == ["events"]
