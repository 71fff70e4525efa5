"""The outbox: domain events written in the same transaction as the change they describe, read
in order by the API's event list and stream, webhooks and broker relays.

``emit`` is called by the use cases inside their unit of work, so an event exists exactly when
its change was committed. Readers follow positions (``sequence``), given to committed events in
the order they became visible (see store.tables.events), so following "after n" never skips an
event that committed late.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Gone, InvalidInput, NotFound
from onhand.domain.events import EVENT_TYPES, check_filters
from onhand.services.common import utcnow
from onhand.store import events as outbox
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_PAGE = 1000
PRUNE_BATCH = 2000
MARK = "events"  # the unit-of-work mark of a transaction that wrote events


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _wire(value: Any) -> Any:
    # Times as the API writes them (UTC with "Z"), so every reader sees one form.
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return _plain(value)


def event_row(
    org_id: int,
    type_: str,
    subject_type: str,
    subject_id: int | str,
    data: dict[str, Any],
    *,
    actor_id: int | None = None,
    posting_id: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """An outbox row (not yet written)."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")  # a programming error, not input
    return {
        "org_id": org_id,
        "type": type_,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "occurred_at": at or utcnow(),
        "actor_id": actor_id,
        "posting_id": posting_id,
        "data": json.dumps(data, default=_plain, separators=(",", ":")),
    }


def emit(
    uow: UnitOfWork,
    actor: Actor | None,
    type_: str,
    subject_type: str,
    subject_id: int | str,
    data: dict[str, Any],
    *,
    org_id: int | None = None,
    posting_id: int | None = None,
) -> None:
    """Write a domain event in the caller's transaction (it exists only if that commits)."""
    org = actor.org_id if actor is not None else org_id
    if org is None:
        raise ValueError("an event needs its organisation")
    row = event_row(
        org,
        type_,
        subject_type,
        subject_id,
        data,
        actor_id=actor.user_id if actor is not None else None,
        posting_id=posting_id,
    )
    outbox.insert_events(uow.conn, [row])
    uow.mark(MARK)


def sequence(db: Database) -> int:
    """Give committed events their positions (a cheap read when there is nothing to do, so a
    reader may call it before every read); how many were sequenced."""
    with db.reading() as uow:
        if not outbox.has_unsequenced(uow.conn):
            return 0
    total = 0
    while True:
        n = db.write(lambda uow: outbox.sequence_pending(uow.conn))
        total += n
        if n < outbox.SEQUENCE_BATCH:
            return total


def envelope(row: Any) -> dict[str, Any]:
    """An event as followers receive it."""
    return {
        "id": int(row.id),
        "sequence": int(row.seq),
        "type": row.type,
        "occurred_at": row.occurred_at,
        "subject": {"type": row.subject_type, "id": row.subject_id},
        "actor_id": row.actor_id,
        "posting_id": row.posting_id,
        "data": json.loads(row.data),
    }


