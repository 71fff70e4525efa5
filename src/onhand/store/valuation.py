"""Valuation in the database: settings, rates, the movements still to value, positions, layers
and entries. Reports over the entries are in store/valuation_reports.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from onhand.store.fastsql import Prepared, insert_defaults, list_param, listed, one_of
from onhand.store.locking import chunks, dialect_insert, insert_for
from onhand.store.tables import (
    category_methods,
    chain_heads,
    cost_layers,
    exchange_rates,
    items,
    landed_cost_lines,
    landed_costs,
    locations,
    movement_costs,
    movements,
    valuation_entries,
    valuation_items,
    valuation_positions,
    valuation_settings,
)

DEFAULT_CURRENCY = "EUR"
DEFAULT_METHOD = "fifo"


# The statements of this module that every posting runs (value_items) are Prepared: for a posting
# of a few lines SQLAlchemy's per-call building and caching cost more than the SQL.
_settings = Prepared(
    lambda _: select(valuation_settings.c.currency, valuation_settings.c.method).where(
        valuation_settings.c.org_id == bindparam("org")
    )
)


def settings(conn: Connection, org_id: int) -> tuple[str, str]:
    """(currency, method) of the organisation; the defaults until someone sets them."""
    row = _settings.first(conn, {"org": org_id})
    return (row[0], row[1]) if row else (DEFAULT_CURRENCY, DEFAULT_METHOD)


def save_settings(
    conn: Connection, org_id: int, currency: str, method: str, now: datetime, by: int
) -> None:
    values = {"currency": currency, "method": method, "updated_at": now, "updated_by": by}
    stmt = dialect_insert(conn, valuation_settings).values(org_id=org_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["org_id"], set_=values))


_category_methods = Prepared(
    lambda _: select(category_methods.c.category, category_methods.c.method).where(
        category_methods.c.org_id == bindparam("org")
    )
)


def category_method_map(conn: Connection, org_id: int) -> dict[str, str]:
    return dict(_category_methods.all(conn, {"org": org_id}))


def save_category_method(
    conn: Connection, org_id: int, category: str, method: str | None, now: datetime, by: int
) -> None:
    """Set a category's method, or clear it (None) so the organisation's applies."""
    key = and_(category_methods.c.org_id == org_id, category_methods.c.category == category)
    if method is None:
        conn.execute(delete(category_methods).where(key))
        return
    values = {"method": method, "updated_at": now, "updated_by": by}
    stmt = dialect_insert(conn, category_methods).values(org_id=org_id, category=category, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["org_id", "category"], set_=values))


_item_costing = Prepared(
    lambda d: select(items.c.id, items.c.category, items.c.unit_cost, items.c.currency).where(
        items.c.org_id == bindparam("org"), one_of(d, items.c.id, "ids", Integer())
    )
)


def item_costing(conn: Connection, org_id: int, item_ids: Sequence[int]) -> dict[int, Any]:
    """Category, catalogue cost and its currency of each item."""
    rows = _item_costing.records(conn, {"org": org_id, "ids": list_param(conn, item_ids)})
    return {r.id: r for r in rows}


def items_in_categories(conn: Connection, org_id: int, categories: list[str]) -> list[int]:
    q = select(items.c.id).where(items.c.org_id == org_id, items.c.category.in_(categories))
    return list(conn.execute(q.order_by(items.c.id)).scalars())


def items_outside_categories(conn: Connection, org_id: int, categories: list[str]) -> list[int]:
    """Items in none of these categories (those without a category included)."""
    q = select(items.c.id).where(
        items.c.org_id == org_id,
        or_(items.c.category.is_(None), items.c.category.not_in(categories)),
    )
    return list(conn.execute(q.order_by(items.c.id)).scalars())


def has_entries(conn: Connection, org_id: int) -> bool:
    q = select(valuation_entries.c.id).where(valuation_entries.c.org_id == org_id).limit(1)
    return conn.execute(q).first() is not None


# --- exchange rates -------------------------------------------------------------------------


def rate_on(conn: Connection, org_id: int, currency: str, day: date) -> str | None:
    """The rate in force on ``day``: the latest given on or before it."""
    return conn.execute(
        select(exchange_rates.c.rate)
        .where(
            exchange_rates.c.org_id == org_id,
            exchange_rates.c.currency == currency,
            exchange_rates.c.day <= day,
        )
        .order_by(exchange_rates.c.day.desc())
        .limit(1)
    ).scalar()


def nearest_rate(conn: Connection, org_id: int, currency: str, day: date) -> str | None:
    """The rate in force on ``day``, else the first one given after it."""
    found = rate_on(conn, org_id, currency, day)
    if found is not None:
        return found
    return conn.execute(
        select(exchange_rates.c.rate)
        .where(exchange_rates.c.org_id == org_id, exchange_rates.c.currency == currency)
        .order_by(exchange_rates.c.day)
        .limit(1)
    ).scalar()


def currencies_without_rate(conn: Connection, org_id: int, own: str) -> list[str]:
    """Currencies items are priced in that have no exchange rate at all."""
    rated = select(exchange_rates.c.currency).where(exchange_rates.c.org_id == org_id)
    q = (
        select(items.c.currency)
        .where(
            items.c.org_id == org_id,
            items.c.currency != own,
            items.c.currency.not_in(rated),
        )
        .distinct()
        .order_by(items.c.currency)
    )
    return list(conn.execute(q).scalars())


def save_rates(
    conn: Connection, org_id: int, rows: Iterable[tuple[str, date, str]], now: datetime, by: int
) -> int:
    """Insert or replace rates (currency, day, rate); how many were written."""
    stmt = dialect_insert(conn, exchange_rates)
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", "currency", "day"],
        set_={"rate": stmt.excluded.rate, "created_at": now, "created_by": by},
    )
    batch = [
        {"org_id": org_id, "currency": c, "day": d, "rate": r, "created_at": now, "created_by": by}
        for c, d, r in rows
    ]
    for part in chunks(batch):
        conn.execute(stmt, list(part))
    return len(batch)


def list_rates(
    conn: Connection, org_id: int, currency: str | None, since: date | None, limit: int
) -> list[Row[Any]]:
    q = select(exchange_rates).where(exchange_rates.c.org_id == org_id)
    if currency is not None:
        q = q.where(exchange_rates.c.currency == currency)
    if since is not None:
        q = q.where(exchange_rates.c.day >= since)
    q = q.order_by(exchange_rates.c.currency, exchange_rates.c.day.desc()).limit(limit)
    return list(conn.execute(q))


# --- what is left to value ------------------------------------------------------------------


def insert_movement_costs(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(movement_costs), rows)


def items_behind(conn: Connection, org_id: int) -> list[int]:
    """Items whose last movements are not valued yet (only after an upgrade, or a failure)."""
    q = (
        select(chain_heads.c.item_id)
        .outerjoin(
            valuation_items,
            and_(
                valuation_items.c.org_id == chain_heads.c.org_id,
                valuation_items.c.item_id == chain_heads.c.item_id,
            ),
        )
        .where(
            chain_heads.c.org_id == org_id,
            chain_heads.c.seq > func.coalesce(valuation_items.c.seq, 0),
        )
        .order_by(chain_heads.c.item_id)
    )
    return list(conn.execute(q).scalars())


def _build_unvalued(d: str) -> Any:
    src, dst = locations.alias("src"), locations.alias("dst")
    asked = listed(d, "items", Integer())
    done = valuation_items  # its seq: the item's last movement valued
    # Driven from the listed items, so that each item's movements are read from its last valued
    # one on (an index range), not from its first.
    return (
        select(
            movements.c.id,
            movements.c.item_id,
            movements.c.chain_seq,
            movements.c.qty,
            movements.c.effective_at,
            movements.c.reverses_id,
            movements.c.ref_type,
            movements.c.ref_id,
            src.c.kind.label("src_kind"),
            src.c.id.label("src_id"),
            src.c.warehouse_id.label("src_wh"),
            dst.c.kind.label("dst_kind"),
            dst.c.id.label("dst_id"),
            dst.c.warehouse_id.label("dst_wh"),
            movement_costs.c.value.label("cost"),
        )
        .select_from(
            asked.outerjoin(
                done, and_(done.c.org_id == bindparam("org"), done.c.item_id == asked.c.value)
            )
            .join(
                movements,
                and_(
                    movements.c.org_id == bindparam("org"),
                    movements.c.item_id == asked.c.value,
                    movements.c.chain_seq > func.coalesce(done.c.seq, 0),
                ),
            )
            .join(src, src.c.id == movements.c.from_location_id)
            .join(dst, dst.c.id == movements.c.to_location_id)
            .outerjoin(movement_costs, movement_costs.c.movement_id == movements.c.id)
        )
        .order_by(movements.c.item_id, movements.c.chain_seq)
    )


_unvalued = Prepared(_build_unvalued)


def unvalued_movements(conn: Connection, org_id: int, item_ids: Sequence[int]) -> list[Any]:
    """The items' movements after the last valued one, in chain order, with what valuation
    needs of their locations and given cost."""
    asked = list_param(conn, sorted(set(item_ids)))
    return _unvalued.records(conn, {"org": org_id, "items": asked})


def entry_bases(
    conn: Connection, org_id: int, movement_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """(value, qty) each movement's outgoing entry took: what undoing it brings back."""
    out: dict[int, tuple[int, int]] = {}
    for part in chunks(list(movement_ids)):
        rows = conn.execute(
            select(
                valuation_entries.c.movement_id,
                func.sum(valuation_entries.c.value),
                func.sum(valuation_entries.c.qty),
            )
            .where(
                valuation_entries.c.org_id == org_id,
                valuation_entries.c.movement_id.in_(list(part)),
                valuation_entries.c.qty < 0,
            )
            .group_by(valuation_entries.c.movement_id)
        )
        out.update((r[0], (-int(r[1]), -int(r[2]))) for r in rows)
    return out


