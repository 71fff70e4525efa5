"""Suppliers, their items, purchase orders, their lines and receipts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, insert, select, update

from onhand.store.tables import (
    items,
    locations,
    purchase_order_lines,
    purchase_orders,
    receipts,
    supplier_items,
    suppliers,
)

# --- suppliers ------------------------------------------------------------------------------


def insert_supplier(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(suppliers).values(**values)).inserted_primary_key[0])


def supplier_by_code(conn: Connection, org_id: int, code: str) -> Row[Any] | None:
    return conn.execute(
        select(suppliers).where(suppliers.c.org_id == org_id, suppliers.c.code == code)
    ).first()


def supplier_by_id(conn: Connection, org_id: int, supplier_id: int) -> Row[Any] | None:
    return conn.execute(
        select(suppliers).where(suppliers.c.org_id == org_id, suppliers.c.id == supplier_id)
    ).first()


def list_suppliers(conn: Connection, org_id: int, *, active: bool | None) -> list[Row[Any]]:
    q = select(suppliers).where(suppliers.c.org_id == org_id)
    if active is not None:
        q = q.where(suppliers.c.active == active)
    return list(conn.execute(q.order_by(suppliers.c.code)))


def update_supplier(conn: Connection, org_id: int, supplier_id: int, **values: Any) -> None:
    conn.execute(
        update(suppliers)
        .where(suppliers.c.org_id == org_id, suppliers.c.id == supplier_id)
        .values(**values)
    )


def observed_lead_times(conn: Connection, org_id: int, supplier_id: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            select(receipts.c.lead_time_days).where(
                receipts.c.org_id == org_id,
                receipts.c.supplier_id == supplier_id,
                receipts.c.lead_time_days.is_not(None),
            )
        )
    ]


# --- what a supplier sells ------------------------------------------------------------------

_supplier_item_cols = (
    supplier_items,
    suppliers.c.code.label("supplier_code"),
    suppliers.c.currency,
    items.c.sku,
    items.c.precision,
)


def _supplier_item_query() -> Any:
    return (
        select(*_supplier_item_cols)
        .join(suppliers, suppliers.c.id == supplier_items.c.supplier_id)
        .join(items, items.c.id == supplier_items.c.item_id)
    )


def supplier_item(conn: Connection, org_id: int, supplier_id: int, item_id: int) -> Row[Any] | None:
    return conn.execute(
        _supplier_item_query().where(
            supplier_items.c.org_id == org_id,
            supplier_items.c.supplier_id == supplier_id,
            supplier_items.c.item_id == item_id,
        )
    ).first()


def list_supplier_items(
    conn: Connection, org_id: int, *, supplier_id: int | None, item_id: int | None
) -> list[Row[Any]]:
    q = _supplier_item_query().where(supplier_items.c.org_id == org_id)
    if supplier_id is not None:
        q = q.where(supplier_items.c.supplier_id == supplier_id)
    if item_id is not None:
        q = q.where(supplier_items.c.item_id == item_id)
    return list(conn.execute(q.order_by(suppliers.c.code, items.c.sku)))


def insert_supplier_item(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(supplier_items).values(**values))


def update_supplier_item(conn: Connection, org_id: int, row_id: int, **values: Any) -> None:
    conn.execute(
        update(supplier_items)
        .where(supplier_items.c.org_id == org_id, supplier_items.c.id == row_id)
        .values(**values)
    )


def clear_preferred(conn: Connection, org_id: int, item_id: int) -> None:
    conn.execute(
        update(supplier_items)
        .where(
            supplier_items.c.org_id == org_id,
            supplier_items.c.item_id == item_id,
            supplier_items.c.preferred.is_(True),
        )
        .values(preferred=False)
    )


# --- purchase orders ------------------------------------------------------------------------

_wh = locations.alias("wh")
_recv = locations.alias("recv")

_po_query = (
    select(
        purchase_orders,
        suppliers.c.code.label("supplier_code"),
        suppliers.c.over_receipt_pct,
        _wh.c.path.label("warehouse"),
        _recv.c.path.label("receive_to"),
    )
    .join(suppliers, suppliers.c.id == purchase_orders.c.supplier_id)
    .join(_wh, _wh.c.id == purchase_orders.c.warehouse_id)
    .join(_recv, _recv.c.id == purchase_orders.c.receive_to_id)
)


def insert_po(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(purchase_orders).values(**values)).inserted_primary_key[0])


def po_by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    return conn.execute(
        _po_query.where(purchase_orders.c.org_id == org_id, purchase_orders.c.number == number)
    ).first()


def list_pos(
    conn: Connection,
    org_id: int,
    *,
    status: str | None,
    supplier_id: int | None,
    limit: int,
    offset: int,
) -> list[Row[Any]]:
    q = _po_query.where(purchase_orders.c.org_id == org_id)
    if status is not None:
        q = q.where(purchase_orders.c.status == status)
    if supplier_id is not None:
        q = q.where(purchase_orders.c.supplier_id == supplier_id)
    q = q.order_by(purchase_orders.c.id.desc()).limit(limit).offset(offset)
    return list(conn.execute(q))


def update_po(conn: Connection, org_id: int, po_id: int, **values: Any) -> None:
    conn.execute(
        update(purchase_orders)
        .where(purchase_orders.c.org_id == org_id, purchase_orders.c.id == po_id)
        .values(**values)
    )


def lines_of(conn: Connection, org_id: int, po_ids: Sequence[int]) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(
                purchase_order_lines,
                items.c.sku,
                items.c.precision,
                items.c.tracking,
                items.c.uom,
            )
            .join(items, items.c.id == purchase_order_lines.c.item_id)
            .where(
                purchase_order_lines.c.org_id == org_id,
                purchase_order_lines.c.po_id.in_(list(po_ids)),
            )
            .order_by(purchase_order_lines.c.po_id, purchase_order_lines.c.line_no)
        )
    )


def replace_lines(conn: Connection, org_id: int, po_id: int, rows: list[dict[str, Any]]) -> None:
    conn.execute(
        delete(purchase_order_lines).where(
            purchase_order_lines.c.org_id == org_id, purchase_order_lines.c.po_id == po_id
        )
    )
    if rows:
        conn.execute(insert(purchase_order_lines), rows)


def add_received(conn: Connection, org_id: int, line_id: int, qty: int, limit: int) -> bool:
    """Guarded: add ``qty`` to a line's received quantity unless that passes ``limit``."""
    done = conn.execute(
        update(purchase_order_lines)
        .where(
            purchase_order_lines.c.org_id == org_id,
            purchase_order_lines.c.id == line_id,
            purchase_order_lines.c.qty_received + qty <= limit,
        )
        .values(qty_received=purchase_order_lines.c.qty_received + qty)
    )
    return done.rowcount == 1