def envelope_json(row: Any) -> bytes:
    """The envelope as compact UTF-8 JSON (times in ISO 8601 UTC with "Z"), as a broker
    message and a webhook body carry it (the same bytes every time)."""
    return json.dumps(
        envelope(row), default=_wire, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _check_page(after: int, limit: int) -> None:
    if after < 0:
        raise InvalidInput("after must be 0 or a position read before", code="invalid_cursor")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", code="invalid_limit")


def _check_kept(conn: Any, org_id: int, after: int) -> None:
    through = outbox.pruned_through(conn, org_id)
    if 0 < after < through:
        raise Gone(
            f"events after position {after} up to {through} were removed by the outbox's "
            f"retention; read from {through} on, after bringing what you keep up to date "
            "from the API",
            code="events_pruned",
            resume_after=through,
        )


def check_resumable(db: Database, actor: Actor, after: int) -> None:
    """Refuse (410 events_pruned) to resume after a position whose following events of the
    organisation were removed by the retention: the reader would miss them unawares."""
    actor.require(Permission.READ)
    _check_page(after, 1)
    with db.reading() as uow:
        _check_kept(uow.conn, actor.org_id, after)


def list_events(
    db: Database,
    actor: Actor,
    *,
    after: int = 0,
    types: Iterable[str] = (),
    limit: int = 100,
) -> dict[str, Any]:
    """The organisation's events after position ``after``, oldest first, of the chosen types;
    ``next`` is the position to ask after next time."""
    actor.require(Permission.READ)
    _check_page(after, limit)
    chosen = check_filters(types)
    sequence(db)
    with db.reading() as uow:
        _check_kept(uow.conn, actor.org_id, after)
        # The newest position first: the page then covers everything up to it.
        last = outbox.last_position(uow.conn, actor.org_id)
        rows = outbox.events_after(
            uow.conn, after=after, upto=last, limit=limit, org_id=actor.org_id, types=chosen
        )
    found = [envelope(r) for r in rows]
    # A short page saw every event up to ``last``: what it left out did not match the filter.
    nxt = found[-1]["sequence"] if len(found) == limit else max(after, last)
    return {"events": found, "next": nxt}


def position(db: Database, actor: Actor) -> int:
    """The position of the organisation's newest event (0 before the first): it grows with
    every posting and document change, so a page can tell it is out of date."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return outbox.last_position(uow.conn, actor.org_id)


def event_types() -> list[dict[str, str]]:
    """The catalogue of event types and when each is raised."""
    return [{"type": t, "description": d} for t, d in EVENT_TYPES.items()]


def follow(
    db: Database,
    name: str,
    handle: Callable[[UnitOfWork, list[Any]], None],
    *,
    batch: int = 500,
) -> int:
    """Feed the events after the follower's cursor to ``handle`` in one write transaction with
    the cursor's move, so each event is handled exactly once even across crashes and beside
    the same follower in other processes (the cursor's row is locked while it works); how
    many."""
    sequence(db)

    def work(uow: UnitOfWork) -> int:
        at = outbox.cursor(uow.conn, name, lock=True)
        rows = outbox.events_after(uow.conn, after=at, limit=batch)
        if rows:
            handle(uow, rows)
            outbox.save_cursor(uow.conn, name, int(rows[-1].seq))
        return len(rows)

    return db.write(work)


@dataclass(frozen=True)
class Pruned:
    """What a retention round removed, and which follower's cursor kept older events back."""

    removed: int
    held_by: str | None = None  # a cursor behind events old enough to go


def prune(db: Database, *, keep_days: int, now: datetime | None = None) -> Pruned:
    """Remove events older than ``keep_days`` that every follower has read and no webhook
    delivery still needs, oldest first; each organisation keeps the mark of the newest
    position removed, so a reader resuming before it is told (``check_resumable``)."""
    if keep_days < 1:
        raise InvalidInput("keep events for at least 1 day", code="invalid_keep_days")
    before = (now or utcnow()) - timedelta(days=keep_days)
    sequence(db)
    with db.reading() as uow:
        behind = outbox.cursors(uow.conn)
    upto = int(behind[0].seq) if behind else None
    removed = at = 0
    while True:

        def work(uow: UnitOfWork, after: int = at) -> tuple[int, int, bool]:
            rows = outbox.oldest_events(uow.conn, after=after, upto=upto, limit=PRUNE_BATCH)
            old = [r for r in rows if r.occurred_at < before]
            outbox.delete_events(uow.conn, [r for r in old if not r.held])
            done = len(rows) < PRUNE_BATCH or len(old) < len(rows)
            gone = sum(1 for r in old if not r.held)
            return gone, int(rows[-1].seq) if rows else after, done

        gone, at, done = db.write(work)
        removed += gone
        if done:
            break
    held_by = None
    if upto is not None:
        with db.reading() as uow:
            nxt = outbox.first_after(uow.conn, upto)
        if nxt is not None and nxt.occurred_at < before:
            held_by = str(behind[0].name)
    return Pruned(removed, held_by)


def cursors(db: Database) -> list[dict[str, Any]]:
    """Every follower of the outbox: its cursor's name, position, and how many events it is
    behind the newest (the furthest behind first)."""
    sequence(db)
    with db.reading() as uow:
        last = outbox.last_position(uow.conn)
        rows = outbox.cursors(uow.conn)
    return [{"name": r.name, "position": int(r.seq), "behind": last - int(r.seq)} for r in rows]


def forget_cursor(db: Database, name: str) -> None:
    """Remove a follower's cursor (one that no longer runs holds the retention back); a
    follower that runs again starts from the oldest event kept."""
    if not db.write(lambda uow: outbox.forget_cursor(uow.conn, name)):
        raise NotFound(f"no follower of the outbox is called {name!r}", code="cursor_not_found")
