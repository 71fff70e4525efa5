"""Transfer documents and their lines; what transfers bring into a warehouse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from onhand.store.tables import items, locations, transfer_lines, transfers

_src, _dst, _via = locations.alias("src"), locations.alias("dst"), locations.alias("via")
_query = (
    select(
        transfers,
        _src.c.path.label("from_path"),
        _src.c.warehouse_id.label("from_warehouse_id"),
        _dst.c.path.label("to_path"),
        _via.c.path.label("via_path"),
    )
    .join(_src, _src.c.id == transfers.c.from_location_id)
    .join(_dst, _dst.c.id == transfers.c.to_location_id)
    .outerjoin(_via, _via.c.id == transfers.c.via_location_id)
)


def insert_transfer(conn: Connection, values: dict[str, Any], lines: list[dict[str, Any]]) -> int:
    new_id = int(conn.execute(insert(transfers).values(**values)).inserted_primary_key[0])
    conn.execute(insert(transfer_lines), [line | {"transfer_id": new_id} for line in lines])
    return new_id


def by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    return conn.execute(
        _query.where(transfers.c.org_id == org_id, transfers.c.number == number)
    ).first()


def list_transfers(
    conn: Connection, org_id: int, *, status: str | None, limit: int, offset: int
) -> list[Row[Any]]:
    q = _query.where(transfers.c.org_id == org_id)
    if status is not None:
        q = q.where(transfers.c.status == status)
    return list(conn.execute(q.order_by(transfers.c.id.desc()).limit(limit).offset(offset)))


def update_transfer(conn: Connection, org_id: int, transfer_id: int, **values: Any) -> None:
    conn.execute(
        update(transfers)
        .where(transfers.c.org_id == org_id, transfers.c.id == transfer_id)
        .values(**values)
    )


def lines_of(conn: Connection, org_id: int, transfer_id: int) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(transfer_lines, items.c.sku, items.c.precision)
            .join(items, items.c.id == transfer_lines.c.item_id)
            .where(transfer_lines.c.org_id == org_id, transfer_lines.c.transfer_id == transfer_id)
            .order_by(transfer_lines.c.line_no)
        )
    )


def inbound(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> list[Row[Any]]:
    """Quantities planned or on their way into a warehouse: (item_id, due, qty). A planned
    transfer inside the warehouse brings nothing new: its stock is still on hand there."""
    src = locations.alias("src")
    q = (
        select(
            transfer_lines.c.item_id,
            transfers.c.expected_arrival.label("due"),
            transfer_lines.c.qty,
        )
        .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
        .join(src, src.c.id == transfers.c.from_location_id)
        .where(
            transfer_lines.c.org_id == org_id,
            transfer_lines.c.item_id.in_(list(item_ids)),
            transfers.c.to_warehouse_id == warehouse_id,
            or_(
                transfers.c.status == "in_transit",
                and_(transfers.c.status == "planned", src.c.warehouse_id != warehouse_id),
            ),
        )
    )
    return list(conn.execute(q))
