"""Sales orders and their lines; what is available, reserved, expected and owed per item and
warehouse (the figures available-to-promise is computed from)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)

from onhand.domain.locations import subtree_bounds
from onhand.store.tables import (
    balances,
    commitments,
    items,
    locations,
    lots,
    purchase_order_lines,
    purchase_orders,
    sales_order_lines,
    sales_orders,
    suppliers,
    warehouse_settings,
)


def held_paths(conn: Connection, org_id: int) -> list[str]:
    """Paths of the organisation's held locations (usually none or a few)."""
    q = select(locations.c.path).where(locations.c.org_id == org_id, locations.c.on_hold.is_(True))
    return [r[0] for r in conn.execute(q)]


def outside(paths: Sequence[str], loc: Any = locations) -> list[Any]:
    """Conditions: ``loc`` is neither one of ``paths`` nor below one (path ranges on an index,
    rather than a correlated lookup per row)."""
    out = []
    for path in paths:
        lo, hi = subtree_bounds(path)
        out.append(~or_(loc.c.path == path, and_(loc.c.path >= lo, loc.c.path < hi)))
    return out


def available_now(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int, today: date
) -> dict[int, int]:
    """On hand that may be promised, per item: in the warehouse's internal locations, outside
    held locations, in lots neither held nor expired before ``today``."""
    if not item_ids:
        return {}
    q = (
        select(balances.c.item_id, func.sum(balances.c.qty))
        .select_from(
            balances.join(locations, locations.c.id == balances.c.location_id).outerjoin(
                lots, lots.c.id == balances.c.lot_id
            )
        )
        .where(
            balances.c.org_id == org_id,
            balances.c.item_id.in_(list(item_ids)),
            locations.c.warehouse_id == warehouse_id,
            locations.c.kind == "internal",
            *outside(held_paths(conn, org_id)),
            or_(
                lots.c.id.is_(None),
                and_(
                    lots.c.on_hold.is_(False),
                    or_(lots.c.expiry_date.is_(None), lots.c.expiry_date >= today),
                ),
            ),
        )
        .group_by(balances.c.item_id)
    )
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def reserved(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> dict[int, int]:
    q = select(commitments.c.item_id, commitments.c.reserved).where(
        commitments.c.org_id == org_id,
        commitments.c.warehouse_id == warehouse_id,
        commitments.c.item_id.in_(list(item_ids)),
    )
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def expected_receipts(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> list[Row[Any]]:
    """Open purchase order lines (item_id, due date or None, open qty, ordered_at, lead days)."""
    pol, po = purchase_order_lines, purchase_orders
    q = (
        select(
            pol.c.item_id,
            func.coalesce(pol.c.expected_date, po.c.expected_date).label("due"),
            (pol.c.qty_ordered - pol.c.qty_received).label("qty"),
            po.c.ordered_at,
            suppliers.c.lead_time_days,
        )
        .join(po, po.c.id == pol.c.po_id)
        .join(suppliers, suppliers.c.id == po.c.supplier_id)
        .where(
            pol.c.org_id == org_id,
            pol.c.item_id.in_(list(item_ids)),
            po.c.warehouse_id == warehouse_id,
            po.c.status.in_(["ordered", "partially_received"]),
            pol.c.closed.is_(False),
            pol.c.qty_received < pol.c.qty_ordered,
        )
    )
    return list(conn.execute(q))


_line_due = func.coalesce(sales_order_lines.c.requested_date, sales_orders.c.requested_date)
_backordered = (
    sales_order_lines.c.qty_ordered
    - sales_order_lines.c.qty_shipped
    - sales_order_lines.c.qty_cancelled
    - sales_order_lines.c.qty_reserved
)


def backorders(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> list[Row[Any]]:
    """Open order lines not covered by reservations, first due first (then oldest order)."""
    q = (
        select(
            sales_order_lines.c.id,
            sales_order_lines.c.so_id,
            sales_order_lines.c.item_id,
            _line_due.label("due"),
            _backordered.label("qty"),
        )
        .join(sales_orders, sales_orders.c.id == sales_order_lines.c.so_id)
        .where(
            sales_order_lines.c.org_id == org_id,
            sales_order_lines.c.item_id.in_(list(item_ids)),
            sales_order_lines.c.warehouse_id == warehouse_id,
            sales_orders.c.status.in_(["open", "partially_shipped"]),
            _backordered > 0,
        )
        .order_by(_line_due.is_(None), _line_due, sales_orders.c.id, sales_order_lines.c.line_no)
    )
    return list(conn.execute(q))


# --- documents ------------------------------------------------------------------------------

_wh = locations.alias("wh")
_so_query = select(sales_orders, _wh.c.path.label("warehouse")).join(
    _wh, _wh.c.id == sales_orders.c.warehouse_id
)


def insert_order(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(sales_orders).values(**values)).inserted_primary_key[0])


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(sales_order_lines), rows)


def order_by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    return conn.execute(
        _so_query.where(sales_orders.c.org_id == org_id, sales_orders.c.number == number)
    ).first()


def order_by_id(conn: Connection, org_id: int, so_id: int) -> Row[Any] | None:
    return conn.execute(
        _so_query.where(sales_orders.c.org_id == org_id, sales_orders.c.id == so_id)
    ).first()


def list_orders(
    conn: Connection, org_id: int, *, status: str | None, limit: int, offset: int
) -> list[Row[Any]]:
    q = _so_query.where(sales_orders.c.org_id == org_id)
    if status is not None:
        q = q.where(sales_orders.c.status == status)
    return list(conn.execute(q.order_by(sales_orders.c.id.desc()).limit(limit).offset(offset)))


def update_order(conn: Connection, org_id: int, so_id: int, **values: Any) -> None:
    conn.execute(
        update(sales_orders)
        .where(sales_orders.c.org_id == org_id, sales_orders.c.id == so_id)
        .values(**values)
    )


def lines_of(conn: Connection, org_id: int, so_ids: Sequence[int]) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(sales_order_lines, items.c.sku, items.c.precision, items.c.uom)
            .join(items, items.c.id == sales_order_lines.c.item_id)
            .where(
                sales_order_lines.c.org_id == org_id,
                sales_order_lines.c.so_id.in_(list(so_ids)),
            )
            .order_by(sales_order_lines.c.so_id, sales_order_lines.c.line_no)
        )
    )


