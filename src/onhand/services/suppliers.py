"""Suppliers and what they sell: prices, order minimums, pack sizes, the preferred supplier."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import check_currency
from onhand.domain.locations import check_code
from onhand.domain.purchasing import check_days, check_percent, lead_time
from onhand.domain.quantities import check_money, decimals_of, from_micro, to_micro
from onhand.services.common import check_name, not_found, utcnow
from onhand.services.postings import write_retrying
from onhand.store import accounts, catalog, locking, purchasing, tables
from onhand.store.unit_of_work import Database, UnitOfWork


@dataclass(slots=True)
class SupplierCreate:
    code: str
    name: str
    currency: str = "EUR"
    lead_time_days: int = 7
    lead_time_sd_days: int = 0
    over_receipt_pct: int = 0
    active: bool = True


def _validate(data: SupplierCreate) -> None:
    check_code(data.code)
    check_name(data.name)
    check_currency(data.currency)
    check_days(data.lead_time_days, "lead_time_days")
    check_days(data.lead_time_sd_days, "lead_time_sd_days")
    check_percent(data.over_receipt_pct, "over_receipt_pct")


def _out(uow: UnitOfWork, row: Any) -> dict[str, Any]:
    lt = lead_time(
        row.lead_time_days,
        row.lead_time_sd_days,
        purchasing.observed_lead_times(uow.conn, row.org_id, row.id),
    )
    return {
        "code": row.code,
        "name": row.name,
        "currency": row.currency,
        "lead_time_days": row.lead_time_days,
        "lead_time_sd_days": row.lead_time_sd_days,
        "over_receipt_pct": row.over_receipt_pct,
        "active": row.active,
        "lead_time": {
            "observations": lt.observations,
            "learnt_days": lt.learnt_days,
            "learnt_sd_days": lt.learnt_sd_days,
            "planning_days": lt.days,
            "planning_sd_days": lt.sd_days,
        },
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def supplier_row(uow: UnitOfWork, actor: Actor, code: str) -> Any:
    """The supplier with this code in the actor's organisation, or a 404."""
    row = purchasing.supplier_by_code(uow.conn, actor.org_id, code)
    if row is None:
        raise not_found("supplier", code)
    return row


def create_supplier(db: Database, actor: Actor, data: SupplierCreate) -> dict[str, Any]:
    """Create a supplier; its code is unique in the organisation."""
    actor.require(Permission.MANAGE_PURCHASING)
    _validate(data)
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        if purchasing.supplier_by_code(uow.conn, actor.org_id, data.code) is not None:
            raise _taken(data.code)
        try:
            with uow.conn.begin_nested():
                new_id = purchasing.insert_supplier(
                    uow.conn,
                    {
                        "org_id": actor.org_id,
                        **{k: getattr(data, k) for k in SupplierCreate.__slots__},
                        "created_at": now,
                        "created_by": actor.user_id,
                        "updated_at": now,
                        "updated_by": actor.user_id,
                    },
                )
        except IntegrityError:  # created concurrently
            raise _taken(data.code) from None
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="create",
            entity="supplier",
            entity_id=new_id,
            detail={"code": data.code},
        )
        return _out(uow, supplier_row(uow, actor, data.code))

    return db.write(work)


def _taken(code: str) -> Conflict:
    return Conflict(f"supplier {code!r} already exists", code="supplier_exists")


UPDATABLE = frozenset(
    {"name", "currency", "lead_time_days", "lead_time_sd_days", "over_receipt_pct", "active"}
)


def update_supplier(
    db: Database, actor: Actor, code: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change a supplier's fields (not its code); deactivated suppliers get no new orders."""
    actor.require(Permission.MANAGE_PURCHASING)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(
            f"these fields cannot be changed: {', '.join(sorted(unknown))}",
            code="field_not_updatable",
        )
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = supplier_row(uow, actor, code)
        merged = SupplierCreate(
            **{k: getattr(row, k) for k in SupplierCreate.__slots__} | changes  # type: ignore[arg-type]
        )
        _validate(merged)
        locking.lock_for_change(uow.conn, tables.suppliers, actor.org_id, row.id)
        purchasing.update_supplier(
            uow.conn, actor.org_id, row.id, **changes, updated_at=now, updated_by=actor.user_id
        )
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="update",
            entity="supplier",
            entity_id=row.id,
            detail={k: str(v) for k, v in changes.items()},
        )
        return _out(uow, supplier_row(uow, actor, code))

    return db.write(work)


