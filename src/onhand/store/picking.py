"""Stock a pick may take, pick lists and their tasks, shipments and discrepancies."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    case,
    func,
    insert,
    literal_column,
    select,
    update,
)

from onhand.store.sales import held_paths, outside
from onhand.store.tables import (
    balances,
    discrepancies,
    items,
    locations,
    lots,
    movements,
    pick_lists,
    pick_tasks,
    sales_order_lines,
    sales_orders,
    serials,
    shipments,
)

# What open tasks will still take from a balance.
_claimed = (
    select(
        pick_tasks.c.location_id,
        pick_tasks.c.lot_id,
        pick_tasks.c.serial_id,
        func.sum(pick_tasks.c.qty - pick_tasks.c.qty_picked).label("qty"),
    )
    .where(pick_tasks.c.status == "open")
    .group_by(pick_tasks.c.location_id, pick_tasks.c.lot_id, pick_tasks.c.serial_id)
)


def candidates(
    conn: Connection, org_id: int, item_id: int, warehouse_id: int, exclude_id: int
) -> list[Row[Any]]:
    """Balances of an item a pick may take in a warehouse: internal, active, not under a held
    location, not ``exclude_id`` (where picked stock waits), less what open tasks claim. Lot
    holds and expiry are the allocation rule's to judge (domain.allocation)."""
    claimed = (
        _claimed.where(pick_tasks.c.org_id == org_id, pick_tasks.c.item_id == item_id)
    ).subquery()
    # The literal 0 is inlined: PostgreSQL matches the GROUP BY expression by its text.
    lot = func.coalesce(movements.c.lot_id, literal_column("0"))
    arrived = (
        select(
            movements.c.to_location_id.label("location_id"),
            lot.label("lot_id"),
            func.max(movements.c.effective_at).label("at"),
        )
        .where(movements.c.org_id == org_id, movements.c.item_id == item_id)
        .group_by(movements.c.to_location_id, lot)
    ).subquery()
    q = (
        select(
            balances.c.location_id,
            locations.c.path,
            balances.c.lot_id,
            lots.c.code.label("lot"),
            lots.c.expiry_date,
            lots.c.on_hold.label("lot_held"),
            balances.c.serial_id,
            serials.c.serial,
            serials.c.on_hold.label("serial_held"),
            arrived.c.at.label("received_at"),
            (balances.c.qty - func.coalesce(claimed.c.qty, 0)).label("qty"),
        )
        .select_from(
            balances.join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .outerjoin(serials, serials.c.id == balances.c.serial_id)
            .outerjoin(
                claimed,
                and_(
                    claimed.c.location_id == balances.c.location_id,
                    claimed.c.lot_id == balances.c.lot_id,
                    claimed.c.serial_id == balances.c.serial_id,
                ),
            )
            .outerjoin(
                arrived,
                and_(
                    arrived.c.location_id == balances.c.location_id,
                    arrived.c.lot_id == balances.c.lot_id,
                ),
            )
        )
        .where(
            balances.c.org_id == org_id,
            balances.c.item_id == item_id,
            balances.c.qty > 0,
            locations.c.warehouse_id == warehouse_id,
            locations.c.kind == "internal",
            locations.c.active.is_(True),
            locations.c.id != exclude_id,
            *outside(held_paths(conn, org_id)),
        )
    )
    return [r for r in conn.execute(q) if r.qty > 0]


def insert_pick_list(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(pick_lists).values(**values)).inserted_primary_key[0])


def insert_tasks(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(pick_tasks), rows)


def pick_list_by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    wh = locations.alias("wh")
    return conn.execute(
        select(pick_lists, wh.c.path.label("warehouse"))
        .join(wh, wh.c.id == pick_lists.c.warehouse_id)
        .where(pick_lists.c.org_id == org_id, pick_lists.c.number == number)
    ).first()


def list_pick_lists(
    conn: Connection,
    org_id: int,
    *,
    warehouse_ids: Collection[int],
    status: str | None,
    limit: int,
) -> list[Row[Any]]:
    """Pick lists (with their warehouse's path), newest first: of these warehouses only when
    ``warehouse_ids`` is not empty."""
    wh = locations.alias("wh")
    q = (
        select(pick_lists, wh.c.path.label("warehouse"))
        .join(wh, wh.c.id == pick_lists.c.warehouse_id)
        .where(pick_lists.c.org_id == org_id)
    )
    if warehouse_ids:
        q = q.where(pick_lists.c.warehouse_id.in_(sorted(warehouse_ids)))
    if status is not None:
        q = q.where(pick_lists.c.status == status)
    return list(conn.execute(q.order_by(pick_lists.c.id.desc()).limit(limit)))


