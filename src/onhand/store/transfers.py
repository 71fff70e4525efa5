"""Transfer documents and their lines; what transfers bring into a warehouse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Connection, Integer, Row, and_, bindparam, insert, or_, select, update

from onhand.store.fastsql import Prepared, list_param, one_of
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


class Inbound(NamedTuple):
    """Stock planned or on its way into a warehouse, due on its expected arrival (or None)."""

    item_id: int
    due: date | None
    qty: int


def _inbound_stmt(dialect: str) -> Any:
    src = locations.alias("src")
    wh = bindparam("wh")
    return (
        select(
            transfer_lines.c.item_id,
            transfers.c.expected_arrival.label("due"),
            transfer_lines.c.qty,
        )
        .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
        .join(src, src.c.id == transfers.c.from_location_id)
        .where(
            transfer_lines.c.org_id == bindparam("org"),
            one_of(dialect, transfer_lines.c.item_id, "ids", Integer()),
            transfers.c.to_warehouse_id == wh,
            or_(
                transfers.c.status == "in_transit",
                and_(transfers.c.status == "planned", src.c.warehouse_id != wh),
            ),
        )
    )


_inbound = Prepared(_inbound_stmt)


def inbound(
    conn: Connection, org_id: int, item_ids: Sequence[int], warehouse_id: int
) -> list[Inbound]:
    """Quantities planned or on their way into a warehouse. A planned transfer inside the
    warehouse brings nothing new: its stock is still on hand there."""
    values = {"org": org_id, "wh": warehouse_id, "ids": list_param(conn, item_ids)}
    return [Inbound._make(r) for r in _inbound.rows(conn, values)]
