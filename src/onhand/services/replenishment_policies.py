"""Replenishment policies per item and warehouse: set, read, list, clear."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.planning import PolicySettings
from onhand.domain.quantities import check_money, check_quantity, from_micro, to_micro
from onhand.services.common import audit, not_found, utcnow
from onhand.services.sales_orders import warehouse_row
from onhand.store import catalog, planning
from onhand.store.unit_of_work import Database, UnitOfWork


def _item(uow: UnitOfWork, actor: Actor, sku: str) -> Any:
    ref = catalog.item_refs_by_sku(uow.conn, actor.org_id, [sku]).get(sku)
    if ref is None:
        raise not_found("SKU", sku)
    return ref


def _micro(value: Decimal | None) -> int | None:
    return None if value is None else to_micro(value)


def _out_micro(value: int | None, precision: int = 6) -> Decimal | None:
    return None if value is None else from_micro(value, precision)


def policy_out(row: Any, warehouse: str) -> dict[str, Any]:
    """A stored policy as the API and CLI show it; unset fields are None (the run's default)."""
    p = row.precision
    return {
        "sku": row.sku,
        "warehouse": warehouse,
        "kind": row.kind,
        "service_type": row.service_type,
        "service_level": _out_micro(row.service_level),
        "review_days": row.review_days,
        "order_qty": _out_micro(row.order_qty, p),
        "min_qty": _out_micro(row.min_qty, p),
        "max_qty": _out_micro(row.max_qty, p),
        "order_cost": _out_micro(row.order_cost),
        "carrying_rate": _out_micro(row.carrying_rate),
        "source_warehouse": row.source_warehouse,
        "transfer_days": row.transfer_days,
        "updated_at": row.updated_at,
    }


def set_policy(
    db: Database, actor: Actor, sku: str, warehouse: str, data: PolicySettings
) -> dict[str, Any]:
    """Set (create or replace) the replenishment policy of an item at a warehouse."""
    actor.require(Permission.MANAGE_PLANNING)
    data.check()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        wh = warehouse_row(uow, actor, warehouse)
        item = _item(uow, actor, sku)
        for name in ("order_qty", "min_qty", "max_qty"):
            value = getattr(data, name)
            if value is not None and value > 0:
                check_quantity(value, precision=item.precision, uom=item.uom, field=name)
        if data.order_cost is not None:
            check_money(data.order_cost, field="order_cost")
        source_id = None
        if data.source_warehouse is not None:
            source = warehouse_row(uow, actor, data.source_warehouse)
            if source.id == wh.id:
                raise InvalidInput(
                    "a warehouse cannot replenish from itself", code="source_is_destination"
                )
            source_id = source.id
        now = utcnow()
        planning.save_policy(
            uow.conn,
            {
                "org_id": actor.org_id,
                "item_id": item.id,
                "warehouse_id": wh.id,
                "kind": data.kind,
                "service_type": data.service_type,
                "service_level": _micro(data.service_level),
                "review_days": data.review_days,
                "order_qty": _micro(data.order_qty),
                "min_qty": _micro(data.min_qty),
                "max_qty": _micro(data.max_qty),
                "order_cost": _micro(data.order_cost),
                "carrying_rate": _micro(data.carrying_rate),
                "source_warehouse_id": source_id,
                "transfer_days": data.transfer_days,
                "updated_at": now,
                "updated_by": actor.user_id,
            },
        )
        audit(uow, actor, "replenishment_policy", f"{sku}@{wh.path}", "set", kind=data.kind)
        row = planning.policy_of(uow.conn, actor.org_id, item.id, wh.id)
        return policy_out(row, wh.path)

    return db.write(work)


def get_policy(db: Database, actor: Actor, sku: str, warehouse: str) -> dict[str, Any]:
    """The policy of an item at a warehouse (404 when none is set: the run's defaults apply)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        wh = warehouse_row(uow, actor, warehouse)
        item = _item(uow, actor, sku)
        row = planning.policy_of(uow.conn, actor.org_id, item.id, wh.id)
        if row is None:
            raise not_found("policy", f"{sku} at {wh.path}")
        return policy_out(row, wh.path)


def list_policies(db: Database, actor: Actor, warehouse: str) -> list[dict[str, Any]]:
    """Every policy set at a warehouse, by SKU."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        wh = warehouse_row(uow, actor, warehouse)
        return [
            policy_out(r, wh.path)
            for r in planning.policies_of_warehouse(uow.conn, actor.org_id, wh.id)
        ]


def clear_policy(db: Database, actor: Actor, sku: str, warehouse: str) -> None:
    """Remove an item's policy at a warehouse: the run's defaults apply again."""
    actor.require(Permission.MANAGE_PLANNING)

    def work(uow: UnitOfWork) -> None:
        wh = warehouse_row(uow, actor, warehouse)
        item = _item(uow, actor, sku)
        if not planning.delete_policy(uow.conn, actor.org_id, item.id, wh.id):
            raise not_found("policy", f"{sku} at {wh.path}")
        audit(uow, actor, "replenishment_policy", f"{sku}@{wh.path}", "clear")

    db.write(work)
