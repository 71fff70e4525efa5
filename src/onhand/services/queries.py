"""Reads: on-hand by item, location (with the tree roll-up) and lot, now or as of a past time;
an item's movement history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import from_micro
from onhand.services.common import not_found, utcnow
from onhand.store import catalog, ledger, sites, stock
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_PAGE = 1000


def _check_as_of(as_of: datetime | None) -> datetime | None:
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput(
            "as_of must include a time zone, e.g. 2026-03-03T14:00:00Z", code="naive_datetime"
        )
    return as_of


def _item(uow: UnitOfWork, actor: Actor, sku: str) -> Any:
    row = catalog.item_by_sku(uow.conn, actor.org_id, sku)
    if row is None:
        raise not_found("SKU", sku)
    return row


def _location(uow: UnitOfWork, actor: Actor, path: str) -> Any:
    row = sites.location_by_path(uow.conn, actor.org_id, path)
    if row is None:
        raise not_found("location", path)
    return row


def _line(r: Any, precision: int) -> dict[str, Any]:
    out: dict[str, Any] = {"quantity": from_micro(r.qty, precision)}
    if "path" in r._fields:
        out["location"] = r.path
    if "sku" in r._fields:
        out["sku"] = r.sku
        out["name"] = r.name
        out["uom"] = r.uom
    out["lot"] = r.lot
    out["expiry_date"] = r.expiry_date
    out["serial"] = r.serial
    return out


def on_hand_by_item(
    db: Database,
    actor: Actor,
    sku: str,
    *,
    as_of: datetime | None = None,
    lot: str | None = None,
    include_virtual: bool = False,
) -> dict[str, Any]:
    """Where an item is, per location, lot and serial; the total counts stock locations only."""
    actor.require(Permission.READ)
    _check_as_of(as_of)
    with db.reading() as uow:
        item = _item(uow, actor, sku)
        lot_id = None
        if lot is not None:
            found = catalog.lots_by_code(uow.conn, actor.org_id, [(item.id, lot)])
            if not found:
                raise not_found("lot", lot)
            lot_id = found[(item.id, lot)].id
        rows = stock.on_hand_of_item(
            uow.conn,
            actor.org_id,
            item.id,
            as_of=as_of,
            lot_id=lot_id,
            stock_only=not include_virtual,
        )
    # A user restricted to some warehouses sees the item only there (and in virtual locations).
    rows = [r for r in rows if actor.may_touch_warehouse(r.warehouse_id)]
    total = sum(r.qty for r in rows if r.kind in ("internal", "transit"))
    return {
        "sku": item.sku,
        "uom": item.uom,
        "as_of": as_of or utcnow(),
        "lot": lot,
        "total": from_micro(total, item.precision),
        "lines": [_line(r, item.precision) | {"location_kind": r.kind} for r in rows],
    }


def on_hand_totals(db: Database, actor: Actor, skus: list[str]) -> dict[str, Decimal]:
    """The stock (internal and transit locations) of each of these SKUs, as ``on_hand_by_item``
    totals it, in one query; unknown SKUs are left out."""
    actor.require(Permission.READ)
    if len(skus) > MAX_PAGE:
        raise InvalidInput(f"at most {MAX_PAGE} SKUs at once", code="too_many_items")
    with db.reading() as uow:
        refs = catalog.item_refs_by_sku(uow.conn, actor.org_id, skus)
        totals = stock.totals_of_items(
            uow.conn,
            actor.org_id,
            [r.id for r in refs.values()],
            warehouse_ids=actor.warehouse_ids,
        )
    return {sku: from_micro(totals.get(r.id, 0), r.precision) for sku, r in refs.items()}


def on_hand_by_location(
    db: Database,
    actor: Actor,
    path: str,
    *,
    rollup: bool = True,
    as_of: datetime | None = None,
    sku: str | None = None,
    by_location: bool = False,
) -> dict[str, Any]:
    """What a location holds; with ``rollup`` its whole subtree (a warehouse includes its bins)."""
    actor.require(Permission.READ)
    _check_as_of(as_of)
    with db.reading() as uow:
        loc = _location(uow, actor, path)
        actor.require_warehouse(loc.warehouse_id, loc.path)
        item_id = _item(uow, actor, sku).id if sku is not None else None
        rows = stock.on_hand_in_location(
            uow.conn,
            actor.org_id,
            loc.path,
            loc.id,
            rollup=rollup,
            as_of=as_of,
            item_id=item_id,
            by_location=by_location,
        )
    return {
        "location": loc.path,
        "rollup": rollup,
        "as_of": as_of or utcnow(),
        "lines": [_line(r, r.precision) for r in rows],
    }


def _movement_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "posting_id": r.posting_id,
        "sku": r.sku,
        "from": r.from_path,
        "to": r.to_path,
        "quantity": from_micro(r.qty, r.precision),
        "lot": r.lot_code,
        "serial": r.serial_code,
        "effective_at": r.effective_at,
        "recorded_at": r.recorded_at,
        "ref_type": r.ref_type,
        "ref_id": r.ref_id,
        "reason": r.reason,
        "actor_id": r.actor_id,
        "reverses_id": r.reverses_id,
        "hash": r.hash,
    }


def get_movement(db: Database, actor: Actor, movement_id: int) -> dict[str, Any]:
    """One movement by id."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        row = ledger.movement_by_id(uow.conn, actor.org_id, movement_id)
        if row is None:
            raise not_found("movement", movement_id)
        out = _movement_out(row)
        out["reversed_by"] = ledger.reversal_of(uow.conn, actor.org_id, movement_id)
        return out


def movements_of_posting(db: Database, actor: Actor, posting_id: int) -> list[dict[str, Any]]:
    """The movements one posting made, in order."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = ledger.movements_of_posting(uow.conn, actor.org_id, posting_id)
        return _with_reversals(uow, actor, rows)


def _with_reversals(uow: UnitOfWork, actor: Actor, rows: list[Any]) -> list[dict[str, Any]]:
    """Movements as the API shows them, each with the id of the movement reversing it."""
    reversed_by = ledger.reversals_of(uow.conn, actor.org_id, [r.id for r in rows])
    return [_movement_out(r) | {"reversed_by": reversed_by.get(r.id)} for r in rows]


def item_history(
    db: Database,
    actor: Actor,
    sku: str,
    *,
    location: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ref_type: str | None = None,
    ref_id: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """An item's movements, newest first; pass ``next_before_id`` back to get the next page.
    A user restricted to some warehouses sees the movements into or out of them only."""
    actor.require(Permission.READ)
    _check_as_of(since)
    _check_as_of(until)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", code="invalid_limit")
    with db.reading() as uow:
        item = _item(uow, actor, sku)
        location_id = _location(uow, actor, location).id if location is not None else None
        rows = ledger.history(
            uow.conn,
            actor.org_id,
            item_id=item.id,
            location_id=location_id,
            since=since,
            until=until,
            ref_type=ref_type,
            ref_id=ref_id,
            after_id=before_id,
            limit=limit,
            warehouse_ids=actor.warehouse_ids,
        )
        out = _with_reversals(uow, actor, rows)
    return {
        "sku": item.sku,
        "movements": out,
        "next_before_id": rows[-1].id if len(rows) == limit else None,
    }