def get_supplier(db: Database, actor: Actor, code: str) -> dict[str, Any]:
    """A supplier, with the lead time learnt from its receipts."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return _out(uow, supplier_row(uow, actor, code))


def list_suppliers(
    db: Database, actor: Actor, *, active: bool | None = None
) -> list[dict[str, Any]]:
    """The organisation's suppliers by code."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return [
            _out(uow, r) for r in purchasing.list_suppliers(uow.conn, actor.org_id, active=active)
        ]


# --- supplier items -------------------------------------------------------------------------


@dataclass(slots=True)
class SupplierItemSet:
    price: Decimal = Decimal(0)
    supplier_sku: str | None = None
    min_order_qty: Decimal = Decimal(0)
    pack_size: Decimal | None = None
    preferred: bool = False


def _check_item_qty(value: Decimal, precision: int, uom: str, field: str) -> int:
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{field} must be zero or more", code="invalid_quantity")
    if decimals_of(value) > precision:
        raise InvalidInput(
            f"{field} {value} has more decimals than unit {uom!r} allows ({precision})",
            code="quantity_precision",
        )
    if value >= 10**12:
        raise InvalidInput(f"{field} {value} is too large", code="quantity_too_large")
    return to_micro(value)


def supplier_item_out(r: Any) -> dict[str, Any]:
    return {
        "supplier": r.supplier_code,
        "sku": r.sku,
        "supplier_sku": r.supplier_sku,
        "price": from_micro(r.price),
        "currency": r.currency,
        "min_order_qty": from_micro(r.min_order_qty, r.precision),
        "pack_size": None if r.pack_size is None else from_micro(r.pack_size, r.precision),
        "preferred": r.preferred,
    }


def set_supplier_item(
    db: Database, actor: Actor, supplier_code: str, sku: str, data: SupplierItemSet
) -> dict[str, Any]:
    """Create or replace what a supplier sells of an item; a preferred one replaces the item's
    previous preferred supplier."""
    actor.require(Permission.MANAGE_PURCHASING)
    check_money(data.price, field="price")
    if data.supplier_sku is not None:
        check_name(data.supplier_sku, "supplier_sku", 64)
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        supplier = supplier_row(uow, actor, supplier_code)
        item = catalog.item_by_sku(conn, org, sku)
        if item is None:
            raise not_found("SKU", sku)
        moq = _check_item_qty(data.min_order_qty, item.precision, item.uom, "min_order_qty")
        pack = None
        if data.pack_size is not None:
            pack = _check_item_qty(data.pack_size, item.precision, item.uom, "pack_size")
            if pack == 0:
                raise InvalidInput("pack_size must be greater than zero", code="invalid_quantity")
        values = {
            "supplier_sku": data.supplier_sku,
            "price": to_micro(data.price),
            "min_order_qty": moq,
            "pack_size": pack,
            "preferred": data.preferred,
            "updated_at": now,
        }
        if data.preferred:
            purchasing.clear_preferred(conn, org, item.id)
        existing = purchasing.supplier_item(conn, org, supplier.id, item.id)
        if existing is None:
            purchasing.insert_supplier_item(
                conn,
                {
                    "org_id": org,
                    "supplier_id": supplier.id,
                    "item_id": item.id,
                    "created_at": now,
                    "created_by": actor.user_id,
                    **values,
                },
            )
        else:
            purchasing.update_supplier_item(conn, org, existing.id, **values)
        accounts.record_audit(
            conn,
            org_id=org,
            actor_id=actor.user_id,
            at=now,
            action="set_supplier_item",
            entity="supplier",
            entity_id=supplier.id,
            detail={"sku": sku, "price": str(data.price), "preferred": data.preferred},
        )
        row = purchasing.supplier_item(conn, org, supplier.id, item.id)
        return supplier_item_out(row)

    return write_retrying(db, work)


def list_supplier_items(
    db: Database, actor: Actor, *, supplier: str | None = None, sku: str | None = None
) -> list[dict[str, Any]]:
    """What suppliers sell, filtered by supplier code or SKU."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        supplier_id = supplier_row(uow, actor, supplier).id if supplier is not None else None
        item_id = None
        if sku is not None:
            item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
            if item is None:
                raise not_found("SKU", sku)
            item_id = item.id
        rows = purchasing.list_supplier_items(
            uow.conn, actor.org_id, supplier_id=supplier_id, item_id=item_id
        )
    return [supplier_item_out(r) for r in rows]
