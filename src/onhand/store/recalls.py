"""Recalls and the holds they put on lots and serials."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.orm import aliased

from onhand.domain.traceability import TraceKey
from onhand.store.tables import items, lots, recalls, serials, users


def _key(key: TraceKey) -> dict[str, int]:
    return {"item_id": key.item_id, "lot_id": key.lot_id or 0, "serial_id": key.serial_id or 0}


_opener = aliased(users, name="opener")
_releaser = aliased(users, name="releaser")

_read = (
    select(
        recalls,
        items.c.sku,
        lots.c.code.label("lot"),
        serials.c.serial,
        _opener.c.username.label("opened_by_name"),
        _releaser.c.username.label("released_by_name"),
    )
    .join(items, items.c.id == recalls.c.item_id)
    .outerjoin(lots, lots.c.id == recalls.c.lot_id)
    .outerjoin(serials, serials.c.id == recalls.c.serial_id)
    .join(_opener, _opener.c.id == recalls.c.opened_by)
    .outerjoin(_releaser, _releaser.c.id == recalls.c.released_by)
)


def open_recall(conn: Connection, org_id: int, key: TraceKey) -> Row[Any] | None:
    """The open recall of a lot or serial, if any."""
    k = _key(key)
    q = _read.where(
        recalls.c.org_id == org_id,
        recalls.c.item_id == k["item_id"],
        recalls.c.lot_id == k["lot_id"],
        recalls.c.serial_id == k["serial_id"],
        recalls.c.status == "open",
    )
    return conn.execute(q).first()


def latest_recall(conn: Connection, org_id: int, key: TraceKey) -> Row[Any] | None:
    """The newest recall of a lot or serial, open or released."""
    k = _key(key)
    q = _read.where(
        recalls.c.org_id == org_id,
        recalls.c.item_id == k["item_id"],
        recalls.c.lot_id == k["lot_id"],
        recalls.c.serial_id == k["serial_id"],
    )
    return conn.execute(q.order_by(recalls.c.id.desc()).limit(1)).first()


def recall_by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    q = _read.where(recalls.c.org_id == org_id, recalls.c.number == number)
    return conn.execute(q).first()


def list_recalls(
    conn: Connection, org_id: int, *, status: str | None, item_id: int | None, limit: int
) -> list[Row[Any]]:
    """Recalls, newest first."""
    q = _read.where(recalls.c.org_id == org_id)
    if status is not None:
        q = q.where(recalls.c.status == status)
    if item_id is not None:
        q = q.where(recalls.c.item_id == item_id)
    return list(conn.execute(q.order_by(recalls.c.id.desc()).limit(limit)))


def insert_recall(
    conn: Connection,
    *,
    org_id: int,
    number: str,
    key: TraceKey,
    reason: str,
    held_before: bool,
    at: datetime,
    by: int,
) -> None:
    conn.execute(
        insert(recalls).values(
            org_id=org_id,
            number=number,
            **_key(key),
            status="open",
            reason=reason,
            held_before=held_before,
            opened_at=at,
            opened_by=by,
        )
    )


def release(
    conn: Connection, org_id: int, recall_id: int, *, at: datetime, by: int, note: str | None
) -> bool:
    """Mark an open recall released; False when it was not open any more."""
    done = conn.execute(
        update(recalls)
        .where(recalls.c.org_id == org_id, recalls.c.id == recall_id, recalls.c.status == "open")
        .values(status="released", released_at=at, released_by=by, release_note=note)
    )
    return done.rowcount == 1


def open_recalls_of(
    conn: Connection, org_id: int, item_ids: Collection[int]
) -> dict[tuple[int, int, int], str]:
    """The open recalls of these items: (item_id, lot_id, serial_id) -> recall number, with 0
    for no lot or no serial."""
    if not item_ids:
        return {}
    q = select(recalls.c.item_id, recalls.c.lot_id, recalls.c.serial_id, recalls.c.number).where(
        recalls.c.org_id == org_id,
        recalls.c.status == "open",
        recalls.c.item_id.in_(sorted(set(item_ids))),
    )
    return {(r.item_id, r.lot_id, r.serial_id): r.number for r in conn.execute(q)}


def keep_lots_held(conn: Connection, org_id: int, lot_ids: Collection[int]) -> None:
    """A hold asked for (by hand, by a sensor excursion) while an open recall holds these lots
    already: releasing the recall keeps the lot on hold."""
    if not lot_ids:
        return
    conn.execute(
        update(recalls)
        .where(
            recalls.c.org_id == org_id,
            recalls.c.status == "open",
            recalls.c.lot_id.in_(sorted(set(lot_ids))),
        )
        .values(held_before=True)
    )


def set_hold(conn: Connection, org_id: int, key: TraceKey, on_hold: bool) -> None:
    """Put the lot or serial on hold, or lift its hold."""
    table, row_id = (lots, key.lot_id) if key.lot_id is not None else (serials, key.serial_id)
    conn.execute(
        update(table).where(table.c.org_id == org_id, table.c.id == row_id).values(on_hold=on_hold)
    )


def is_held(conn: Connection, org_id: int, key: TraceKey) -> bool:
    table, row_id = (lots, key.lot_id) if key.lot_id is not None else (serials, key.serial_id)
    q = select(table.c.on_hold).where(table.c.org_id == org_id, table.c.id == row_id)
    return bool(conn.execute(q).scalar())