def issue_bases(
    conn: Connection, org_id: int, keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], tuple[int, int]]:
    """(value, qty) issued to customers of each (item, sales order number): what a return
    against that order comes back at."""
    out: dict[tuple[int, str], tuple[int, int]] = {}
    for part in chunks(list(keys)):
        rows = conn.execute(
            select(
                movements.c.item_id,
                movements.c.ref_id,
                func.sum(valuation_entries.c.value),
                func.sum(valuation_entries.c.qty),
            )
            .join(
                movements,
                and_(
                    movements.c.org_id == valuation_entries.c.org_id,
                    movements.c.id == valuation_entries.c.movement_id,
                ),
            )
            .where(
                valuation_entries.c.org_id == org_id,
                valuation_entries.c.kind == "issue",
                movements.c.ref_type == "SO",
                tuple_(movements.c.item_id, movements.c.ref_id).in_(list(part)),
            )
            .group_by(movements.c.item_id, movements.c.ref_id)
        )
        out.update(((r[0], r[1]), (-int(r[2]), -int(r[3]))) for r in rows)
    return out


# --- positions and layers -------------------------------------------------------------------


_positions_of = Prepared(
    lambda d: select(valuation_positions).where(
        valuation_positions.c.org_id == bindparam("org"),
        one_of(d, valuation_positions.c.item_id, "ids", Integer()),
    )
)
_layers_of = Prepared(
    lambda d: (
        select(cost_layers)
        .where(
            cost_layers.c.org_id == bindparam("org"),
            one_of(d, cost_layers.c.item_id, "ids", Integer()),
        )
        .order_by(cost_layers.c.item_id, cost_layers.c.id)
    )
)