def close_open_lines(conn: Connection, org_id: int, po_id: int) -> None:
    conn.execute(
        update(purchase_order_lines)
        .where(
            purchase_order_lines.c.org_id == org_id,
            purchase_order_lines.c.po_id == po_id,
            purchase_order_lines.c.qty_received < purchase_order_lines.c.qty_ordered,
        )
        .values(closed=True)
    )


# --- receipts -------------------------------------------------------------------------------


def insert_receipts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(receipts), rows)


def receipts_where(conn: Connection, org_id: int, *conditions: Any) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(
                receipts,
                items.c.sku,
                items.c.precision,
                locations.c.path.label("location"),
                purchase_orders.c.number.label("po_number"),
                purchase_order_lines.c.line_no,
                suppliers.c.code.label("supplier_code"),
            )
            .join(items, items.c.id == receipts.c.item_id)
            .join(locations, locations.c.id == receipts.c.location_id)
            .outerjoin(purchase_orders, purchase_orders.c.id == receipts.c.po_id)
            .outerjoin(
                purchase_order_lines,
                purchase_order_lines.c.id == receipts.c.po_line_id,
            )
            .outerjoin(suppliers, suppliers.c.id == receipts.c.supplier_id)
            .where(and_(receipts.c.org_id == org_id, *conditions))
            .order_by(receipts.c.id)
        )
    )


def receipts_of_po(conn: Connection, org_id: int, po_id: int) -> list[Row[Any]]:
    return receipts_where(conn, org_id, receipts.c.po_id == po_id)


def receipts_of_posting(conn: Connection, org_id: int, posting_id: int) -> list[Row[Any]]:
    return receipts_where(conn, org_id, receipts.c.posting_id == posting_id)
