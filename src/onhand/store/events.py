"""The outbox's reads and writes: insert events, give committed ones their position, read them
in order, and keep followers' cursors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    union,
    update,
)

from onhand.domain.locations import STOCK_KINDS
from onhand.store import advisory
from onhand.store.fastsql import Prepared, list_param, one_of
from onhand.store.locking import dialect_insert
from onhand.store.tables import (
    balances,
    event_cursors,
    event_prunes,
    events,
    expiry_warnings,
    items,
    locations,
    lots,
    organisations,
    planning_lines,
    planning_runs,
    reorder_flags,
    replenishment_policies,
    webhook_deliveries,
)

SEQUENCE_BATCH = 5000


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Write events (``seq`` left empty) in the caller's transaction."""
    if rows:
        conn.execute(insert(events), list(rows))


def has_unsequenced(conn: Connection) -> bool:
    """Whether a committed event is still waiting for its position."""
    return (
        conn.execute(select(events.c.id).where(events.c.seq.is_(None)).limit(1)).first() is not None
    )


def sequence_pending(conn: Connection) -> int:
    """Give the committed events without a position the next positions, in id order; how many.
    Run in a write transaction of its own."""
    if conn.dialect.name == "postgresql":
        # One sequencer at a time (SQLite's writers are one at a time already).
        advisory.lock_for_transaction(conn, "events.sequencer")
    ids = list(
        conn.scalars(
            select(events.c.id)
            .where(events.c.seq.is_(None))
            .order_by(events.c.id)
            .limit(SEQUENCE_BATCH)
        )
    )
    if not ids:
        return 0
    last = conn.scalar(select(func.coalesce(func.max(events.c.seq), 0))) or 0
    conn.execute(
        text("UPDATE events SET seq = :seq WHERE id = :id"),
        [{"seq": last + n, "id": i} for n, i in enumerate(ids, start=1)],
    )
    return len(ids)


def events_after(
    conn: Connection,
    *,
    after: int,
    limit: int,
    upto: int | None = None,
    org_id: int | None = None,
    types: Sequence[str] = (),
) -> list[Any]:
    """Sequenced events after position ``after`` (up to ``upto``), in order: of one organisation or of all, of
    the given types (``stock.moved``) or families (``stock.*``) or all."""
    q = select(events).where(events.c.seq > after)
    if upto is not None:
        q = q.where(events.c.seq <= upto)
    if org_id is not None:
        q = q.where(events.c.org_id == org_id)
    if types:
        exact = [t for t in types if not t.endswith(".*")]
        families = [t[:-1] for t in types if t.endswith(".*")]
        q = q.where(or_(events.c.type.in_(exact), *(events.c.type.startswith(f) for f in families)))
    return list(conn.execute(q.order_by(events.c.seq).limit(limit)))


def last_position(conn: Connection, org_id: int | None = None) -> int:
    """The position of the newest sequenced event (of an organisation, or of all); 0 if none."""
    q = select(func.max(events.c.seq))
    if org_id is not None:
        q = q.where(events.c.org_id == org_id)
    return int(conn.scalar(q) or 0)


def cursor(conn: Connection, name: str, *, lock: bool = False) -> int:
    """How far the follower ``name`` has read (0: from the start); with ``lock``, its row is
    held until the transaction ends, so a second reader waits and then reads the moved one."""
    q = select(event_cursors.c.seq).where(event_cursors.c.name == name)
    if lock:
        q = q.with_for_update()
    return int(conn.scalar(q) or 0)


def save_cursor(conn: Connection, name: str, seq: int) -> None:
    """Move the follower's cursor to ``seq``."""
    done = conn.execute(update(event_cursors).where(event_cursors.c.name == name).values(seq=seq))
    if not done.rowcount:
        conn.execute(insert(event_cursors).values(name=name, seq=seq))


def advance_cursor(conn: Connection, name: str, seq: int) -> None:
    """Move the follower's cursor forward to ``seq``, never back (two processes that
    published the same events may both save their progress, in any order)."""
    done = conn.execute(
        update(event_cursors)
        .where(event_cursors.c.name == name, event_cursors.c.seq < seq)
        .values(seq=seq)
    )
    if not done.rowcount and not _has_cursor(conn, name):
        conn.execute(insert(event_cursors).values(name=name, seq=seq))


