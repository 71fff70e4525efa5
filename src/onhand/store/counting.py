"""Cycle counting reads and writes: stock records to count, count documents and their lines,
and the reports over them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, func, insert, select, tuple_, update

from onhand.domain.locations import subtree_bounds
from onhand.store.locking import chunks
from onhand.store.tables import (
    balances,
    count_documents,
    count_lines,
    count_records,
    discrepancies,
    items,
    locations,
    lots,
    serials,
)


def as_date(value: Any) -> date:
    """SQLite's date() answers text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- stock records ---------------------------------------------------------------------------


def stock_records(conn: Connection, org_id: int, warehouse_ids: Collection[int]) -> list[Row[Any]]:
    """(item_id, location_id, warehouse_id, last_counted): every item with a non-zero balance at
    an active internal location (of these warehouses, unless empty), with the day it was last
    in a count document."""
    last = (
        select(
            count_lines.c.item_id,
            count_lines.c.location_id,
            func.max(count_documents.c.scheduled_on).label("last_counted"),
        )
        .join(count_documents, count_documents.c.id == count_lines.c.count_id)
        .where(count_lines.c.org_id == org_id)
        .group_by(count_lines.c.item_id, count_lines.c.location_id)
        .subquery("last")
    )
    recs = (
        select(balances.c.item_id, balances.c.location_id, locations.c.warehouse_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.org_id == org_id,
            balances.c.qty != 0,
            locations.c.kind == "internal",
            locations.c.active.is_(True),
        )
        .group_by(balances.c.item_id, balances.c.location_id, locations.c.warehouse_id)
    )
    if warehouse_ids:
        recs = recs.where(locations.c.warehouse_id.in_(sorted(warehouse_ids)))
    r = recs.subquery("r")
    q = (
        select(r.c.item_id, r.c.location_id, r.c.warehouse_id, last.c.last_counted)
        .outerjoin(last, and_(last.c.item_id == r.c.item_id, last.c.location_id == r.c.location_id))
        .order_by(r.c.warehouse_id, r.c.item_id, r.c.location_id)
    )
    return list(conn.execute(q))


def record_balances(conn: Connection, org_id: int, where: Any) -> list[Row[Any]]:
    """Non-zero balances at active internal locations matching ``where``: (item_id,
    location_id, warehouse_id, lot, serial), lot and serial as codes ('' for none)."""
    q = (
        select(
            balances.c.item_id,
            balances.c.location_id,
            locations.c.warehouse_id,
            func.coalesce(lots.c.code, "").label("lot"),
            func.coalesce(serials.c.serial, "").label("serial"),
        )
        .join(locations, locations.c.id == balances.c.location_id)
        .outerjoin(lots, lots.c.id == balances.c.lot_id)
        .outerjoin(serials, serials.c.id == balances.c.serial_id)
        .where(
            balances.c.org_id == org_id,
            balances.c.qty != 0,
            locations.c.kind == "internal",
            locations.c.active.is_(True),
            where,
        )
    )
    return list(conn.execute(q))


def balances_of_records(
    conn: Connection, org_id: int, pairs: Sequence[tuple[int, int]]
) -> list[Row[Any]]:
    """record_balances of (item, location) records."""
    out: list[Row[Any]] = []
    key = tuple_(balances.c.item_id, balances.c.location_id)
    for part in chunks(sorted(set(pairs))):
        out.extend(record_balances(conn, org_id, key.in_(list(part))))
    return out


def balances_in_subtree(conn: Connection, org_id: int, path: str) -> list[Row[Any]]:
    lo, hi = subtree_bounds(path)
    where = (locations.c.path == path) | ((locations.c.path >= lo) & (locations.c.path < hi))
    return record_balances(conn, org_id, where)


def balances_of_item(conn: Connection, org_id: int, item_id: int) -> list[Row[Any]]:
    return record_balances(conn, org_id, balances.c.item_id == item_id)


def flagged_records(conn: Connection, org_id: int) -> list[tuple[int, int]]:
    """(item, location) records flagged for a discrepancy: an open short pick or similar, or a
    balance below zero at an internal location."""
    open_ = select(discrepancies.c.item_id, discrepancies.c.location_id).where(
        discrepancies.c.org_id == org_id, discrepancies.c.resolved_at.is_(None)
    )
    negative = (
        select(balances.c.item_id, balances.c.location_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(balances.c.org_id == org_id, balances.c.qty < 0, locations.c.kind == "internal")
    )
    found = {(r[0], r[1]) for r in conn.execute(open_)} | {
        (r[0], r[1]) for r in conn.execute(negative)
    }
    return sorted(found)


def resolve_discrepancies(
    conn: Connection, org_id: int, item_id: int, location_id: int, at: datetime
) -> None:
    conn.execute(
        update(discrepancies)
        .where(
            discrepancies.c.org_id == org_id,
            discrepancies.c.item_id == item_id,
            discrepancies.c.location_id == location_id,
            discrepancies.c.resolved_at.is_(None),
        )
        .values(resolved_at=at)
    )


def unit_costs(conn: Connection, org_id: int, item_ids: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for part in chunks(list(item_ids)):
        q = select(items.c.id, items.c.unit_cost).where(
            items.c.org_id == org_id, items.c.id.in_(list(part))
        )
        out.update((r.id, r.unit_cost) for r in conn.execute(q))
    return out


def book_of(
    conn: Connection, org_id: int, item_id: int, location_id: int, lot: str, serial: str
) -> int:
    """The balance now of a line's (location, item, lot, serial); 0 for a lot or serial the
    organisation has never seen."""
    lot_id = serial_id = 0
    if lot:
        found = conn.execute(
            select(lots.c.id).where(
                lots.c.org_id == org_id, lots.c.item_id == item_id, lots.c.code == lot
            )
        ).scalar()
        if found is None:
            return 0
        lot_id = found
    if serial:
        found = conn.execute(
            select(serials.c.id).where(
                serials.c.org_id == org_id,
                serials.c.item_id == item_id,
                serials.c.serial == serial,
            )
        ).scalar()
        if found is None:
            return 0
        serial_id = found
    return int(
        conn.execute(
            select(balances.c.qty).where(
                balances.c.org_id == org_id,
                balances.c.item_id == item_id,
                balances.c.location_id == location_id,
                balances.c.lot_id == lot_id,
                balances.c.serial_id == serial_id,
            )
        ).scalar()
        or 0
    )


# --- documents and lines ---------------------------------------------------------------------

_wh = locations.alias("wh")
_doc_query = select(count_documents, _wh.c.path.label("warehouse")).outerjoin(
    _wh, _wh.c.id == count_documents.c.warehouse_id
)


def insert_document(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(count_documents).values(**values)).inserted_primary_key[0])


def insert_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows):
        conn.execute(insert(count_lines), list(part))


