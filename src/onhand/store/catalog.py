"""Items, barcodes, lots and serial numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)

from onhand.domain.items import ItemRef, Tracking
from onhand.store.fastsql import Prepared, list_param, one_of
from onhand.store.locking import chunks, dialect_insert
from onhand.store.tables import balances, item_barcodes, items, locations, lots, movements, serials

_ref_cols = (
    items.c.id,
    items.c.sku,
    items.c.uom,
    items.c.precision,
    items.c.tracking,
    items.c.shelf_life_days,
    items.c.active,
)


def _ref(row: Any) -> ItemRef:
    """From a row of ``_ref_cols`` (a Row or a driver tuple: read by position)."""
    return ItemRef(
        id=row[0],
        sku=row[1],
        uom=row[2],
        precision=row[3],
        tracking=Tracking(row[4]),
        shelf_life_days=row[5],
        active=bool(row[6]),
    )


_item_by_sku = Prepared(
    lambda _: select(*_ref_cols).where(
        items.c.org_id == bindparam("o"), items.c.sku == bindparam("s")
    )
)
_items_by_sku = Prepared(
    lambda dialect: select(*_ref_cols).where(
        items.c.org_id == bindparam("o"), one_of(dialect, items.c.sku, "skus", String())
    )
)


def item_refs_by_sku(conn: Connection, org_id: int, skus: Sequence[str]) -> dict[str, ItemRef]:
    wanted = sorted(set(skus))
    found: dict[str, ItemRef] = {}
    if len(wanted) <= 2:  # a single movement: one indexed lookup each
        for sku in wanted:
            row = _item_by_sku.first(conn, {"o": org_id, "s": sku})
            if row is not None:
                found[row[1]] = _ref(row)
        return found
    rows = _items_by_sku.all(conn, {"o": org_id, "skus": list_param(conn, wanted)})
    found.update((r[1], _ref(r)) for r in rows)
    return found


def item_refs_by_id(conn: Connection, org_id: int, ids: Sequence[int]) -> dict[int, ItemRef]:
    found: dict[int, ItemRef] = {}
    for part in chunks(sorted(set(ids))):
        q = select(*_ref_cols).where(items.c.org_id == org_id, items.c.id.in_(part))
        found.update((r.id, _ref(r)) for r in conn.execute(q))
    return found


_active_items_by_id = Prepared(
    lambda dialect: select(*_ref_cols).where(
        items.c.org_id == bindparam("o"),
        items.c.active.is_(True),
        one_of(dialect, items.c.id, "ids", Integer()),
    )
)


def active_item_refs(conn: Connection, org_id: int, ids: Sequence[int]) -> list[ItemRef]:
    """The active items among ``ids``: one query, the ids bound as one list parameter."""
    rows = _active_items_by_id.all(conn, {"o": org_id, "ids": list_param(conn, list(ids))})
    return [_ref(r) for r in rows]


def item_labels(conn: Connection, org_id: int, ids: Sequence[int]) -> dict[int, Row[Any]]:
    """(sku, name, category) of each item, by id."""
    out: dict[int, Row[Any]] = {}
    for part in chunks(list(ids)):
        q = select(items.c.id, items.c.sku, items.c.name, items.c.category).where(
            items.c.org_id == org_id, items.c.id.in_(list(part))
        )
        out.update((r.id, r) for r in conn.execute(q))
    return out


def insert_item(conn: Connection, values: dict[str, Any]) -> int:
    return conn.execute(insert(items).values(**values).returning(items.c.id)).scalar_one()


def update_item(conn: Connection, org_id: int, item_id: int, values: dict[str, Any]) -> None:
    conn.execute(
        update(items).where(items.c.org_id == org_id, items.c.id == item_id).values(**values)
    )


def item_by_sku(conn: Connection, org_id: int, sku: str) -> Row[Any] | None:
    return conn.execute(select(items).where(items.c.org_id == org_id, items.c.sku == sku)).first()


def list_items(
    conn: Connection,
    org_id: int,
    *,
    category: str | None,
    active: bool | None,
    search: str | None,
    after_sku: str | None,
    limit: int,
) -> list[Row[Any]]:
    q = _items_where(select(items), org_id, category, active, search, after_sku)
    return list(conn.execute(q.order_by(items.c.sku).limit(limit)))


def count_items(
    conn: Connection,
    org_id: int,
    *,
    category: str | None,
    active: bool | None,
    search: str | None,
    after_sku: str | None,
) -> int:
    """How many items ``list_items`` would list with no limit."""
    q = select(func.count()).select_from(items)
    q = _items_where(q, org_id, category, active, search, after_sku)
    return int(conn.execute(q).scalar_one())


def _items_where(
    q: Any,
    org_id: int,
    category: str | None,
    active: bool | None,
    search: str | None,
    after_sku: str | None,
) -> Any:
    q = q.where(items.c.org_id == org_id)
    if category is not None:
        q = q.where(items.c.category == category)
    if active is not None:
        q = q.where(items.c.active == active)
    if search:
        pattern = f"%{search.lower()}%"
        q = q.where(func.lower(items.c.sku).like(pattern) | func.lower(items.c.name).like(pattern))
    if after_sku:
        q = q.where(items.c.sku > after_sku)
    return q


def barcodes_of(conn: Connection, org_id: int, item_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in item_ids}
    for part in chunks(sorted(set(item_ids))):
        q = (
            select(item_barcodes.c.item_id, item_barcodes.c.barcode)
            .where(item_barcodes.c.org_id == org_id, item_barcodes.c.item_id.in_(part))
            .order_by(item_barcodes.c.id)
        )
        for r in conn.execute(q):
            out[r.item_id].append(r.barcode)
    return out


def barcode_owners(conn: Connection, org_id: int, barcodes: Sequence[str]) -> dict[str, int]:
    if not barcodes:
        return {}
    q = select(item_barcodes.c.barcode, item_barcodes.c.item_id).where(
        item_barcodes.c.org_id == org_id, item_barcodes.c.barcode.in_(list(barcodes))
    )
    return {r.barcode: r.item_id for r in conn.execute(q)}


def replace_barcodes(conn: Connection, org_id: int, item_id: int, barcodes: list[str]) -> None:
    conn.execute(
        delete(item_barcodes).where(
            item_barcodes.c.org_id == org_id, item_barcodes.c.item_id == item_id
        )
    )
    if barcodes:
        conn.execute(
            insert(item_barcodes),
            [{"org_id": org_id, "item_id": item_id, "barcode": b} for b in barcodes],
        )


def item_has_movements(conn: Connection, org_id: int, item_id: int) -> bool:
    q = select(exists().where(movements.c.org_id == org_id, movements.c.item_id == item_id))
    return bool(conn.execute(q).scalar())


def item_stock_in_stock_locations(conn: Connection, org_id: int, item_id: int) -> int:
    q = (
        select(func.coalesce(func.sum(balances.c.qty), 0))
        .select_from(balances.join(locations, locations.c.id == balances.c.location_id))
        .where(
            balances.c.org_id == org_id,
            balances.c.item_id == item_id,
            locations.c.kind.in_(("internal", "transit")),
        )
    )
    return int(conn.execute(q).scalar_one())


# Lots -------------------------------------------------------------------------------------------


_ONE_BY_CODE = {
    table.name: select(table).where(
        table.c.org_id == bindparam("o"), table.c.item_id == bindparam("i"), code == bindparam("c")
    )
    for table, code in ((lots, lots.c.code), (serials, serials.c.serial))
}


def _by_item_and_code(
    conn: Connection, table: Any, code_col: Any, org_id: int, pairs: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], Row[Any]]:
    """Rows for (item_id, code) pairs: one query per chunk, an index lookup per pair.

    The pairs are a VALUES list joined to the table (a query per item made postings that name
    many lot-tracked items slow); both databases look each pair up in the unique index.
    """
    found: dict[tuple[int, str], Row[Any]] = {}
    wanted = sorted(set(pairs))
    if len(wanted) == 1:  # one lot or serial (a single movement): a statement built once
        ((item_id, code),) = wanted
        row = conn.execute(_ONE_BY_CODE[table.name], {"o": org_id, "i": item_id, "c": code}).first()
        return {} if row is None else {(item_id, code): row}
    for part in chunks(wanted):
        params: dict[str, Any] = {"org_id": org_id}
        rows = []
        for n, (item_id, code) in enumerate(part):
            params[f"i{n}"], params[f"c{n}"] = item_id, code
            rows.append(f"(CAST(:i{n} AS INTEGER), CAST(:c{n} AS VARCHAR(64)))")
        q = text(
            f"WITH wanted(item_id, code) AS (VALUES {', '.join(rows)}) "
            f"SELECT t.* FROM wanted JOIN {table.name} t ON t.org_id = :org_id "
            f"AND t.item_id = wanted.item_id AND t.{code_col.name} = wanted.code"
        ).columns(*table.c)
        found.update(((r.item_id, r._mapping[code_col.name]), r) for r in conn.execute(q, params))
    return found


def lots_by_code(
    conn: Connection, org_id: int, pairs: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], Row[Any]]:
    """(item_id, code) -> lot row, for the pairs that exist."""
    return _by_item_and_code(conn, lots, lots.c.code, org_id, pairs)


def insert_lots(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Create lots; a lot created meanwhile by a concurrent posting is kept as it is."""
    stmt = dialect_insert(conn, lots).on_conflict_do_nothing(
        index_elements=["org_id", "item_id", "code"]
    )
    conn.execute(stmt, rows)


