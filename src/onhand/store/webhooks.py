"""Webhook subscriptions, deliveries and attempts: their reads and writes, and the claim of due
deliveries that is safe when several dispatchers run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from onhand.domain.webhooks import DUE
from onhand.store import advisory
from onhand.store.tables import events, webhook_attempts, webhook_deliveries, webhook_subscriptions

subs = webhook_subscriptions
dl = webhook_deliveries
att = webhook_attempts
# Waiting for an attempt, written as the due index's own condition (with literals, not bound
# parameters): only then do the planners use that partial index instead of reading every
# delivery ever made.
_IS_DUE = text("webhook_deliveries.status IN ('pending','retrying')")
assert DUE == ("pending", "retrying")

# --- subscriptions --------------------------------------------------------------------------


def insert_subscription(conn: Connection, values: dict[str, Any]) -> int:
    """Write a subscription; its id."""
    return int(conn.execute(insert(subs).values(**values).returning(subs.c.id)).scalar_one())


def subscription(conn: Connection, org_id: int, sub_id: int) -> Row[Any] | None:
    """The organisation's subscription with this id."""
    return conn.execute(select(subs).where(subs.c.org_id == org_id, subs.c.id == sub_id)).first()


def lock_subscription(conn: Connection, org_id: int, sub_id: int) -> Row[Any] | None:
    """The organisation's subscription with this id, locked until the transaction ends (on
    PostgreSQL: a transaction writing deliveries for it is waited for, and then seen)."""
    q = select(subs).where(subs.c.org_id == org_id, subs.c.id == sub_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def list_subscriptions(conn: Connection, org_id: int) -> list[Row[Any]]:
    """The organisation's subscriptions, oldest first."""
    return list(conn.execute(select(subs).where(subs.c.org_id == org_id).order_by(subs.c.id)))


def count_subscriptions(conn: Connection, org_id: int, *, for_adding: bool = False) -> int:
    """How many subscriptions the organisation has; ``for_adding`` holds, until this
    transaction ends, the right to add one (on PostgreSQL two creations at once would both
    count below the limit; SQLite's writers are one at a time already)."""
    if for_adding and conn.dialect.name == "postgresql":
        advisory.lock_for_transaction(conn, f"webhooks.add:{org_id}")
    return int(conn.scalar(select(func.count()).where(subs.c.org_id == org_id)) or 0)


def update_subscription(conn: Connection, org_id: int, sub_id: int, **values: Any) -> None:
    """Change a subscription's columns."""
    conn.execute(update(subs).where(subs.c.org_id == org_id, subs.c.id == sub_id).values(**values))


def delete_subscription(conn: Connection, org_id: int, sub_id: int) -> None:
    """Delete a subscription with its deliveries and their attempts. On PostgreSQL the
    deliveries are locked first: a dispatcher recording an attempt is waited for, and the
    attempt it logged is then deleted too (or it finds the delivery gone and logs none)."""
    ids = select(dl.c.id).where(dl.c.org_id == org_id, dl.c.subscription_id == sub_id)
    if conn.dialect.name == "postgresql":
        conn.execute(ids.with_for_update())
    conn.execute(delete(att).where(att.c.org_id == org_id, att.c.delivery_id.in_(ids)))
    conn.execute(delete(dl).where(dl.c.org_id == org_id, dl.c.subscription_id == sub_id))
    conn.execute(delete(subs).where(subs.c.org_id == org_id, subs.c.id == sub_id))


def active_subscriptions(conn: Connection, org_ids: Sequence[int]) -> list[Row[Any]]:
    """The active subscriptions of these organisations (what the fan-out delivers to). On
    PostgreSQL they are key-share locked: a delete of one waits for the deliveries made for
    it, or one being deleted is waited for and left out (changes of other columns go on)."""
    if not org_ids:
        return []
    q = (
        select(subs.c.id, subs.c.org_id, subs.c.event_types, subs.c.after_seq)
        .where(subs.c.active.is_(True), subs.c.org_id.in_(sorted(set(org_ids))))
        .order_by(subs.c.id)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(read=True, key_share=True)
    return list(conn.execute(q))


def backlog(conn: Connection, org_id: int, sub_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Deliveries waiting or given up on, per subscription: {id: {status: count}}."""
    out: dict[int, dict[str, int]] = {i: {} for i in sub_ids}
    if not sub_ids:
        return out
    rows = conn.execute(
        select(dl.c.subscription_id, dl.c.status, func.count())
        .where(
            dl.c.org_id == org_id,
            dl.c.subscription_id.in_(list(sub_ids)),
            dl.c.status.in_([*DUE, "dead"]),
        )
        .group_by(dl.c.subscription_id, dl.c.status)
    )
    for sub_id, status, n in rows:
        out[sub_id][status] = int(n)
    return out


def insert_event(conn: Connection, row: dict[str, Any]) -> int:
    """Write one outbox event (a ping) in the caller's transaction; its id."""
    return int(conn.execute(insert(events).values(**row).returning(events.c.id)).scalar_one())


# --- deliveries -----------------------------------------------------------------------------


def insert_deliveries(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Write new deliveries (the fan-out's)."""
    if rows:
        conn.execute(insert(dl), list(rows))


def delivery(conn: Connection, org_id: int, sub_id: int, delivery_id: int) -> Row[Any] | None:
    """One delivery of the subscription."""
    return conn.execute(
        select(dl).where(
            dl.c.org_id == org_id, dl.c.subscription_id == sub_id, dl.c.id == delivery_id
        )
    ).first()


def list_deliveries(
    conn: Connection,
    org_id: int,
    sub_id: int,
    *,
    statuses: Sequence[str],
    before: int | None,
    limit: int,
) -> list[Row[Any]]:
    """The subscription's deliveries, newest first, of these statuses (all when none), with
    ids below ``before``."""
    q = select(dl).where(dl.c.org_id == org_id, dl.c.subscription_id == sub_id)
    if statuses:
        q = q.where(dl.c.status.in_(list(statuses)))
    if before is not None:
        q = q.where(dl.c.id < before)
    return list(conn.execute(q.order_by(dl.c.id.desc()).limit(limit)))


def attempts_of(conn: Connection, org_id: int, delivery_id: int) -> list[Row[Any]]:
    """A delivery's attempts, first first."""
    return list(
        conn.execute(
            select(att)
            .where(att.c.org_id == org_id, att.c.delivery_id == delivery_id)
            .order_by(att.c.attempt, att.c.id)
        )
    )


def make_due(conn: Connection, org_id: int, delivery_id: int, now: datetime) -> bool:
    """Send a tried delivery again now (an admin's retry): retrying, due now; False (nothing
    changed) while a dispatcher's claim on it runs, as it is being sent."""
    done = conn.execute(
        update(dl)
        .where(
            dl.c.org_id == org_id,
            dl.c.id == delivery_id,
            or_(dl.c.claim.is_(None), dl.c.next_attempt_at <= now),
        )
        .values(status="retrying", next_attempt_at=now, claim=None, updated_at=now)
    )
    return bool(done.rowcount)


def claim_due(
    conn: Connection,
    *,
    now: datetime,
    until: datetime,
    token: str,
    per_subscription: dict[int, int],
    default_per_subscription: int,
    limit: int,
) -> list[Row[Any]]:
    """Claim due deliveries of active subscriptions: at most ``per_subscription[id]`` (else
    ``default_per_subscription``) of each subscription, ``limit`` in all, oldest due first; they
    are held until ``until`` under ``token``. Run in a write transaction of its own.

    Candidates are chosen per subscription first (so a subscription with a long backlog cannot
    take every slot), then ``limit`` of them locked: on PostgreSQL with FOR UPDATE SKIP LOCKED,
    so a dispatcher in another process takes the next ones instead of waiting or taking the
    same; SQLite has one writer at a time."""
    per_subscription = dict(per_subscription)  # the caller's stays as it was
    most = max([default_per_subscription, *per_subscription.values()], default=0)
    if most <= 0 or limit <= 0:
        return []
    rank = (
        func.row_number()
        .over(partition_by=dl.c.subscription_id, order_by=(dl.c.next_attempt_at, dl.c.id))
        .label("rank")
    )
    due = (
        select(dl.c.id, dl.c.subscription_id, rank)
        .join(subs, and_(subs.c.id == dl.c.subscription_id, subs.c.active.is_(True)))
        # A ping's event may not have its position yet: it waits until it has.
        .join(events, and_(events.c.id == dl.c.event_id, events.c.seq.is_not(None)))
        .where(_IS_DUE, dl.c.next_attempt_at <= now)
        .subquery()
    )
    rows = conn.execute(
        select(due.c.id, due.c.subscription_id)
        .where(due.c.rank <= most)
        .order_by(due.c.rank, due.c.id)
    )
    chosen: list[int] = []
    for row in rows:
        if len(chosen) >= limit * 4:  # enough to choose from when others hold some
            break
        room = per_subscription.get(row.subscription_id, default_per_subscription)
        if room > 0:
            chosen.append(row.id)
            per_subscription[row.subscription_id] = room - 1
    if not chosen:
        return []
    lock = (
        select(dl.c.id)
        .where(dl.c.id.in_(chosen), _IS_DUE, dl.c.next_attempt_at <= now)
        .order_by(dl.c.next_attempt_at, dl.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        lock = lock.with_for_update(skip_locked=True)
    held = list(conn.scalars(lock))
    if not held:
        return []
    conn.execute(update(dl).where(dl.c.id.in_(held)).values(next_attempt_at=until, claim=token))
    return list(
        conn.execute(
            select(
                dl.c.id.label("delivery_id"),
                dl.c.org_id,
                dl.c.subscription_id,
                dl.c.attempts,
                subs.c.url,
                subs.c.secret,
                subs.c.previous_secret,
                subs.c.previous_until,
                events.c.id,  # the envelope's id: the event's
                events.c.seq,
                events.c.type,
                events.c.subject_type,
                events.c.subject_id,
                events.c.occurred_at,
                events.c.actor_id,
                events.c.posting_id,
                events.c.data,
            )
            .join(subs, subs.c.id == dl.c.subscription_id)
            .join(events, events.c.id == dl.c.event_id)
            .where(dl.c.id.in_(held))
            .order_by(dl.c.id)
        )
    )


OUTCOME_COLUMNS = (
    "status",
    "attempts",
    "next_attempt_at",
    "last_status",
    "last_error",
    "updated_at",
    "delivered_at",
)
_record = (
    update(dl)
    .where(dl.c.id == bindparam("delivery_id"), dl.c.claim == bindparam("token"))
    .values(claim=None, **{c: bindparam(f"new_{c}") for c in OUTCOME_COLUMNS})
)


def record_outcomes(conn: Connection, token: str, outcomes: Sequence[dict[str, Any]]) -> None:
    """Write attempts' outcomes (``delivery_id`` and every OUTCOME_COLUMNS value each), in one
    statement run for all, where the claim is still ``token``'s: a dispatcher whose lease ran
    out must not overwrite what another one found since."""
    if outcomes:
        conn.execute(
            _record,
            [
                {"delivery_id": o["delivery_id"], "token": token}
                | {f"new_{c}": o[c] for c in OUTCOME_COLUMNS}
                for o in outcomes
            ],
        )


def insert_attempts(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Log attempts of deliveries that still exist (a webhook deleted while one of its
    deliveries was being sent took that delivery and its log with it)."""
    if not rows:
        return
    ids = sorted({r["delivery_id"] for r in rows})
    there = select(dl.c.id).where(dl.c.id.in_(ids))
    if conn.dialect.name == "postgresql":  # a delete waits for this transaction, or went first
        there = there.with_for_update(read=True, key_share=True)
    kept = set(conn.scalars(there))
    logged = [r for r in rows if r["delivery_id"] in kept]
    if logged:
        conn.execute(insert(att), logged)


def next_due(conn: Connection) -> datetime | None:
    """When the next delivery of an active subscription falls due (None: nothing waits)."""
    return conn.scalar(
        select(func.min(dl.c.next_attempt_at))
        .join(subs, and_(subs.c.id == dl.c.subscription_id, subs.c.active.is_(True)))
        .where(_IS_DUE)
    )


def prune(conn: Connection, *, finished_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` delivered or dead deliveries (with their attempts) last changed
    before ``finished_before``; how many."""
    ids = list(
        conn.scalars(
            select(dl.c.id)
            .where(dl.c.status.in_(("delivered", "dead")), dl.c.updated_at < finished_before)
            .order_by(dl.c.id)
            .limit(limit)
        )
    )
    if ids:
        conn.execute(delete(att).where(att.c.delivery_id.in_(ids)))
        conn.execute(delete(dl).where(dl.c.id.in_(ids)))
    return len(ids)
