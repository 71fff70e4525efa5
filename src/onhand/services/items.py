"""Item master data: create, read, update, deactivate."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import (
    Tracking,
    check_barcodes,
    check_currency,
    check_precision,
    check_shelf_life,
    check_sku,
)
from onhand.domain.quantities import check_money, from_micro, to_micro
from onhand.services import valuation
from onhand.services.common import check_name, not_found, utcnow
from onhand.store import accounts, catalog, locking, tables
from onhand.store.unit_of_work import Database, UnitOfWork

# Fields whose change would reinterpret existing movements.
LEDGER_FIELDS = ("uom", "precision", "tracking")
# Fields an update may set to None.
CLEARABLE = frozenset({"category", "shelf_life_days", "weight"})


@dataclass(slots=True)
class ItemCreate:
    sku: str
    name: str
    uom: str = "ea"
    precision: int = 0
    unit_cost: Decimal = Decimal(0)
    currency: str = "EUR"
    category: str | None = None
    tracking: str = "none"
    shelf_life_days: int | None = None
    barcodes: list[str] = field(default_factory=list)
    active: bool = True
    weight: Decimal | None = None  # kilograms a unit: what landed costs by weight split by


def _tracking(value: str) -> Tracking:
    try:
        return Tracking(value)
    except ValueError:
        raise InvalidInput(
            f"tracking must be none, lot or serial, got {value[:20]!r}", code="invalid_tracking"
        ) from None


def _check_uom(uom: str) -> str:
    if not uom or len(uom) > 16 or not uom.isprintable() or " " in uom:
        raise InvalidInput(
            "unit of measure must be 1-16 characters without spaces", code="invalid_uom"
        )
    return uom


def validate(data: ItemCreate) -> ItemCreate:
    check_sku(data.sku)
    check_name(data.name)
    _check_uom(data.uom)
    check_precision(data.precision)
    check_money(data.unit_cost)
    check_currency(data.currency)
    if data.weight is not None:
        check_money(data.weight, field="weight")
    _tracking(data.tracking)
    check_shelf_life(data.shelf_life_days)
    check_barcodes(data.barcodes)
    if data.category is not None:
        check_name(data.category, "category", 100)
    return data


def _out(row: Any, barcodes: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "sku": row.sku,
        "name": row.name,
        "category": row.category,
        "uom": row.uom,
        "precision": row.precision,
        "unit_cost": from_micro(row.unit_cost),
        "currency": row.currency,
        "tracking": row.tracking,
        "shelf_life_days": row.shelf_life_days,
        "weight": None if row.weight is None else from_micro(row.weight).normalize(),
        "barcodes": barcodes,
        "active": row.active,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _ensure_barcodes_free(
    uow: UnitOfWork, org_id: int, item_id: int | None, codes: list[str]
) -> None:
    owners = catalog.barcode_owners(uow.conn, org_id, codes)
    for code, owner in owners.items():
        if owner != item_id:
            raise Conflict(
                f"barcode {code!r} already belongs to another item", code="barcode_taken"
            )


def create_items(db: Database, actor: Actor, batch: list[ItemCreate]) -> list[dict[str, Any]]:
    """Create items in one transaction (all or none)."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    for data in batch:
        validate(data)
    now = utcnow()
    with db.writing() as uow:
        skus = [d.sku for d in batch]
        if len(set(skus)) != len(skus):
            raise InvalidInput("the same SKU appears twice", code="duplicate_sku")
        taken = catalog.item_refs_by_sku(uow.conn, actor.org_id, skus)
        if taken:
            sku = sorted(taken)[0]
            raise Conflict(f"SKU {sku!r} already exists", code="sku_exists", sku=sku)
        for data in batch:
            _ensure_barcodes_free(uow, actor.org_id, None, data.barcodes)
            try:
                item_id = catalog.insert_item(
                    uow.conn,
                    {
                        "org_id": actor.org_id,
                        "sku": data.sku,
                        "name": data.name,
                        "category": data.category,
                        "uom": data.uom,
                        "precision": data.precision,
                        "unit_cost": to_micro(data.unit_cost),
                        "currency": data.currency,
                        "tracking": data.tracking,
                        "shelf_life_days": data.shelf_life_days,
                        "weight": None if data.weight is None else to_micro(data.weight),
                        "active": data.active,
                        "created_at": now,
                        "created_by": actor.user_id,
                        "updated_at": now,
                        "updated_by": actor.user_id,
                    },
                )
                catalog.replace_barcodes(uow.conn, actor.org_id, item_id, data.barcodes)
            except IntegrityError:
                raise Conflict(
                    f"SKU {data.sku!r} or one of its barcodes already exists", code="sku_exists"
                ) from None
            accounts.record_audit(
                uow.conn,
                org_id=actor.org_id,
                actor_id=actor.user_id,
                at=now,
                action="item.create",
                entity="item",
                entity_id=data.sku,
            )
        uow.commit()
    return [get_item(db, actor, d.sku) for d in batch] if len(batch) <= 100 else []


