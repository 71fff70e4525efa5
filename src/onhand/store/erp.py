"""ERP exports: the account mapping and saved import mappings (JSON text per organisation), and
the valuation entries of a span summed per day, scope, kind and origin for the journal, as one
grouped query."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, delete, func, literal, select

from onhand.store.locking import dialect_insert
from onhand.store.tables import (
    account_mappings,
    import_mappings,
    locations,
    movements,
    valuation_entries,
)


def account_mapping(conn: Connection, org_id: int) -> Row[Any] | None:
    """The organisation's stored account mapping (JSON text), or None: the defaults."""
    q = select(account_mappings).where(account_mappings.c.org_id == org_id)
    return conn.execute(q).first()


def save_account_mapping(conn: Connection, org_id: int, values: dict[str, Any]) -> None:
    """Insert or replace the organisation's account mapping."""
    stmt = dialect_insert(conn, account_mappings).values(org_id=org_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["org_id"], set_=values))


def delete_account_mapping(conn: Connection, org_id: int) -> int:
    """Forget the organisation's account mapping (back to the defaults); rows deleted."""
    q = delete(account_mappings).where(account_mappings.c.org_id == org_id)
    return int(conn.execute(q).rowcount or 0)


def import_mapping(conn: Connection, org_id: int, name: str) -> Row[Any] | None:
    """One saved import mapping by name."""
    t = import_mappings.c
    return conn.execute(select(import_mappings).where(t.org_id == org_id, t.name == name)).first()


def list_import_mappings(conn: Connection, org_id: int) -> list[Row[Any]]:
    """Every saved import mapping of the organisation, by name."""
    t = import_mappings.c
    return list(conn.execute(select(import_mappings).where(t.org_id == org_id).order_by(t.name)))


def save_import_mapping(conn: Connection, org_id: int, name: str, values: dict[str, Any]) -> None:
    """Insert or replace a saved import mapping."""
    stmt = dialect_insert(conn, import_mappings).values(org_id=org_id, name=name, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["org_id", "name"], set_=values))


def delete_import_mapping(conn: Connection, org_id: int, name: str) -> int:
    """Delete a saved import mapping; rows deleted (0: there was none)."""
    t = import_mappings.c
    return int(
        conn.execute(delete(import_mappings).where(t.org_id == org_id, t.name == name)).rowcount
        or 0
    )


def entry_sums(
    conn: Connection,
    org_id: int,
    *,
    start: datetime,
    end: datetime,
    scopes: Collection[int] | None = None,
) -> list[Row[Any]]:
    """(day, scope_id, kind, origin, value, expense): the entries in [start, end) summed per UTC
    day (days since 1970-01-01), scope, kind and origin. ``origin`` is ``landed_cost`` for an
    entry a landed cost made, else the kind of location its movement came from (``supplier``,
    ``customer``, ...), or ``none`` (a revaluation): it tells a receipt's price variance from
    one a landed cost or a count made."""
    e = valuation_entries.c
    src = locations.alias("src")
    origin = case(
        (e.landed_cost_id.is_not(None), literal("landed_cost")),
        else_=func.coalesce(src.c.kind, literal("none")),
    ).label("origin")
    q = (
        select(
            e.day,
            e.scope_id,
            e.kind,
            origin,
            func.sum(e.value).label("value"),
            func.sum(e.expense).label("expense"),
        )
        .select_from(valuation_entries)
        .outerjoin(movements, and_(movements.c.id == e.movement_id, movements.c.org_id == e.org_id))
        .outerjoin(src, src.c.id == movements.c.from_location_id)
        .where(e.org_id == org_id, e.at >= start, e.at < end)
        .group_by(e.day, e.scope_id, e.kind, origin)
    )
    if scopes is not None:
        q = q.where(e.scope_id.in_(list(scopes)))
    return list(conn.execute(q))


def scope_kinds(conn: Connection, org_id: int, ids: Collection[int]) -> dict[int, str]:
    """The location kind of each of these locations (scopes: internal or transit)."""
    if not ids:
        return {}
    q = select(locations.c.id, locations.c.kind).where(
        locations.c.org_id == org_id, locations.c.id.in_(list(ids))
    )
    return {r.id: r.kind for r in conn.execute(q)}