def positions_of(conn: Connection, org_id: int, item_ids: Sequence[int]) -> list[Any]:
    return _positions_of.records(conn, {"org": org_id, "ids": list_param(conn, item_ids)})


def layers_of(conn: Connection, org_id: int, item_ids: Sequence[int]) -> list[Any]:
    """Open layers of the items, oldest arrival first."""
    return _layers_of.records(conn, {"org": org_id, "ids": list_param(conn, item_ids)})


_POSITION_FIELDS = ("qty", "value", "short_qty", "short_value", "last_unit_cost")


def _build_save_positions(d: str) -> Any:
    stmt = insert_for(d, valuation_positions).values(
        {c.name: bindparam(c.name) for c in valuation_positions.c}
    )
    return stmt.on_conflict_do_update(
        index_elements=["org_id", "item_id", "scope_id"],
        set_={name: stmt.excluded[name] for name in _POSITION_FIELDS},
    )


_save_positions = Prepared(_build_save_positions)
_LAYER_COLUMNS = (
    "org_id",
    "item_id",
    "scope_id",
    "origin_movement_id",
    "received_at",
    "qty",
    "value",
)
_insert_layers = Prepared(
    lambda _: insert(cost_layers).values({n: bindparam(n) for n in _LAYER_COLUMNS})
)
_update_layer = Prepared(
    lambda _: (
        update(cost_layers)
        .where(cost_layers.c.id == bindparam("k"))
        .values(qty=bindparam("q"), value=bindparam("v"))
    )
)
_delete_layers = Prepared(
    lambda d: delete(cost_layers).where(one_of(d, cost_layers.c.id, "ids", Integer()))
)
_ENTRY_DEFAULTS = insert_defaults(valuation_entries)
_insert_entries = Prepared(
    lambda _: insert(valuation_entries).values({n: bindparam(n) for n in _ENTRY_DEFAULTS})
)