def ensure_cursor(conn: Connection, name: str, seq: int) -> None:
    """Start the follower's cursor at ``seq`` unless it has one (a follower that must not
    lose the events after ``seq`` to the retention before its first read)."""
    conn.execute(
        dialect_insert(conn, event_cursors)
        .values(name=name, seq=seq)
        .on_conflict_do_nothing(index_elements=["name"])
    )


def cursors(conn: Connection) -> list[Any]:
    """Every follower's cursor (name, seq), the furthest behind first."""
    q = select(event_cursors.c.name, event_cursors.c.seq)
    return list(conn.execute(q.order_by(event_cursors.c.seq, event_cursors.c.name)))


def forget_cursor(conn: Connection, name: str) -> bool:
    """Remove the follower's cursor; whether it existed."""
    return bool(conn.execute(delete(event_cursors).where(event_cursors.c.name == name)).rowcount)


def oldest_events(conn: Connection, *, after: int, upto: int | None, limit: int) -> list[Any]:
    """The sequenced events after ``after`` (up to ``upto``), oldest first, with whether a
    webhook delivery still needs each (``held``): what the retention looks at."""
    held = exists().where(webhook_deliveries.c.event_id == events.c.id)
    q = select(
        events.c.id, events.c.seq, events.c.org_id, events.c.occurred_at, held.label("held")
    ).where(events.c.seq > after)
    if upto is not None:
        q = q.where(events.c.seq <= upto)
    return list(conn.execute(q.order_by(events.c.seq).limit(limit)))


def delete_events(conn: Connection, rows: Sequence[Any]) -> None:
    """Delete these events (rows of ``oldest_events``) and raise each organisation's mark of
    the newest position removed."""
    if not rows:
        return
    conn.execute(delete(events).where(events.c.id.in_([r.id for r in rows])))
    newest: dict[int, int] = {}
    for r in rows:
        newest[r.org_id] = max(newest.get(r.org_id, 0), int(r.seq))
    for org_id, seq in newest.items():
        done = conn.execute(
            update(event_prunes)
            .where(event_prunes.c.org_id == org_id, event_prunes.c.through_seq < seq)
            .values(through_seq=seq)
        )
        if not done.rowcount and pruned_through(conn, org_id) == 0:
            conn.execute(insert(event_prunes).values(org_id=org_id, through_seq=seq))


def pruned_through(conn: Connection, org_id: int) -> int:
    """The newest position of the organisation's events the retention removed (0: none)."""
    q = select(event_prunes.c.through_seq).where(event_prunes.c.org_id == org_id)
    return int(conn.scalar(q) or 0)


def first_after(conn: Connection, seq: int) -> Any:
    """The first sequenced event after position ``seq`` (id, seq, occurred_at), or None."""
    q = select(events.c.id, events.c.seq, events.c.occurred_at).where(events.c.seq > seq)
    return conn.execute(q.order_by(events.c.seq).limit(1)).first()


def _has_cursor(conn: Connection, name: str) -> bool:
    q = select(event_cursors.c.name).where(event_cursors.c.name == name)
    return conn.execute(q).first() is not None


@contextmanager
def follower_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Whether this process may work for the follower ``name`` now: on PostgreSQL a session
    advisory lock, tried without waiting and held until the block ends (a process that dies
    drops it with its connection); SQLite has no such lock, so always True there (its
    followers must be safe to run twice)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    lock = f"events.follower:{name}"
    with engine.connect() as conn:
        # Autocommit: no transaction stays open while the lock is held.
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        got = advisory.try_lock_for_session(conn, lock)
        try:
            yield got
        finally:
            if got:
                advisory.unlock_session(conn, lock)


def org_slugs(conn: Connection, org_ids: Sequence[int]) -> dict[int, str]:
    """The slugs of these organisations."""
    if not org_ids:
        return {}
    rows = conn.execute(
        select(organisations.c.id, organisations.c.slug).where(
            organisations.c.id.in_(sorted(set(org_ids)))
        )
    )
    return {r.id: r.slug for r in rows}


def reorder_flags_of(
    conn: Connection, org_id: int, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bool]:
    """Whether each (item, warehouse) was below its reorder point when last looked at."""
    if not pairs:
        return {}
    item_ids = sorted({i for i, _ in pairs})
    rows = conn.execute(
        select(reorder_flags.c.item_id, reorder_flags.c.warehouse_id, reorder_flags.c.below).where(
            reorder_flags.c.org_id == org_id, reorder_flags.c.item_id.in_(item_ids)
        )
    )
    return {(r.item_id, r.warehouse_id): r.below for r in rows}


