"""Locations: the tree of warehouses, zones and bins, and the virtual locations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from onhand.domain.locations import LocationKind, LocationRef, subtree_bounds
from onhand.store.fastsql import Prepared
from onhand.store.locking import chunks
from onhand.store.tables import balances, locations

_ref_cols = (
    locations.c.id,
    locations.c.path,
    locations.c.kind,
    locations.c.allow_negative,
    locations.c.active,
    locations.c.warehouse_id,
)


def _ref(r: Any) -> LocationRef:
    """From a row of ``_ref_cols`` (a Row or a driver tuple: read by position)."""
    return LocationRef(
        id=r[0],
        path=r[1],
        kind=LocationKind(r[2]),
        allow_negative=bool(r[3]),
        active=bool(r[4]),
        warehouse_id=r[5],
    )


_location_by_path = Prepared(
    lambda _: select(*_ref_cols).where(
        locations.c.org_id == bindparam("o"), locations.c.path == bindparam("p")
    )
)
_two_locations_by_path = Prepared(
    lambda _: select(*_ref_cols).where(
        locations.c.org_id == bindparam("o"),
        locations.c.path.in_([bindparam("p"), bindparam("q")]),
    )
)
_locations_by_path = select(*_ref_cols).where(
    locations.c.org_id == bindparam("o"), locations.c.path.in_(bindparam("paths", expanding=True))
)


def location_refs_by_path(
    conn: Connection, org_id: int, paths: Sequence[str]
) -> dict[str, LocationRef]:
    wanted = sorted(set(paths))
    found: dict[str, LocationRef] = {}
    if len(wanted) == 2:  # a single movement's from and to: one statement
        rows = _two_locations_by_path.all(conn, {"o": org_id, "p": wanted[0], "q": wanted[1]})
        return {row[1]: _ref(row) for row in rows}
    if len(wanted) == 1:
        row = _location_by_path.first(conn, {"o": org_id, "p": wanted[0]})
        return {} if row is None else {row[1]: _ref(row)}
    for part in chunks(wanted):
        rows = conn.execute(_locations_by_path, {"o": org_id, "paths": list(part)})
        found.update((r[1], _ref(r)) for r in rows)
    return found


def location_refs_by_id(
    conn: Connection, org_id: int, ids: Sequence[int]
) -> dict[int, LocationRef]:
    found: dict[int, LocationRef] = {}
    for part in chunks(sorted(set(ids))):
        q = select(*_ref_cols).where(locations.c.org_id == org_id, locations.c.id.in_(part))
        found.update((r.id, _ref(r)) for r in conn.execute(q))
    return found


def insert_location(conn: Connection, values: dict[str, Any]) -> int:
    return conn.execute(insert(locations).values(**values).returning(locations.c.id)).scalar_one()


def set_warehouse(conn: Connection, location_id: int, warehouse_id: int) -> None:
    conn.execute(
        update(locations).where(locations.c.id == location_id).values(warehouse_id=warehouse_id)
    )


def update_location(
    conn: Connection, org_id: int, location_id: int, values: dict[str, Any]
) -> None:
    conn.execute(
        update(locations)
        .where(locations.c.org_id == org_id, locations.c.id == location_id)
        .values(**values)
    )


_location_row_by_path = Prepared(
    lambda _: select(locations).where(
        locations.c.org_id == bindparam("org"), locations.c.path == bindparam("path")
    )
)


def location_by_path(conn: Connection, org_id: int, path: str) -> Any | None:
    """The location at a path (a named row), or None."""
    return _location_row_by_path.record(conn, {"org": org_id, "path": path})


def location_by_id(conn: Connection, org_id: int, location_id: int) -> Row[Any] | None:
    return conn.execute(
        select(locations).where(locations.c.org_id == org_id, locations.c.id == location_id)
    ).first()


def list_locations(
    conn: Connection,
    org_id: int,
    *,
    under: str | None,
    kind: str | None,
    active: bool | None,
    after_path: str | None,
    limit: int,
) -> list[Row[Any]]:
    q = select(locations).where(locations.c.org_id == org_id)
    if under is not None:
        lo, hi = subtree_bounds(under)
        q = q.where(
            (locations.c.path == under) | ((locations.c.path >= lo) & (locations.c.path < hi))
        )
    if kind is not None:
        q = q.where(locations.c.kind == kind)
    if active is not None:
        q = q.where(locations.c.active == active)
    if after_path is not None:
        q = q.where(locations.c.path > after_path)
    return list(conn.execute(q.order_by(locations.c.path).limit(limit)))


def subtree_stock(conn: Connection, org_id: int, path: str) -> int:
    """Sum of absolute balances in a location and its descendants (0 means empty)."""
    lo, hi = subtree_bounds(path)
    q = (
        select(func.coalesce(func.sum(func.abs(balances.c.qty)), 0))
        .select_from(balances.join(locations, locations.c.id == balances.c.location_id))
        .where(
            balances.c.org_id == org_id,
            (locations.c.path == path) | ((locations.c.path >= lo) & (locations.c.path < hi)),
        )
    )
    return int(conn.execute(q).scalar_one())


def has_active_children(conn: Connection, org_id: int, location_id: int) -> bool:
    q = select(func.count()).where(
        locations.c.org_id == org_id,
        locations.c.parent_id == location_id,
        locations.c.active.is_(True),
    )
    return conn.execute(q).scalar_one() > 0


def is_held(conn: Connection, org_id: int, path: str) -> bool:
    """Whether the location at ``path``, or one above it, is on hold."""
    ancestors = [path[:i] for i, ch in enumerate(path) if ch == "/"] + [path]
    q = select(func.count()).where(
        locations.c.org_id == org_id,
        locations.c.path.in_(ancestors),
        locations.c.on_hold.is_(True),
    )
    return conn.execute(q).scalar_one() > 0


def warehouses(conn: Connection, org_id: int) -> list[Row[Any]]:
    """Active top-level stock locations, by path."""
    return list(
        conn.execute(
            select(locations)
            .where(
                locations.c.org_id == org_id,
                locations.c.parent_id.is_(None),
                locations.c.kind == "internal",
                locations.c.active.is_(True),
            )
            .order_by(locations.c.path)
        )
    )


def _tree_where(q: Any, org_id: int, under: str | None, warehouse_ids: Collection[int]) -> Any:
    """Locations of the warehouse trees (not the virtual ones), under a path, in these
    warehouses (all when empty)."""
    q = q.where(locations.c.org_id == org_id, locations.c.warehouse_id.is_not(None))
    if under is not None:
        lo, hi = subtree_bounds(under)
        q = q.where(
            (locations.c.path == under) | ((locations.c.path >= lo) & (locations.c.path < hi))
        )
    if warehouse_ids:
        q = q.where(locations.c.warehouse_id.in_(sorted(warehouse_ids)))
    return q


def tree_locations(
    conn: Connection,
    org_id: int,
    *,
    under: str | None,
    warehouse_ids: Collection[int],
    limit: int,
) -> list[Row[Any]]:
    """The first ``limit`` locations of the warehouse trees (or of one subtree), by path."""
    q = _tree_where(select(locations), org_id, under, warehouse_ids)
    return list(conn.execute(q.order_by(locations.c.path).limit(limit)))


def count_tree_locations(
    conn: Connection, org_id: int, *, under: str | None, warehouse_ids: Collection[int]
) -> int:
    """How many locations ``tree_locations`` would list with no limit."""
    q = _tree_where(select(func.count()).select_from(locations), org_id, under, warehouse_ids)
    return int(conn.execute(q).scalar_one())
