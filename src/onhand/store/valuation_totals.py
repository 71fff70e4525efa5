"""The running totals on valuation entries (domain/valuation_totals.py): the entries a new one
follows or precedes when it is written, and the totals of every item and scope at a boundary,
each found by one seek down the index (org_id, item_id, scope_id, at, id)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    update,
)

from onhand.domain.valuation_totals import TOTAL_FIELDS, Totals
from onhand.store.fastsql import Prepared, list_param, one_of
from onhand.store.locking import chunks
from onhand.store.tables import items, valuation_entries, valuation_positions

_E = valuation_entries.c
_COLUMNS = (_E.id, _E.item_id, _E.scope_id, _E.at, _E.day, *(_E[n] for n in TOTAL_FIELDS))


def day_column(conn: Connection, column: Any) -> Any:
    """The UTC day of a stored time as the database computes it (days since 1970-01-01)."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 86400), Integer)
    return cast(func.julianday(func.date(column)) - 2440587.5, Integer)


def totals_of(row: Any) -> Totals:
    """The totals an entry row carries."""
    return Totals(int(row.day), *(int(getattr(row, n)) for n in TOTAL_FIELDS))


def _pair(org_id: Any, item_id: Any, scope_id: Any) -> tuple[Any, ...]:
    return (_E.org_id == org_id, _E.item_id == item_id, _E.scope_id == scope_id)


def _build_last_entries(d: str) -> Any:
    p = valuation_positions.c
    last = (
        select(_E.id)
        .where(*_pair(p.org_id, p.item_id, p.scope_id))
        .order_by(_E.at.desc(), _E.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ids = select(last).where(p.org_id == bindparam("org"), one_of(d, p.item_id, "ids", Integer()))
    return select(*_COLUMNS).where(_E.id.in_(ids))


# Prepared: every posting runs it (see store/valuation.py).
_last_entries = Prepared(_build_last_entries)


def last_entries(
    conn: Connection, org_id: int, item_ids: Sequence[int]
) -> dict[tuple[int, int], Any]:
    """The last entry, in running order, of every scope of the items that has one."""
    rows = _last_entries.records(conn, {"org": org_id, "ids": list_param(conn, item_ids)})
    return {(r.item_id, r.scope_id): r for r in rows}


def entry_at_or_before(
    conn: Connection, org_id: int, item_id: int, scope_id: int, at: datetime
) -> Row[Any] | None:
    """The last entry of the item in the scope at or before ``at``."""
    q = (
        select(*_COLUMNS)
        .where(*_pair(org_id, item_id, scope_id), _E.at <= at)
        .order_by(_E.at.desc(), _E.id.desc())
        .limit(1)
    )
    return conn.execute(q).first()


def entries_after(
    conn: Connection, org_id: int, item_id: int, scope_id: int, at: datetime
) -> list[Row[Any]]:
    """The entries of the item in the scope after ``at``, in running order, with what their
    totals are made of."""
    q = (
        select(*_COLUMNS, _E.kind, _E.qty, _E.value, _E.expense)
        .where(*_pair(org_id, item_id, scope_id), _E.at > at)
        .order_by(_E.at, _E.id)
    )
    return list(conn.execute(q))


def update_totals(conn: Connection, rows: list[tuple[int, Totals]]) -> None:
    """Rewrite the totals of entries (after an entry was written before them)."""
    if not rows:
        return
    stmt = (
        update(valuation_entries)
        .where(_E.id == bindparam("entry_id"))
        .values({n: bindparam(n) for n in TOTAL_FIELDS})
    )
    for part in chunks(rows, 2000):
        conn.execute(
            stmt, [{"entry_id": k, **{n: getattr(t, n) for n in TOTAL_FIELDS}} for k, t in part]
        )


def pairs(
    org_id: int,
    *,
    scopes: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    category: str | None = None,
) -> Any:
    """The items and scopes ever valued (their positions), limited as asked."""
    p = valuation_positions.c
    q = select(p.item_id, p.scope_id).where(p.org_id == org_id)
    if scopes is not None:
        q = q.where(p.scope_id.in_(list(scopes)))
    if item_ids is not None:
        q = q.where(p.item_id.in_(list(item_ids)))
    if category is not None:
        q = q.join(items, items.c.id == p.item_id).where(items.c.category == category)
    return q


def boundary(
    org_id: int, pair_query: Any, at: datetime, name: str, *, inclusive: bool = False
) -> Any:
    """(item_id, scope_id, entry_id) of every pair: its last entry before ``at`` (or at it,
    if ``inclusive``), none if it has none."""
    src = pair_query.subquery(f"{name}_pairs")
    last = (
        select(_E.id)
        .where(
            *_pair(org_id, src.c.item_id, src.c.scope_id),
            _E.at <= at if inclusive else _E.at < at,
        )
        .order_by(_E.at.desc(), _E.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(src.c.item_id, src.c.scope_id, last.label("entry_id")).cte(name)


def level(entry: Any, field: str) -> Any:
    """A total at a boundary (``entry`` the boundary's entry, joined outer): zero before the
    first entry."""
    return func.coalesce(entry.c[field], 0)


def held_value(entry: Any, day: int) -> Any:
    """The end-of-day values summed over the days before ``day``."""
    c = entry.c
    return func.coalesce(c.held_value + c.level_value * (literal(day) - c.day), 0)


def out_days(entry: Any, day: int) -> Any:
    """The days before ``day`` that ended with nothing or less."""
    c = entry.c
    gap = case((c.level_qty <= 0, literal(day) - c.day), else_=0)
    return func.coalesce(c.out_days + gap, 0)