def document_by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    return conn.execute(
        _doc_query.where(count_documents.c.org_id == org_id, count_documents.c.number == number)
    ).first()


def plan_documents(conn: Connection, org_id: int, day: date) -> list[Row[Any]]:
    return list(
        conn.execute(
            _doc_query.where(
                count_documents.c.org_id == org_id, count_documents.c.plan_date == day
            ).order_by(count_documents.c.id)
        )
    )


def list_documents(
    conn: Connection, org_id: int, *, status: str | None, limit: int, offset: int
) -> list[Row[Any]]:
    q = _doc_query.where(count_documents.c.org_id == org_id)
    if status is not None:
        q = q.where(count_documents.c.status == status)
    return list(conn.execute(q.order_by(count_documents.c.id.desc()).limit(limit).offset(offset)))


def lock_document(conn: Connection, org_id: int, doc_id: int) -> None:
    """Serialise the writers of one count document (PostgreSQL; SQLite writers already are)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            select(count_documents.c.id)
            .where(count_documents.c.org_id == org_id, count_documents.c.id == doc_id)
            .with_for_update()
        ).all()


def update_document(conn: Connection, org_id: int, doc_id: int, **values: Any) -> None:
    conn.execute(
        update(count_documents)
        .where(count_documents.c.org_id == org_id, count_documents.c.id == doc_id)
        .values(**values)
    )


def lines_of(conn: Connection, org_id: int, doc_id: int) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(
                count_lines,
                items.c.sku,
                items.c.precision,
                items.c.tracking,
                items.c.currency,
                locations.c.path,
            )
            .join(items, items.c.id == count_lines.c.item_id)
            .join(locations, locations.c.id == count_lines.c.location_id)
            .where(count_lines.c.org_id == org_id, count_lines.c.count_id == doc_id)
            .order_by(count_lines.c.line_no)
        )
    )


def update_line(conn: Connection, org_id: int, line_id: int, **values: Any) -> None:
    conn.execute(
        update(count_lines)
        .where(count_lines.c.org_id == org_id, count_lines.c.id == line_id)
        .values(**values)
    )


def record_by_key(conn: Connection, org_id: int, key: str) -> Row[Any] | None:
    """The count record made with an idempotency key, if any."""
    return conn.execute(
        select(count_records).where(
            count_records.c.org_id == org_id, count_records.c.idempotency_key == key
        )
    ).first()


def insert_record(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(count_records).values(**values))


# --- reports ---------------------------------------------------------------------------------


def first_counts_per_day(
    conn: Connection,
    org_id: int,
    since: datetime,
    until: datetime,
    *,
    warehouse_id: int | None,
    abc: str | None,
) -> list[Row[Any]]:
    """(warehouse_id, abc, day, counted, within): lines first counted in [since, until)."""
    day = func.date(count_lines.c.first_at)
    within = func.sum(case((count_lines.c.first_within.is_(True), 1), else_=0))
    q = (
        select(
            count_lines.c.warehouse_id,
            count_lines.c.abc,
            day.label("day"),
            func.count().label("counted"),
            within.label("within"),
        )
        .where(
            count_lines.c.org_id == org_id,
            count_lines.c.first_at >= since,
            count_lines.c.first_at < until,
        )
        .group_by(count_lines.c.warehouse_id, count_lines.c.abc, day)
    )
    if warehouse_id is not None:
        q = q.where(count_lines.c.warehouse_id == warehouse_id)
    if abc is not None:
        q = q.where(count_lines.c.abc == abc)
    return list(conn.execute(q))


def variances(
    conn: Connection,
    org_id: int,
    since: datetime,
    until: datetime,
    *,
    warehouse_ids: Collection[int],
) -> list[Row[Any]]:
    """Lines decided (approved or rejected) in [since, until) with a variance, newest first."""
    q = (
        select(
            count_lines,
            count_documents.c.number,
            items.c.sku,
            items.c.precision,
            items.c.currency,
            locations.c.path,
        )
        .join(count_documents, count_documents.c.id == count_lines.c.count_id)
        .join(items, items.c.id == count_lines.c.item_id)
        .join(locations, locations.c.id == count_lines.c.location_id)
        .where(
            count_lines.c.org_id == org_id,
            count_lines.c.decided_at >= since,
            count_lines.c.decided_at < until,
            count_lines.c.counted != count_lines.c.book,
        )
    )
    if warehouse_ids:
        q = q.where(count_lines.c.warehouse_id.in_(sorted(warehouse_ids)))
    return list(conn.execute(q.order_by(count_lines.c.decided_at.desc(), count_lines.c.id)))
