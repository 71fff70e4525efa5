"""Lots (batches) with expiry dates, and holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import Tracking
from onhand.domain.movements import LOT_CODE_MAX, check_text
from onhand.domain.traceability import TraceKey
from onhand.services import events
from onhand.services.common import not_found, utcnow
from onhand.store import accounts, catalog, recalls
from onhand.store.unit_of_work import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class HeldLot:
    """A lot to put on hold: its id, SKU, code and expiry date (the event names them)."""

    lot_id: int
    sku: str
    code: str
    expiry_date: date | None


def _out(row: Any, sku: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "sku": sku,
        "code": row.code,
        "expiry_date": row.expiry_date,
        "on_hold": row.on_hold,
        "created_at": row.created_at,
    }


def create_lot(
    db: Database, actor: Actor, *, sku: str, code: str, expiry_date: date | None = None
) -> dict[str, Any]:
    """Register a lot of a lot-tracked item ahead of its receipt."""
    actor.require(Permission.MANAGE_LOTS)
    check_text(code, field="lot", limit=LOT_CODE_MAX)
    now = utcnow()
    with db.writing() as uow:
        item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
        if item is None:
            raise not_found("SKU", sku)
        if item.tracking != Tracking.LOT:
            raise InvalidInput(f"item {sku!r} is not lot-tracked", code="lot_not_tracked")
        if catalog.lots_by_code(uow.conn, actor.org_id, [(item.id, code)]):
            raise Conflict(f"lot {code!r} of {sku} already exists", code="lot_exists")
        lot_id = catalog.insert_lot(
            uow.conn,
            {
                "org_id": actor.org_id,
                "item_id": item.id,
                "code": code,
                "expiry_date": expiry_date,
                "on_hold": False,
                "created_at": now,
                "created_by": actor.user_id,
            },
        )
        if lot_id is None:  # created meanwhile by a concurrent request or posting
            raise Conflict(f"lot {code!r} of {sku} already exists", code="lot_exists")
        row = catalog.lot_by_id(uow.conn, actor.org_id, lot_id)
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="lot.create",
            entity="lot",
            entity_id=row.id,
            detail={"sku": sku, "code": code},
        )
        uow.commit()
        return _out(row, sku)


def get_lot(db: Database, actor: Actor, *, sku: str, code: str) -> dict[str, Any]:
    """One lot of an item by its code."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
        if item is None:
            raise not_found("SKU", sku)
        found = catalog.lots_by_code(uow.conn, actor.org_id, [(item.id, code)])
        if not found:
            raise not_found("lot", code)
        return _out(found[(item.id, code)], sku)


def list_lots(
    db: Database, actor: Actor, *, sku: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Lots, of one item or all."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        item_id = None
        if sku is not None:
            item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
            if item is None:
                raise not_found("SKU", sku)
            item_id = item.id
        return [_out(r, r.sku) for r in catalog.list_lots(uow.conn, actor.org_id, item_id, limit)]


def update_lot(
    db: Database,
    actor: Actor,
    *,
    sku: str,
    code: str,
    expiry_date: date | None = None,
    on_hold: bool | None = None,
) -> dict[str, Any]:
    """Correct a lot's expiry date or put it on / off hold (not off while a recall holds it)."""
    actor.require(Permission.MANAGE_LOTS)
    now = utcnow()
    with db.writing() as uow:
        item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
        if item is None:
            raise not_found("SKU", sku)
        found = catalog.lots_by_code(uow.conn, actor.org_id, [(item.id, code)])
        if not found:
            raise not_found("lot", code)
        lot = found[(item.id, code)]
        if on_hold is False and lot.on_hold:
            recall = recalls.open_recall(uow.conn, actor.org_id, TraceKey(item.id, lot_id=lot.id))
            if recall is not None:
                raise Conflict(
                    f"lot {code!r} of {sku} is held by recall {recall.number}: release the "
                    "recall to lift its hold",
                    code="lot_recalled",
                )
        if on_hold is True and lot.on_hold:
            # Held already, perhaps by a recall: this hold outlasts the recall's release.
            recalls.keep_lots_held(uow.conn, actor.org_id, [lot.id])
        catalog.update_lot(
            uow.conn,
            actor.org_id,
            lot.id,
            expiry_date=expiry_date if expiry_date is not None else lot.expiry_date,
            on_hold=on_hold if on_hold is not None else lot.on_hold,
        )
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="lot.update",
            entity="lot",
            entity_id=lot.id,
            detail={"expiry_date": expiry_date, "on_hold": on_hold},
        )
        if on_hold is not None and on_hold != lot.on_hold:
            _hold_event(
                uow, actor, actor.org_id, sku, code, expiry_date or lot.expiry_date, on_hold
            )
        uow.commit()
    return get_lot(db, actor, sku=sku, code=code)


def _hold_event(
    uow: UnitOfWork,
    actor: Actor | None,
    org_id: int,
    sku: str,
    code: str,
    expiry_date: date | None,
    on_hold: bool,
    **why: Any,
) -> None:
    events.emit(
        uow,
        actor,
        "lot.on_hold" if on_hold else "lot.released",
        "lot",
        f"{sku}/{code}",
        {"sku": sku, "lot": code, "expiry_date": expiry_date, **why},
        org_id=org_id,
    )


def hold_in(
    uow: UnitOfWork, org_id: int, held: Sequence[HeldLot], *, reason: str, **detail: Any
) -> None:
    """Put these lots on hold in the caller's transaction, as the system (no user): each is
    audited with the reason and raises lot.on_hold, as a person's hold does (the caller passes
    only lots not on hold yet). A person releases them with ``update_lot``."""
    now = utcnow()
    for lot in held:
        catalog.update_lot(uow.conn, org_id, lot.lot_id, expiry_date=lot.expiry_date, on_hold=True)
        accounts.record_audit(
            uow.conn,
            org_id=org_id,
            actor_id=None,
            at=now,
            action="lot.hold",
            entity="lot",
            entity_id=lot.lot_id,
            detail={"reason": reason, **detail},
        )
        _hold_event(
            uow, None, org_id, lot.sku, lot.code, lot.expiry_date, True, reason=reason, **detail
        )
