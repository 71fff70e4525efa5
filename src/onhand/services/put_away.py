"""Put-away: moving received stock from the receiving location to a bin, with a suggested bin.

The suggestion, in order: a bin of the same warehouse that already holds the item (the same lot
first, then the most stock); else the first empty bin (by path) in the item's put-away zone for
that warehouse; else the first empty bin in the warehouse. A bin is an active internal location
without active children and not on hold; the location the stock comes from and the warehouse's
outbound location are never suggested.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.services import postings
from onhand.services.common import not_found, stock_location
from onhand.services.postings import MovementInput, write_retrying
from onhand.store import catalog, ledger, put_away, sales, sites
from onhand.store.unit_of_work import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class Suggestion:
    bin: str
    reason: str


def _item(uow: UnitOfWork, actor: Actor, sku: str) -> Any:
    row = catalog.item_by_sku(uow.conn, actor.org_id, sku)
    if row is None:
        raise not_found("SKU", sku)
    return row


def _suggest(uow: UnitOfWork, actor: Actor, item: Any, source: Any, lot: str | None) -> Suggestion:
    conn, org = uow.conn, actor.org_id
    warehouse = sites.location_by_id(conn, org, source.warehouse_id)
    settings = sales.settings_of(conn, org, [warehouse.id]).get(warehouse.id)
    # Never the source, nor where picked stock waits to ship.
    exclude = [source.id] + (
        [settings.outbound_location_id] if settings and settings.outbound_location_id else []
    )
    on_hold = sales.held_paths(conn, org)
    held = put_away.bins_holding(conn, org, item.id, warehouse.path, exclude, lot, on_hold)
    if held:
        best = held[0]
        why = "holds this lot" if lot is not None and best.lot == lot else "holds this item"
        return Suggestion(best.path, why)
    zone = put_away.home_zone(conn, org, item.id, warehouse.id)
    if zone is not None:
        empty = put_away.first_empty_bin(conn, org, zone.path, exclude, on_hold)
        if empty is not None:
            return Suggestion(empty.path, f"empty bin in the item's put-away zone {zone.path}")
    empty = put_away.first_empty_bin(conn, org, warehouse.path, exclude, on_hold)
    if empty is not None:
        return Suggestion(empty.path, f"empty bin in {warehouse.path}")
    raise Conflict(
        f"no bin in {warehouse.path} holds {item.sku} and none is empty",
        code="no_bin_available",
    )


def suggest_bin(
    db: Database, actor: Actor, sku: str, source: str, *, lot: str | None = None
) -> Suggestion:
    """Where to put away ``sku`` now at ``source`` (see the module docstring for the order)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        item = _item(uow, actor, sku)
        return _suggest(uow, actor, item, stock_location(uow, actor, source), lot)


def set_put_away_zone(db: Database, actor: Actor, sku: str, zone: str) -> dict[str, Any]:
    """Make ``zone`` the item's put-away zone in the zone's warehouse."""
    actor.require(Permission.MANAGE_MASTER_DATA)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        item = _item(uow, actor, sku)
        loc = stock_location(uow, actor, zone)
        if loc.id == loc.warehouse_id:
            raise InvalidInput(f"{zone} is a warehouse: give a zone inside it", code="not_a_zone")
        put_away.set_home_zone(uow.conn, actor.org_id, item.id, loc.warehouse_id, loc.id)
        return {"sku": sku, "zone": loc.path}

    return db.write(work)


def put_away_stock(
    db: Database,
    actor: Actor,
    *,
    sku: str,
    source: str,
    quantity: Decimal,
    to: str | None = None,
    lot: str | None = None,
    serial: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Move stock from a receiving location to a bin: ``to``, or the suggested bin."""
    actor.require(Permission.POST_MOVEMENTS)

    key = f"putaway:{idempotency_key}" if idempotency_key else None

    def work(uow: UnitOfWork) -> dict[str, Any]:
        item = _item(uow, actor, sku)
        src = stock_location(uow, actor, source)
        target = to
        reason = "chosen"
        earlier = ledger.find_posting(uow.conn, actor.org_id, key) if key else None
        if target is None and earlier is not None:
            # A retry goes where the first attempt went, whatever would be suggested now.
            moved = ledger.movements_of_posting(uow.conn, actor.org_id, earlier.id)
            target, reason = moved[0].to_path, "replayed"
        if target is None:
            suggestion = _suggest(uow, actor, item, src, lot)
            target, reason = suggestion.bin, suggestion.reason
        line = MovementInput(
            sku=sku,
            from_location=source,
            to_location=target,
            quantity=quantity,
            lot=lot,
            serial=serial,
            ref_type="putaway",
            reason="put-away",
        )
        posted = postings.post_in(uow, actor, [line], idempotency_key=key)
        return {
            "to": target,
            "why": reason,
            "posting_id": posted.posting_id,
            "movement_ids": posted.movement_ids,
            "replayed": posted.replayed,
        }

    return write_retrying(db, work)
