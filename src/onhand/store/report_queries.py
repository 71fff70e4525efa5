"""Reads for exported reports: the organisation's name and the stock status of every item in
every warehouse (on hand, promisable, reserved, on order) in one grouped query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, and_, case, func, literal, or_, select, union_all

from onhand.store.sales import held_paths, outside
from onhand.store.tables import (
    balances,
    commitments,
    items,
    locations,
    lots,
    organisations,
    purchase_order_lines,
    purchase_orders,
    serials,
)

OPEN_PO = ("ordered", "partially_received")


def organisation_name(conn: Connection, org_id: int) -> str:
    return str(
        conn.execute(select(organisations.c.name).where(organisations.c.id == org_id)).scalar_one()
    )


def stock_status(
    conn: Connection,
    org_id: int,
    *,
    today: date,
    scopes: Sequence[int] | None,
    item_ids: Sequence[int] | None,
    category: str | None,
) -> list[Row[Any]]:
    """Per item and warehouse with anything on hand, reserved or on order: on hand in its
    internal locations, the part of it that may be promised (outside held locations, in lots
    neither held nor expired before ``today``, of serials not held), reserved, and open on purchase orders. Sorted by
    warehouse path and SKU; quantities in micro-units."""
    promisable = and_(
        *outside(held_paths(conn, org_id)),
        or_(
            lots.c.id.is_(None),
            and_(
                lots.c.on_hold.is_(False),
                or_(lots.c.expiry_date.is_(None), lots.c.expiry_date >= today),
            ),
        ),
        or_(serials.c.id.is_(None), serials.c.on_hold.is_(False)),
    )
    on_hand = (
        select(
            balances.c.item_id,
            locations.c.warehouse_id,
            balances.c.qty.label("on_hand"),
            case((promisable, balances.c.qty), else_=0).label("promisable"),
            literal(0).label("reserved"),
            literal(0).label("on_order"),
        )
        .select_from(
            balances.join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .outerjoin(serials, serials.c.id == balances.c.serial_id)
        )
        .where(
            balances.c.org_id == org_id,
            locations.c.kind == "internal",
            balances.c.qty != 0,
        )
    )
    reserved = select(
        commitments.c.item_id,
        commitments.c.warehouse_id,
        literal(0),
        literal(0),
        commitments.c.reserved,
        literal(0),
    ).where(commitments.c.org_id == org_id, commitments.c.reserved != 0)
    pol, po = purchase_order_lines, purchase_orders
    on_order = (
        select(
            pol.c.item_id,
            po.c.warehouse_id,
            literal(0),
            literal(0),
            literal(0),
            pol.c.qty_ordered - pol.c.qty_received,
        )
        .join(po, po.c.id == pol.c.po_id)
        .where(
            pol.c.org_id == org_id,
            po.c.status.in_(OPEN_PO),
            pol.c.closed.is_(False),
            pol.c.qty_received < pol.c.qty_ordered,
        )
    )
    parts = union_all(on_hand, reserved, on_order).subquery("parts")
    wh = locations.alias("wh")
    q = (
        select(
            wh.c.path.label("warehouse"),
            items.c.sku,
            items.c.name,
            items.c.category,
            items.c.uom,
            items.c.precision,
            func.sum(parts.c.on_hand).label("on_hand"),
            func.sum(parts.c.promisable).label("promisable"),
            func.sum(parts.c.reserved).label("reserved"),
            func.sum(parts.c.on_order).label("on_order"),
        )
        .select_from(
            parts.join(items, items.c.id == parts.c.item_id).join(
                wh, wh.c.id == parts.c.warehouse_id
            )
        )
        .where(items.c.org_id == org_id)
        .group_by(
            wh.c.path,
            items.c.sku,
            items.c.name,
            items.c.category,
            items.c.uom,
            items.c.precision,
        )
        .order_by(wh.c.path, items.c.sku)
    )
    if scopes is not None:
        q = q.where(parts.c.warehouse_id.in_(list(scopes)))
    if item_ids is not None:
        q = q.where(items.c.id.in_(list(item_ids)))
    if category is not None:
        q = q.where(items.c.category == category)
    return list(conn.execute(q))