def _build_save_valued_seq(d: str) -> Any:
    stmt = insert_for(d, valuation_items).values(
        org_id=bindparam("org_id"), item_id=bindparam("item_id"), seq=bindparam("seq")
    )
    return stmt.on_conflict_do_update(
        index_elements=["org_id", "item_id"], set_={"seq": stmt.excluded.seq}
    )


_save_valued_seq = Prepared(_build_save_valued_seq)


def save_positions(conn: Connection, org_id: int, rows: list[dict[str, Any]]) -> None:
    _save_positions.executemany(conn, [{"org_id": org_id, **r} for r in rows])


def insert_layers(conn: Connection, org_id: int, rows: list[dict[str, Any]]) -> None:
    _insert_layers.executemany(conn, [{"org_id": org_id, **r} for r in rows])


def update_layers(conn: Connection, rows: list[tuple[int, int, int]]) -> None:
    """(id, qty, value) of layers that changed."""
    _update_layer.executemany(conn, [{"k": k, "q": q, "v": v} for k, q, v in rows])


def delete_layers(conn: Connection, ids: list[int]) -> None:
    if ids:
        _delete_layers.execute(conn, {"ids": list_param(conn, ids)})


def insert_entries(conn: Connection, org_id: int, rows: list[dict[str, Any]]) -> None:
    """Entry rows; columns not given (a landed cost's id) take their defaults."""
    _insert_entries.executemany(conn, [_ENTRY_DEFAULTS | r | {"org_id": org_id} for r in rows])


def save_valued_seq(conn: Connection, org_id: int, seqs: dict[int, int]) -> None:
    rows = [{"org_id": org_id, "item_id": i, "seq": q} for i, q in seqs.items()]
    _save_valued_seq.executemany(conn, rows)