def change_line(conn: Connection, org_id: int, line_id: int, **deltas: int) -> None:
    """Add ``deltas`` (qty_reserved=..., qty_shipped=..., qty_cancelled=...) to a line."""
    conn.execute(
        update(sales_order_lines)
        .where(sales_order_lines.c.org_id == org_id, sales_order_lines.c.id == line_id)
        .values({k: getattr(sales_order_lines.c, k) + v for k, v in deltas.items()})
    )


# --- warehouse settings ---------------------------------------------------------------------


def settings_of(conn: Connection, org_id: int, warehouse_ids: Sequence[int]) -> dict[int, Row[Any]]:
    q = select(warehouse_settings).where(
        warehouse_settings.c.org_id == org_id,
        warehouse_settings.c.warehouse_id.in_(list(warehouse_ids)),
    )
    return {r.warehouse_id: r for r in conn.execute(q)}


def save_settings(conn: Connection, org_id: int, warehouse_id: int, **values: Any) -> None:
    done = conn.execute(
        update(warehouse_settings)
        .where(
            warehouse_settings.c.org_id == org_id,
            warehouse_settings.c.warehouse_id == warehouse_id,
        )
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(warehouse_settings).values(org_id=org_id, warehouse_id=warehouse_id, **values)
        )


def open_lines(
    conn: Connection, org_id: int, warehouse_id: int, numbers: Sequence[str] | None
) -> list[Row[Any]]:
    """Lines with something reserved, of open orders of a warehouse (or of the orders named),
    oldest order first."""
    q = (
        select(sales_order_lines, sales_orders.c.number)
        .join(sales_orders, sales_orders.c.id == sales_order_lines.c.so_id)
        .where(
            sales_order_lines.c.org_id == org_id,
            sales_order_lines.c.warehouse_id == warehouse_id,
            sales_order_lines.c.qty_reserved > 0,
            sales_orders.c.status.in_(["open", "partially_shipped"]),
        )
    )
    if numbers is not None:
        q = q.where(sales_orders.c.number.in_(list(numbers)))
    return list(conn.execute(q.order_by(sales_orders.c.id, sales_order_lines.c.line_no)))


def line_by_id(conn: Connection, org_id: int, line_id: int) -> Row[Any]:
    return conn.execute(
        select(sales_order_lines).where(
            sales_order_lines.c.org_id == org_id, sales_order_lines.c.id == line_id
        )
    ).one()