def insert_lot(conn: Connection, row: dict[str, Any]) -> int | None:
    """Create one lot; None when it exists already (perhaps created by a concurrent request)."""
    stmt = (
        dialect_insert(conn, lots)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["org_id", "item_id", "code"])
        .returning(lots.c.id)
    )
    return conn.execute(stmt).scalar()


def lot_by_id(conn: Connection, org_id: int, lot_id: int) -> Row[Any] | None:
    return conn.execute(select(lots).where(lots.c.org_id == org_id, lots.c.id == lot_id)).first()


def list_lots(conn: Connection, org_id: int, item_id: int | None, limit: int) -> list[Row[Any]]:
    q = select(lots, items.c.sku).join(items, items.c.id == lots.c.item_id)
    q = q.where(lots.c.org_id == org_id)
    if item_id is not None:
        q = q.where(lots.c.item_id == item_id)
    return list(conn.execute(q.order_by(lots.c.id).limit(limit)))


def update_lot(
    conn: Connection, org_id: int, lot_id: int, *, expiry_date: date | None, on_hold: bool
) -> None:
    conn.execute(
        update(lots)
        .where(lots.c.org_id == org_id, lots.c.id == lot_id)
        .values(expiry_date=expiry_date, on_hold=on_hold)
    )


# Serials ----------------------------------------------------------------------------------------


def serials_by_code(
    conn: Connection, org_id: int, pairs: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], Row[Any]]:
    """(item_id, serial) -> serial row, for the pairs that exist."""
    return _by_item_and_code(conn, serials, serials.c.serial, org_id, pairs)


def insert_serials(
    conn: Connection, org_id: int, pairs: list[tuple[int, str]], now: datetime, actor: int
) -> None:
    stmt = dialect_insert(conn, serials).on_conflict_do_nothing(
        index_elements=["org_id", "item_id", "serial"]
    )
    conn.execute(
        stmt,
        [
            {"org_id": org_id, "item_id": i, "serial": s, "created_at": now, "created_by": actor}
            for i, s in pairs
        ],
    )