def set_reorder_flag(
    conn: Connection, org_id: int, item_id: int, warehouse_id: int, below: bool
) -> None:
    """Remember whether the item is below its reorder point at the warehouse."""
    done = conn.execute(
        update(reorder_flags)
        .where(
            reorder_flags.c.org_id == org_id,
            reorder_flags.c.item_id == item_id,
            reorder_flags.c.warehouse_id == warehouse_id,
        )
        .values(below=below)
    )
    if not done.rowcount:
        conn.execute(
            insert(reorder_flags).values(
                org_id=org_id, item_id=item_id, warehouse_id=warehouse_id, below=below
            )
        )


def record_expiry_warnings(conn: Connection, org_id: int, pairs: Sequence[tuple[int, str]]) -> None:
    """Remember that these (lot, expiry date) pairs were warned of."""
    if pairs:
        conn.execute(
            insert(expiry_warnings),
            [{"org_id": org_id, "lot_id": lot, "expiry_date": day} for lot, day in pairs],
        )


def expiring_lots(conn: Connection, until: date, limit: int) -> list[Any]:
    """Lots of every organisation that expire by ``until``, still have stock in a stock
    location and were not warned of for this expiry date yet: org, lot, SKU, expiry and the
    quantity on hand (micro-units), soonest first."""
    kinds = [k.value for k in STOCK_KINDS]
    warned = exists().where(
        expiry_warnings.c.org_id == lots.c.org_id,
        expiry_warnings.c.lot_id == lots.c.id,
        expiry_warnings.c.expiry_date == cast(lots.c.expiry_date, String),
    )
    q = (
        select(
            lots.c.org_id,
            lots.c.id.label("lot_id"),
            lots.c.code,
            lots.c.expiry_date,
            items.c.sku,
            items.c.precision,
            func.sum(balances.c.qty).label("qty"),
        )
        .join(balances, and_(balances.c.lot_id == lots.c.id, balances.c.org_id == lots.c.org_id))
        .join(items, items.c.id == lots.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            lots.c.expiry_date.is_not(None),
            lots.c.expiry_date <= until,
            balances.c.qty > 0,
            locations.c.kind.in_(kinds),
            ~warned,
        )
        .group_by(
            lots.c.org_id,
            lots.c.id,
            lots.c.code,
            lots.c.expiry_date,
            items.c.sku,
            items.c.precision,
        )
        .order_by(lots.c.expiry_date, lots.c.id)
        .limit(limit)
    )
    return list(conn.execute(q))


def _build_watched(d: str) -> Any:
    # The pairs exception_sets.levels gives a reorder point: a policy's min, else the line of the
    # warehouse's newest finished planning run. Written out here rather than filtered from
    # levels, because every posting runs it and levels is built per call.
    p, ln, run = replenishment_policies, planning_lines, planning_runs
    newest = (
        select(run.c.warehouse_id, func.max(run.c.id).label("run_id"))
        .where(
            run.c.org_id == bindparam("org"),
            run.c.status == "done",
            one_of(d, run.c.warehouse_id, "houses", Integer()),
        )
        .group_by(run.c.warehouse_id)
        .subquery("nr")
    )
    return union(
        select(p.c.item_id, p.c.warehouse_id).where(
            p.c.org_id == bindparam("org"),
            p.c.min_qty.is_not(None),
            one_of(d, p.c.item_id, "items", Integer()),
            one_of(d, p.c.warehouse_id, "houses", Integer()),
        ),
        select(ln.c.item_id, newest.c.warehouse_id)
        .select_from(ln.join(newest, newest.c.run_id == ln.c.run_id))
        .where(
            ln.c.org_id == bindparam("org"),
            ln.c.reorder_point.is_not(None),
            one_of(d, ln.c.item_id, "items", Integer()),
        ),
    )


_watched = Prepared(_build_watched)


def watched_pairs(
    conn: Connection, org_id: int, pairs: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Of these (item, warehouse) pairs, those with a reorder point (a policy's minimum or the
    newest planning run's), in order."""
    if not pairs:
        return []
    rows = _watched.rows(
        conn,
        {
            "org": org_id,
            "items": list_param(conn, sorted({i for i, _ in pairs})),
            "houses": list_param(conn, sorted({w for _, w in pairs})),
        },
    )
    return sorted({(r[0], r[1]) for r in rows} & set(pairs))