def pick_list_summaries(
    conn: Connection,
    org_id: int,
    *,
    warehouse_ids: Collection[int],
    status: str | None,
    before: str | None,
    limit: int,
) -> list[Row[Any]]:
    """Pick lists, newest first, each with its warehouse and how many of its tasks are open,
    picked, short and cancelled; of these warehouses only when ``warehouse_ids`` is not
    empty; older than the list numbered ``before`` when given."""
    # The page's lists first, then the tasks of those only (not of every list ever made).
    chosen = select(pick_lists.c.id).where(pick_lists.c.org_id == org_id)
    if warehouse_ids:
        chosen = chosen.where(pick_lists.c.warehouse_id.in_(sorted(warehouse_ids)))
    if status is not None:
        chosen = chosen.where(pick_lists.c.status == status)
    if before is not None:
        older = (
            select(pick_lists.c.id)
            .where(pick_lists.c.org_id == org_id, pick_lists.c.number == before)
            .scalar_subquery()
        )
        chosen = chosen.where(pick_lists.c.id < older)
    page = chosen.order_by(pick_lists.c.id.desc()).limit(limit).subquery()
    wh = locations.alias("wh")
    counts = [
        func.coalesce(func.sum(case((pick_tasks.c.status == s, 1), else_=0)), 0).label(s)
        for s in ("open", "picked", "short", "cancelled")
    ]
    columns = (
        pick_lists.c.id,
        pick_lists.c.number,
        pick_lists.c.status,
        pick_lists.c.created_at,
        wh.c.path.label("warehouse"),
    )
    q = (
        select(*columns, func.count(pick_tasks.c.id).label("tasks"), *counts)
        .join(page, page.c.id == pick_lists.c.id)
        .join(wh, wh.c.id == pick_lists.c.warehouse_id)
        .outerjoin(pick_tasks, pick_tasks.c.pick_list_id == pick_lists.c.id)
        .group_by(*columns)
        .order_by(pick_lists.c.id.desc())
    )
    return list(conn.execute(q))


def orders_of_lists(conn: Connection, org_id: int, list_ids: Sequence[int]) -> dict[int, list[str]]:
    """The sales orders each of these pick lists has tasks for, by number."""
    if not list_ids:
        return {}
    q = (
        select(pick_tasks.c.pick_list_id, sales_orders.c.number)
        .join(sales_order_lines, sales_order_lines.c.id == pick_tasks.c.so_line_id)
        .join(sales_orders, sales_orders.c.id == sales_order_lines.c.so_id)
        .where(pick_tasks.c.org_id == org_id, pick_tasks.c.pick_list_id.in_(list(list_ids)))
        .distinct()
        .order_by(pick_tasks.c.pick_list_id, sales_orders.c.number)
    )
    out: dict[int, list[str]] = {}
    for list_id, number in conn.execute(q):
        out.setdefault(list_id, []).append(number)
    return out


def update_pick_list(conn: Connection, org_id: int, list_id: int, **values: Any) -> None:
    conn.execute(
        update(pick_lists)
        .where(pick_lists.c.org_id == org_id, pick_lists.c.id == list_id)
        .values(**values)
    )


_task_query = (
    select(
        pick_tasks,
        items.c.sku,
        items.c.precision,
        locations.c.path.label("location"),
        lots.c.code.label("lot"),
        serials.c.serial,
        sales_orders.c.number.label("order"),
        sales_order_lines.c.line_no,
        sales_order_lines.c.so_id,
        sales_order_lines.c.warehouse_id,
    )
    .join(items, items.c.id == pick_tasks.c.item_id)
    .join(locations, locations.c.id == pick_tasks.c.location_id)
    .outerjoin(lots, lots.c.id == pick_tasks.c.lot_id)
    .outerjoin(serials, serials.c.id == pick_tasks.c.serial_id)
    .join(sales_order_lines, sales_order_lines.c.id == pick_tasks.c.so_line_id)
    .join(sales_orders, sales_orders.c.id == sales_order_lines.c.so_id)
)


def tasks_of_list(conn: Connection, org_id: int, list_id: int) -> list[Row[Any]]:
    return tasks_of_lists(conn, org_id, [list_id])


def tasks_of_lists(conn: Connection, org_id: int, list_ids: Sequence[int]) -> list[Row[Any]]:
    """The tasks of these pick lists, each list's in walking order."""
    return list(
        conn.execute(
            _task_query.where(
                pick_tasks.c.org_id == org_id, pick_tasks.c.pick_list_id.in_(list(list_ids))
            ).order_by(pick_tasks.c.pick_list_id, pick_tasks.c.seq)
        )
    )


def tasks_of_lines(conn: Connection, org_id: int, line_ids: Sequence[int]) -> list[Row[Any]]:
    return list(
        conn.execute(
            _task_query.where(
                pick_tasks.c.org_id == org_id, pick_tasks.c.so_line_id.in_(list(line_ids))
            ).order_by(pick_tasks.c.id)
        )
    )


def update_task(conn: Connection, org_id: int, task_id: int, **values: Any) -> None:
    conn.execute(
        update(pick_tasks)
        .where(pick_tasks.c.org_id == org_id, pick_tasks.c.id == task_id)
        .values(**values)
    )


def insert_shipment(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(shipments).values(**values)).inserted_primary_key[0])


def record_discrepancy(
    conn: Connection,
    *,
    org_id: int,
    location_id: int,
    item_id: int,
    kind: str,
    qty: int,
    at: datetime,
    actor_id: int,
    note: str | None = None,
) -> None:
    conn.execute(
        insert(discrepancies).values(
            org_id=org_id,
            location_id=location_id,
            item_id=item_id,
            kind=kind,
            qty=qty,
            note=note,
            created_at=at,
            created_by=actor_id,
        )
    )


def open_discrepancies(conn: Connection, org_id: int) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(
                discrepancies,
                items.c.sku,
                items.c.precision,
                locations.c.path,
                locations.c.warehouse_id,
            )
            .join(items, items.c.id == discrepancies.c.item_id)
            .join(locations, locations.c.id == discrepancies.c.location_id)
            .where(discrepancies.c.org_id == org_id, discrepancies.c.resolved_at.is_(None))
            .order_by(discrepancies.c.id)
        )
    )
