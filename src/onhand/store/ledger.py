"""Postings and movements: append-only rows, and the reads of the ledger's history."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Subquery,
    bindparam,
    insert,
    select,
    union,
)
from sqlalchemy.orm import aliased

from onhand.domain.chain import MovementRecord
from onhand.store.fastsql import Prepared
from onhand.store.tables import items, locations, lots, movements, postings, serials, users

KEY_WIDTH = 128  # postings.idempotency_key


def stored_key(key: str) -> str:
    """The idempotency key as the postings table keeps it: as given when it fits the column,
    else its SHA-256 (a client's key with a use case's prefix can outgrow it), so the same
    key always finds the same posting."""
    if len(key) <= KEY_WIDTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class PostingRef(NamedTuple):
    id: int
    payload_hash: str
    movement_count: int


_find_posting = Prepared(
    lambda _: select(postings.c.id, postings.c.payload_hash, postings.c.movement_count).where(
        postings.c.org_id == bindparam("o"), postings.c.idempotency_key == bindparam("k")
    )
)


def find_posting(conn: Connection, org_id: int, key: str) -> PostingRef | None:
    """The posting made with an idempotency key, if any (every posting looks this up)."""
    row = _find_posting.first(conn, {"o": org_id, "k": stored_key(key)})
    return None if row is None else PostingRef(*row)


_insert_posting = Prepared(
    lambda _: (
        insert(postings)
        .values({c.name: bindparam(c.name) for c in postings.c if c.name != "id"})
        .returning(postings.c.id)
    )
)


def insert_posting(
    conn: Connection,
    *,
    org_id: int,
    key: str,
    payload_hash: str,
    actor_id: int,
    count: int,
    now: datetime,
) -> int:
    row = _insert_posting.first(
        conn,
        {
            "org_id": org_id,
            "idempotency_key": stored_key(key),
            "payload_hash": payload_hash,
            "actor_id": actor_id,
            "movement_count": count,
            "created_at": now,
        },
    )
    return int(row[0])


def posting_movement_ids(conn: Connection, org_id: int, posting_id: int) -> list[int]:
    q = (
        select(movements.c.id)
        .where(movements.c.org_id == org_id, movements.c.posting_id == posting_id)
        .order_by(movements.c.id)
    )
    return [r[0] for r in conn.execute(q)]


_insert_movements = Prepared(
    lambda _: insert(movements).values({c.name: bindparam(c.name) for c in movements.c})
)


# The order of the rows insert_movements takes: a MovementRecord's fields, then the hash.
MOVEMENT_COLUMNS: tuple[str, ...] = (*MovementRecord._fields, "hash")


def insert_movements(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Append movement rows, each a tuple in MOVEMENT_COLUMNS order."""
    _insert_movements.executemany_rows(conn, MOVEMENT_COLUMNS, rows)


_src = aliased(locations, name="src")
_dst = aliased(locations, name="dst")

_history = (
    select(
        movements,
        items.c.sku,
        items.c.precision,
        _src.c.path.label("from_path"),
        _dst.c.path.label("to_path"),
        lots.c.code.label("lot_code"),
        serials.c.serial.label("serial_code"),
    )
    .join(items, items.c.id == movements.c.item_id)
    .join(_src, _src.c.id == movements.c.from_location_id)
    .join(_dst, _dst.c.id == movements.c.to_location_id)
    .outerjoin(lots, lots.c.id == movements.c.lot_id)
    .outerjoin(serials, serials.c.id == movements.c.serial_id)
)


def movement_by_id(conn: Connection, org_id: int, movement_id: int) -> Row[Any] | None:
    return conn.execute(
        _history.where(movements.c.org_id == org_id, movements.c.id == movement_id)
    ).first()


# "org_id + 0": the organisation is checked on the rows found through the unique index on
# reverses_id. Without it SQLite may prefer an index that starts with org_id and walk every
# movement of the organisation (seconds at a million movements).
_org_of_row = movements.c.org_id + 0


def reversal_of(conn: Connection, org_id: int, movement_id: int) -> int | None:
    return conn.execute(
        select(movements.c.id).where(movements.c.reverses_id == movement_id, _org_of_row == org_id)
    ).scalar()