def receipt_movements(conn: Connection, org_id: int, movement_ids: Sequence[int]) -> list[Row[Any]]:
    """Arrivals from a supplier into stock among these movements, with their item's weight."""
    dst = locations.alias("dst")
    src = locations.alias("src")
    out: list[Row[Any]] = []
    for part in chunks(list(movement_ids)):
        q = (
            select(
                movements.c.id,
                movements.c.item_id,
                movements.c.qty,
                dst.c.kind.label("dst_kind"),
                dst.c.id.label("dst_id"),
                dst.c.warehouse_id.label("dst_wh"),
                items.c.sku,
                items.c.weight,
            )
            .join(src, src.c.id == movements.c.from_location_id)
            .join(dst, dst.c.id == movements.c.to_location_id)
            .join(items, items.c.id == movements.c.item_id)
            .where(
                movements.c.org_id == org_id,
                movements.c.id.in_(list(part)),
                src.c.kind == "supplier",
                or_(dst.c.kind == "internal", dst.c.kind == "transit"),
            )
        )
        out.extend(conn.execute(q))
    return sorted(out, key=lambda r: r.id)


def receipt_movement_ids_of_po(conn: Connection, org_id: int, number: str) -> list[int]:
    src = locations.alias("src")
    q = (
        select(movements.c.id)
        .join(src, src.c.id == movements.c.from_location_id)
        .where(
            movements.c.org_id == org_id,
            movements.c.ref_type == "PO",
            movements.c.ref_id == number,
            src.c.kind == "supplier",
        )
        .order_by(movements.c.id)
    )
    return list(conn.execute(q).scalars())


def arrival_values(conn: Connection, org_id: int, movement_ids: Sequence[int]) -> dict[int, int]:
    """What each arrival cost: its given cost, else the value its receipt entry booked."""
    out: dict[int, int] = {}
    for part in chunks(list(movement_ids)):
        rows = conn.execute(
            select(
                valuation_entries.c.movement_id,
                func.coalesce(movement_costs.c.value, valuation_entries.c.value),
            )
            .outerjoin(
                movement_costs, movement_costs.c.movement_id == valuation_entries.c.movement_id
            )
            .where(
                valuation_entries.c.org_id == org_id,
                valuation_entries.c.movement_id.in_(list(part)),
                valuation_entries.c.kind == "receipt",
            )
        )
        out.update((r[0], int(r[1])) for r in rows)
    return out


# --- landed costs ---------------------------------------------------------------------------


def insert_landed_cost(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(landed_costs).values(**values)).inserted_primary_key[0])


def insert_landed_cost_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows):
        conn.execute(insert(landed_cost_lines), list(part))


def landed_cost_by_id(conn: Connection, org_id: int, lc_id: int) -> Row[Any]:
    q = select(landed_costs).where(landed_costs.c.org_id == org_id, landed_costs.c.id == lc_id)
    return conn.execute(q).one()


def landed_cost_by_number(conn: Connection, org_id: int, number: str) -> Row[Any] | None:
    q = select(landed_costs).where(landed_costs.c.org_id == org_id, landed_costs.c.number == number)
    return conn.execute(q).first()


def list_landed_costs(conn: Connection, org_id: int, limit: int) -> list[Row[Any]]:
    q = (
        select(landed_costs)
        .where(landed_costs.c.org_id == org_id)
        .order_by(landed_costs.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(q))


def landed_cost_lines_of(conn: Connection, org_id: int, lc_id: int) -> list[Row[Any]]:
    q = (
        select(landed_cost_lines.c.movement_id, landed_cost_lines.c.value, items.c.sku)
        .join(items, items.c.id == landed_cost_lines.c.item_id)
        .where(
            landed_cost_lines.c.org_id == org_id,
            landed_cost_lines.c.landed_cost_id == lc_id,
        )
        .order_by(landed_cost_lines.c.movement_id)
    )
    return list(conn.execute(q))


def landed_cost_totals(conn: Connection, org_id: int, lc_id: int) -> tuple[int, int]:
    """(to stock, expensed) of a landed cost's entries."""
    row = conn.execute(
        select(
            func.coalesce(func.sum(valuation_entries.c.value), 0),
            func.coalesce(func.sum(valuation_entries.c.expense), 0),
        ).where(
            valuation_entries.c.org_id == org_id,
            valuation_entries.c.landed_cost_id == lc_id,
        )
    ).one()
    return int(row[0]), int(row[1])
