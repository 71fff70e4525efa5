"""Recalls: a lot (or a serial) put on hold wherever it is, with who and why, and the customers
to contact: those it was shipped to, net of what they returned.

A recall holds every remaining unit: the hold is on the lot (or the serial), so stock in any
location and in transit is on hand but not available, not reserved and not picked until the
recall is released. Recalling a lot already under an open recall answers with that recall and
changes nothing. Releasing puts back the hold the lot had before the recall.
"""

from __future__ import annotations

from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.services import events
from onhand.services.common import audit, document_number, not_found, utcnow
from onhand.services.postings import write_retrying
from onhand.services.traceability import (
    Traced,
    recall_out,
    require_whole_reach,
    resolve,
    trace_in,
)
from onhand.store import catalog, locking, recalls, tables, traceability
from onhand.store.unit_of_work import Database, UnitOfWork

REASON_MAX = 500
NOTE_MAX = 500


def _text(value: str | None, what: str, limit: int, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"give the {what}", code=f"missing_{what.replace(' ', '_')}")
        return None
    if len(text) > limit or not all(c.isprintable() or c in "\n\t" for c in text):
        raise InvalidInput(
            f"the {what} must be 1-{limit} printable characters",
            code=f"invalid_{what.replace(' ', '_')}",
        )
    return text


def _details(uow: UnitOfWork, actor: Actor, row: Any) -> dict[str, Any]:
    """A recall with what it concerns now: the units on hold and the customers to contact."""
    traced = resolve(uow, actor, row.sku, row.lot, row.serial)
    t = trace_in(uow, actor, traced, movements=0)
    return recall_out(row) | {
        "on_hold": t["on_hold"],
        "remaining": t["on_hand"],
        "remaining_total": t["reconciliation"]["on_hand"],
        "customers": [c for c in t["customers"] if c["net"] > 0],
        "reconciliation": t["reconciliation"],
    }


def _read(db: Database, actor: Actor, number: str, **extra: Any) -> dict[str, Any]:
    with db.reading() as uow:
        traceability.snapshot(uow.conn)
        row = recalls.recall_by_number(uow.conn, actor.org_id, number)
        if row is None:
            raise not_found("recall", number)
        return _details(uow, actor, row) | extra


def recall(
    db: Database,
    actor: Actor,
    *,
    sku: str,
    reason: str,
    lot: str | None = None,
    serial: str | None = None,
) -> dict[str, Any]:
    """Recall a lot or serial: put it on hold, record who and why, and list the customers who
    received it (net of returns) with their orders, quantities and dates."""
    actor.require(Permission.MANAGE_RECALLS)
    require_whole_reach(actor)
    why = _text(reason, "reason", REASON_MAX, required=True)
    number_of = document_number(db, actor.org_id, "RC")

    def work(uow: UnitOfWork) -> tuple[str, bool]:
        conn, org = uow.conn, actor.org_id
        traced = resolve(uow, actor, sku, lot, serial)
        key = traced.key
        table = tables.lots if key.lot_id is not None else tables.serials
        # Concurrent recalls of one lot queue here; the partial unique index backs this up.
        locking.lock_for_change(conn, table, org, key.lot_id or key.serial_id or 0)
        now = utcnow()
        existing = recalls.open_recall(conn, org, key)
        if existing is not None:
            if not recalls.is_held(conn, org, key):  # lifted by hand meanwhile: hold again
                recalls.set_hold(conn, org, key, True)
                audit(uow, actor, "recall", existing.number, "recall.hold_again")
                _hold_event(uow, actor, traced, True)
            return existing.number, True
        number = number_of(uow)
        held_before = recalls.is_held(conn, org, key)
        recalls.insert_recall(
            conn,
            org_id=org,
            number=number,
            key=key,
            reason=why or "",
            held_before=held_before,
            at=now,
            by=actor.user_id,
        )
        recalls.set_hold(conn, org, key, True)
        audit(
            uow,
            actor,
            "lot" if key.lot_id is not None else "serial",
            key.lot_id or key.serial_id or 0,
            "recall.open",
            recall=number,
            sku=traced.item.sku,
            what=traced.what,
            reason=why,
            held_before=held_before,
        )
        if not held_before:
            _hold_event(uow, actor, traced, True)
        # Outbox: a recall.opened event (number, reason, customers) would be emitted here.
        return number, False

    number, replayed = write_retrying(db, work)
    return _read(db, actor, number, replayed=replayed)


def release_recall(
    db: Database, actor: Actor, number: str, *, note: str | None = None
) -> dict[str, Any]:
    """Close an open recall and put back the hold the lot (or serial) had before it; releasing
    a released recall answers with it and changes nothing."""
    actor.require(Permission.MANAGE_RECALLS)
    require_whole_reach(actor)
    said = _text(note, "note", NOTE_MAX, required=False)

    def work(uow: UnitOfWork) -> bool:
        conn, org = uow.conn, actor.org_id
        row = recalls.recall_by_number(conn, org, number)
        if row is None:
            raise not_found("recall", number)
        if row.status != "open":
            return True
        key = resolve(uow, actor, row.sku, row.lot, row.serial).key
        table = tables.lots if key.lot_id is not None else tables.serials
        locking.lock_for_change(conn, table, org, key.lot_id or key.serial_id or 0)
        if not recalls.release(conn, org, row.id, at=utcnow(), by=actor.user_id, note=said):
            raise Conflict(f"recall {number} changed meanwhile; retry", code="write_conflict")
        recalls.set_hold(conn, org, key, bool(row.held_before))
        audit(uow, actor, "recall", number, "recall.release", note=said or "")
        if not row.held_before:
            _hold_event(uow, actor, resolve(uow, actor, row.sku, row.lot, row.serial), False)
        # Outbox: a recall.released event would be emitted here.
        return False

    replayed = write_retrying(db, work)
    return _read(db, actor, number, replayed=replayed)


def _hold_event(uow: UnitOfWork, actor: Actor, traced: Traced, on_hold: bool) -> None:
    """The lot's hold changed: the outbox's lot.on_hold / lot.released, as a lot update raises
    them (a serial's hold has no event type yet)."""
    if traced.lot is None:
        return
    sku, code = traced.item.sku, traced.lot.code
    events.emit(
        uow,
        actor,
        "lot.on_hold" if on_hold else "lot.released",
        "lot",
        f"{sku}/{code}",
        {"sku": sku, "lot": code, "expiry_date": traced.lot.expiry_date},
    )


def get_recall(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """A recall with its remaining units and the customers to contact, as they are now."""
    actor.require(Permission.READ)
    require_whole_reach(actor)
    return _read(db, actor, number)


def list_recalls(
    db: Database,
    actor: Actor,
    *,
    status: str | None = None,
    sku: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Recalls, newest first, of one item or all, open or released or both."""
    actor.require(Permission.READ)
    if status is not None and status not in ("open", "released"):
        raise InvalidInput("status is open or released", code="invalid_status")
    with db.reading() as uow:
        item_id = None
        if sku is not None:
            item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
            if item is None:
                raise not_found("SKU", sku)
            item_id = item.id
        rows = recalls.list_recalls(
            uow.conn, actor.org_id, status=status, item_id=item_id, limit=limit
        )
        return [recall_out(r) for r in rows]
