"""Reads over the valuation: value per item and scope (now, or as of any time), quantities per
location, the cost of goods sold per day, open layers. Set operations in SQL, grouped by the
database, so they scale with the number of items rather than the number of movements."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Date, Row, cast, func, literal, select, union_all

from onhand.store import valuation_totals as totals
from onhand.store.tables import (
    balances,
    cost_layers,
    items,
    locations,
    movements,
    valuation_entries,
    valuation_positions,
)


def day_of(conn: Connection, column: Any) -> Any:
    """The UTC calendar day of a stored time, as the database groups it."""
    if conn.dialect.name == "postgresql":
        return cast(column, Date)
    return func.date(column)


def _filters(
    q: Any,
    scope_col: Any,
    item_col: Any,
    *,
    scopes: Collection[int] | None,
    item_ids: Collection[int] | None,
    category: str | None,
) -> Any:
    if scopes is not None:
        q = q.where(scope_col.in_(list(scopes)))
    if item_ids is not None:
        q = q.where(item_col.in_(list(item_ids)))
    if category is not None:
        q = q.where(items.c.category == category)
    return q


def values(
    conn: Connection,
    org_id: int,
    *,
    as_of: datetime | None,
    scopes: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    category: str | None = None,
) -> list[Row[Any]]:
    """(item_id, sku, name, category, scope_id, scope, qty, value) of every item and scope
    holding stock or value: the positions now, or the running totals as of ``as_of``."""
    if as_of is None:
        src = (
            select(
                valuation_positions.c.item_id,
                valuation_positions.c.scope_id,
                valuation_positions.c.qty,
                valuation_positions.c.value,
            )
            .where(valuation_positions.c.org_id == org_id)
            .subquery()
        )
    else:  # the running totals of each item and scope's last entry up to then
        pair_q = totals.pairs(org_id, scopes=scopes, item_ids=item_ids, category=category)
        bound = totals.boundary(org_id, pair_q, as_of, "b", inclusive=True)
        e = valuation_entries.alias("e")
        src = (
            select(
                bound.c.item_id,
                bound.c.scope_id,
                e.c.level_qty.label("qty"),
                e.c.level_value.label("value"),
            )
            .join(e, e.c.id == bound.c.entry_id)
            .subquery()
        )
    q = (
        select(
            src.c.item_id,
            items.c.sku,
            items.c.name,
            items.c.category,
            items.c.precision,
            src.c.scope_id,
            locations.c.path.label("scope"),
            src.c.qty,
            src.c.value,
        )
        .join(items, items.c.id == src.c.item_id)
        .join(locations, locations.c.id == src.c.scope_id)
        .where((src.c.qty != 0) | (src.c.value != 0))
    )
    q = _filters(
        q, src.c.scope_id, src.c.item_id, scopes=scopes, item_ids=item_ids, category=category
    )
    return list(conn.execute(q.order_by(items.c.sku, locations.c.path)))


def location_quantities(
    conn: Connection,
    org_id: int,
    *,
    as_of: datetime | None,
    scopes: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    category: str | None = None,
) -> list[Row[Any]]:
    """(item_id, location_id, path, warehouse_id, kind, qty) per item and stock location."""
    if as_of is None:
        src = (
            select(
                balances.c.item_id, balances.c.location_id, func.sum(balances.c.qty).label("qty")
            )
            .where(balances.c.org_id == org_id)
            .group_by(balances.c.item_id, balances.c.location_id)
            .subquery()
        )
    else:
        m = movements.c
        ins = select(m.item_id, m.to_location_id.label("location_id"), m.qty.label("qty")).where(
            m.org_id == org_id, m.effective_at <= as_of
        )
        outs = select(
            m.item_id, m.from_location_id.label("location_id"), (literal(0) - m.qty).label("qty")
        ).where(m.org_id == org_id, m.effective_at <= as_of)
        u = union_all(ins, outs).subquery()
        src = (
            select(u.c.item_id, u.c.location_id, func.sum(u.c.qty).label("qty"))
            .group_by(u.c.item_id, u.c.location_id)
            .subquery()
        )
    q = (
        select(
            src.c.item_id,
            src.c.location_id,
            locations.c.path,
            locations.c.warehouse_id,
            locations.c.kind,
            src.c.qty,
        )
        .join(locations, locations.c.id == src.c.location_id)
        .join(items, items.c.id == src.c.item_id)
        .where(src.c.qty != 0, locations.c.kind.in_(("internal", "transit")))
    )
    scope_col = func.coalesce(locations.c.warehouse_id, locations.c.id)
    q = _filters(q, scope_col, src.c.item_id, scopes=scopes, item_ids=item_ids, category=category)
    return list(conn.execute(q))


def expenses_by_day(
    conn: Connection,
    org_id: int,
    *,
    start: datetime,
    end: datetime,
    scopes: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    category: str | None = None,
) -> list[Row[Any]]:
    """(day, item_id, scope_id, kind, qty, expense) summed per day in [start, end)."""
    e = valuation_entries.c
    day = day_of(conn, e.at).label("day")
    q = (
        select(
            day,
            e.item_id,
            e.scope_id,
            e.kind,
            func.sum(e.qty).label("qty"),
            func.sum(e.expense).label("expense"),
        )
        .join(items, items.c.id == e.item_id)
        .where(e.org_id == org_id, e.at >= start, e.at < end, e.expense != 0)
        .group_by(day, e.item_id, e.scope_id, e.kind)
    )
    q = _filters(q, e.scope_id, e.item_id, scopes=scopes, item_ids=item_ids, category=category)
    return list(conn.execute(q))


def totals_at(
    conn: Connection,
    org_id: int,
    boundaries: list[datetime],
    *,
    group: str,
    scopes: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    category: str | None = None,
) -> list[Row[Any]]:
    """(k, key, cogs, shrinkage, ppv): the running totals before the k-th boundary, summed per
    key (None; or an item's SKU, its category, or the scope's id: ``group``). One index seek
    per boundary, item and scope."""
    pair_q = totals.pairs(org_id, scopes=scopes, item_ids=item_ids, category=category)
    parts = []
    for k, at in enumerate(boundaries):
        b = totals.boundary(org_id, pair_q, at, f"b{k}")
        parts.append(select(literal(k).label("k"), b.c.item_id, b.c.scope_id, b.c.entry_id))
    u = union_all(*parts).subquery("u")
    e = valuation_entries.alias("e")
    key = {
        "total": literal(None),
        "item": items.c.sku,
        "category": items.c.category,
        "warehouse": u.c.scope_id,
    }[group]
    q = (
        select(
            u.c.k,
            key.label("key"),
            func.sum(e.c.sum_cogs).label("cogs"),
            func.sum(e.c.sum_shrinkage).label("shrinkage"),
            func.sum(e.c.sum_ppv).label("ppv"),
        )
        .join(e, e.c.id == u.c.entry_id)
        .join(items, items.c.id == u.c.item_id)
        .group_by(u.c.k, key)
    )
    return list(conn.execute(q))


def open_layers(
    conn: Connection,
    org_id: int,
    *,
    scopes: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    category: str | None = None,
) -> list[Row[Any]]:
    """Open layers with their position's quantity and book value (to give each its share)."""
    lay = cost_layers.c
    pos = valuation_positions.c
    q = (
        select(
            lay.item_id,
            items.c.sku,
            items.c.name,
            items.c.category,
            lay.scope_id,
            locations.c.path.label("scope"),
            lay.received_at,
            lay.qty,
            lay.value,
            pos.qty.label("position_qty"),
            pos.value.label("position_value"),
        )
        .join(items, items.c.id == lay.item_id)
        .join(locations, locations.c.id == lay.scope_id)
        .join(
            valuation_positions,
            (pos.org_id == lay.org_id)
            & (pos.item_id == lay.item_id)
            & (pos.scope_id == lay.scope_id),
        )
        .where(lay.org_id == org_id)
    )
    q = _filters(q, lay.scope_id, lay.item_id, scopes=scopes, item_ids=item_ids, category=category)
    return list(conn.execute(q.order_by(lay.item_id, lay.scope_id, lay.id)))


def scope_paths(conn: Connection, org_id: int) -> dict[int, str]:
    """Every scope's path: warehouses (roots of internal trees) and transit locations."""
    q = select(locations.c.id, locations.c.path).where(
        locations.c.org_id == org_id,
        ((locations.c.kind == "internal") & (locations.c.parent_id.is_(None)))
        | (locations.c.kind == "transit"),
    )
    return {r.id: r.path for r in conn.execute(q)}