def history(
    conn: Connection,
    org_id: int,
    *,
    item_id: int,
    location_id: int | None,
    since: datetime | None,
    until: datetime | None,
    ref_type: str | None,
    ref_id: str | None,
    after_id: int | None,
    limit: int,
    warehouse_ids: Collection[int] = (),
) -> list[Row[Any]]:
    """An item's movements, newest first, keyset-paged by id; with ``warehouse_ids``, only those
    into or out of these warehouses."""
    q = _history.where(movements.c.org_id == org_id, movements.c.item_id == item_id)
    if warehouse_ids:
        ids = sorted(warehouse_ids)
        q = q.where(_src.c.warehouse_id.in_(ids) | _dst.c.warehouse_id.in_(ids))
    if location_id is not None:
        q = q.where(
            (movements.c.from_location_id == location_id)
            | (movements.c.to_location_id == location_id)
        )
    if since is not None:
        q = q.where(movements.c.effective_at >= since)
    if until is not None:
        q = q.where(movements.c.effective_at < until)
    if ref_type is not None:
        q = q.where(movements.c.ref_type == ref_type)
    if ref_id is not None:
        q = q.where(movements.c.ref_id == ref_id)
    if after_id is not None:
        q = q.where(movements.c.id < after_id)
    return list(conn.execute(q.order_by(movements.c.id.desc()).limit(limit)))


# What each kind of return is in the ledger. A customer return (RMA) and a return to a supplier
# (RTV) by their reference; scrap by its reference or by where it went (any write-off into a
# scrap location: the scrap form, a plain movement, an import), so its reversals count too.
RETURN_KINDS = ("customer_return", "supplier_return", "scrap")
_RETURN_REFS = {"customer_return": "RMA", "supplier_return": "RTV", "scrap": "scrap"}


def _newest_ids(
    condition: ColumnElement[bool],
    org_id: int,
    *,
    before_id: int | None,
    limit: int,
    warehouse_ids: Collection[int],
) -> Subquery:
    """The ids of the newest ``limit`` movements meeting ``condition`` (and the restrictions)."""
    q = select(movements.c.id).where(movements.c.org_id == org_id, condition)
    if warehouse_ids:
        ids = sorted(warehouse_ids)
        q = q.join(_src, _src.c.id == movements.c.from_location_id).join(
            _dst, _dst.c.id == movements.c.to_location_id
        )
        q = q.where(_src.c.warehouse_id.in_(ids) | _dst.c.warehouse_id.in_(ids))
    if before_id is not None:
        q = q.where(movements.c.id < before_id)
    return q.order_by(movements.c.id.desc()).limit(limit).subquery()


def return_history(
    conn: Connection,
    org_id: int,
    *,
    kinds: Collection[str],
    before_id: int | None,
    limit: int,
    warehouse_ids: Collection[int] = (),
) -> list[Row[Any]]:
    """Movements of returns from customers, returns to suppliers and scrap (of ``kinds``),
    newest first, keyset-paged by id, with who posted them; with ``warehouse_ids``, only those
    into or out of these warehouses."""
    # One branch per index (the reference; the scrap locations), each its newest ``limit``:
    # an OR of the two would make the databases walk every movement of the organisation.
    page = {"org_id": org_id, "before_id": before_id, "limit": limit}
    refs = [_RETURN_REFS[k] for k in RETURN_KINDS if k in kinds]
    branches = [_newest_ids(movements.c.ref_type.in_(refs), **page, warehouse_ids=warehouse_ids)]
    if "scrap" in kinds:
        scrap = select(locations.c.id).where(
            locations.c.org_id == org_id, locations.c.kind == "scrap"
        )
        into_scrap = movements.c.to_location_id.in_(scrap)
        branches.append(_newest_ids(into_scrap, **page, warehouse_ids=warehouse_ids))
    found = union(*(select(b.c.id) for b in branches)).subquery()
    q = (
        _history.add_columns(
            _src.c.kind.label("from_kind"),
            _dst.c.kind.label("to_kind"),
            users.c.username,
        )
        .outerjoin(users, users.c.id == movements.c.actor_id)
        .where(movements.c.id.in_(select(found.c.id)), _org_of_row == org_id)
    )
    return list(conn.execute(q.order_by(movements.c.id.desc()).limit(limit)))


def movements_of_posting(conn: Connection, org_id: int, posting_id: int) -> list[Row[Any]]:
    q = _history.where(movements.c.org_id == org_id, movements.c.posting_id == posting_id)
    return list(conn.execute(q.order_by(movements.c.id)))


def reversals_of(conn: Connection, org_id: int, movement_ids: list[int]) -> dict[int, int]:
    """For each of these movements that was reversed, the id of the movement reversing it."""
    if not movement_ids:
        return {}
    q = select(movements.c.reverses_id, movements.c.id).where(
        movements.c.reverses_id.in_(movement_ids), _org_of_row == org_id
    )
    return {r.reverses_id: r.id for r in conn.execute(q)}