def get_item(db: Database, actor: Actor, sku: str) -> dict[str, Any]:
    """One item by SKU."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        row = catalog.item_by_sku(uow.conn, actor.org_id, sku)
        if row is None:
            raise not_found("SKU", sku)
        return _out(row, catalog.barcodes_of(uow.conn, actor.org_id, [row.id])[row.id])


def list_items(
    db: Database,
    actor: Actor,
    *,
    category: str | None = None,
    active: bool | None = None,
    search: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Items by SKU order, keyset-paged with ``after`` (the last SKU of the previous page)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = catalog.list_items(
            uow.conn,
            actor.org_id,
            category=category,
            active=active,
            search=search,
            after_sku=after,
            limit=limit,
        )
        codes = catalog.barcodes_of(uow.conn, actor.org_id, [r.id for r in rows])
        return [_out(r, codes[r.id]) for r in rows]


def count_items(
    db: Database,
    actor: Actor,
    *,
    category: str | None = None,
    active: bool | None = None,
    search: str | None = None,
    after: str | None = None,
) -> int:
    """How many items ``list_items`` finds with the same filters (after ``after``, if given)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return catalog.count_items(
            uow.conn,
            actor.org_id,
            category=category,
            active=active,
            search=search,
            after_sku=after,
        )


def update_item(db: Database, actor: Actor, sku: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change an item's fields; unit and tracking only while it has no movements."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    now = utcnow()
    with db.writing() as uow:
        row = catalog.item_by_sku(uow.conn, actor.org_id, sku)
        if row is None:
            raise not_found("SKU", sku)
        # Postings share-lock the item: wait for those in flight, then re-read it.
        locking.lock_for_change(uow.conn, tables.items, actor.org_id, row.id)
        row = catalog.item_by_sku(uow.conn, actor.org_id, sku)
        current = ItemCreate(
            sku=row.sku,
            name=row.name,
            uom=row.uom,
            precision=row.precision,
            unit_cost=from_micro(row.unit_cost),
            currency=row.currency,
            category=row.category,
            tracking=row.tracking,
            shelf_life_days=row.shelf_life_days,
            weight=None if row.weight is None else from_micro(row.weight),
            active=row.active,
            barcodes=catalog.barcodes_of(uow.conn, actor.org_id, [row.id])[row.id],
        )
        unknown = set(changes) - set(ItemCreate.__dataclass_fields__) - {"sku"}
        if unknown or changes.get("sku", sku) != sku:
            raise InvalidInput("the SKU of an item cannot be changed", code="sku_immutable")
        for key in set(changes) - CLEARABLE:
            if changes[key] is None:
                raise InvalidInput(f"{key} cannot be empty", code=f"invalid_{key}")
        for key, value in changes.items():
            setattr(current, key, value)
        validate(current)
        if any(changes.get(f, getattr(row, f)) != getattr(row, f) for f in LEDGER_FIELDS) and (
            catalog.item_has_movements(uow.conn, actor.org_id, row.id)
        ):
            raise Conflict(
                f"item {sku!r} has movements: its unit, precision and tracking cannot change",
                code="item_has_movements",
            )
        if changes.get("active") is False and row.active:
            _ensure_no_stock(uow, actor.org_id, row.id, sku)
        if "barcodes" in changes:
            _ensure_barcodes_free(uow, actor.org_id, row.id, current.barcodes)
            try:
                catalog.replace_barcodes(uow.conn, actor.org_id, row.id, current.barcodes)
            except IntegrityError:  # another item took one of them meanwhile (PostgreSQL)
                raise Conflict(
                    "one of these barcodes already belongs to another item", code="barcode_taken"
                ) from None
        values = {k: v for k, v in changes.items() if k not in ("barcodes", "sku")}
        if "unit_cost" in values:
            values["unit_cost"] = to_micro(current.unit_cost)
        if values.get("weight") is not None:
            values["weight"] = to_micro(current.weight)
        catalog.update_item(
            uow.conn,
            actor.org_id,
            row.id,
            values | {"updated_at": now, "updated_by": actor.user_id},
        )
        if any(getattr(current, f) != getattr(row, f) for f in ("category", "currency")) or (
            to_micro(current.unit_cost) != row.unit_cost
        ):
            valuation.restate_items(uow, actor.org_id, [row.id], now)
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="item.update",
            entity="item",
            entity_id=sku,
            detail=changes,
        )
        uow.commit()
    return get_item(db, actor, sku)


def _ensure_no_stock(uow: UnitOfWork, org_id: int, item_id: int, sku: str) -> None:
    if catalog.item_stock_in_stock_locations(uow.conn, org_id, item_id) != 0:
        raise Conflict(
            f"item {sku!r} still has stock on hand: move or adjust it out first",
            code="item_has_stock",
        )


def deactivate_item(db: Database, actor: Actor, sku: str) -> dict[str, Any]:
    """Deactivate (never delete) an item; refused while it has stock on hand."""
    return update_item(db, actor, sku, {"active": False})
