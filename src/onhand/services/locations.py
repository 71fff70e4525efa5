"""The location tree: warehouses, zones, bins (any depth) and the virtual locations."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.exc import IntegrityError

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, Forbidden, InvalidInput
from onhand.domain.locations import LocationKind, check_code, child_path
from onhand.domain.quantities import from_micro
from onhand.services.common import not_found, utcnow
from onhand.store import accounts, locking, sites, stock, tables
from onhand.store.unit_of_work import Database, UnitOfWork

USER_KINDS = (LocationKind.INTERNAL, LocationKind.TRANSIT, LocationKind.SCRAP)
MAX_TREE = 5000


def _out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "path": row.path,
        "code": row.code,
        "name": row.name,
        "kind": row.kind,
        "parent_id": row.parent_id,
        "warehouse_id": row.warehouse_id,
        "allow_negative": row.allow_negative,
        "on_hold": row.on_hold,
        "active": row.active,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def create_location(
    db: Database,
    actor: Actor,
    *,
    code: str,
    parent: str | None = None,
    name: str | None = None,
    kind: str = "internal",
    allow_negative: bool = False,
) -> dict[str, Any]:
    """Create a location under ``parent`` (a path), or a new warehouse when there is none."""
    with db.writing() as uow:
        row = _create(
            uow,
            actor,
            code=code,
            parent=parent,
            name=name,
            kind=kind,
            allow_negative=allow_negative,
        )
        uow.commit()
    return row


def create_locations(db: Database, actor: Actor, batch: list[dict[str, Any]]) -> int:
    """Create many locations in one transaction (parents before children); all or none."""
    with db.writing() as uow:
        for spec in batch:
            _create(uow, actor, **spec)
        uow.commit()
    return len(batch)


def _create(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: str,
    parent: str | None,
    name: str | None,
    kind: str,
    allow_negative: bool,
) -> dict[str, Any]:
    actor.require(Permission.MANAGE_MASTER_DATA)
    check_code(code)
    try:
        the_kind = LocationKind(kind)
    except ValueError:
        raise InvalidInput(
            f"location kind {kind[:20]!r} is not valid", code="invalid_kind"
        ) from None
    if the_kind not in USER_KINDS:
        raise InvalidInput(
            f"kind {kind!r} is virtual: every organisation has exactly one", code="invalid_kind"
        )
    if name is not None and not 1 <= len(name) <= 200:
        raise InvalidInput("name must be 1-200 characters", code="invalid_name")
    conn, org = uow.conn, actor.org_id
    parent_row = None
    if parent is not None:
        parent_row = sites.location_by_path(conn, org, parent)
        if parent_row is None:
            raise InvalidInput(
                f"parent location {parent[:200]!r} not found", code="location_not_found"
            )
        if parent_row.kind != "internal":
            raise InvalidInput(
                f"{parent!r} is a {parent_row.kind} location and cannot hold locations",
                code="invalid_parent",
            )
        if not parent_row.active:
            raise InvalidInput(f"parent location {parent!r} is inactive", code="location_inactive")
        actor.require_warehouse(parent_row.warehouse_id, parent)
    elif actor.warehouse_ids:
        raise Forbidden(
            "a user restricted to some warehouses cannot create a new warehouse",
            code="warehouse_not_allowed",
        )
    path = child_path(parent_row.path if parent_row else None, code)
    now = utcnow()
    try:
        new_id = sites.insert_location(
            conn,
            {
                "org_id": org,
                "parent_id": parent_row.id if parent_row else None,
                "warehouse_id": parent_row.warehouse_id if parent_row else None,
                "code": code,
                "name": name or code,
                "path": path,
                "kind": the_kind.value,
                "allow_negative": allow_negative,
                "active": True,
                "created_at": now,
                "created_by": actor.user_id,
                "updated_at": now,
                "updated_by": actor.user_id,
            },
        )
    except IntegrityError:
        raise Conflict(f"location {path!r} already exists", code="location_exists") from None
    if parent_row is None:
        sites.set_warehouse(conn, new_id, new_id)
    accounts.record_audit(
        conn,
        org_id=org,
        actor_id=actor.user_id,
        at=now,
        action="location.create",
        entity="location",
        entity_id=path,
    )
    row = sites.location_by_id(conn, org, new_id)
    return _out(row)


def get_location(
    db: Database, actor: Actor, *, path: str | None = None, location_id: int | None = None
) -> dict[str, Any]:
    """One location by path or id."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        if path is not None:
            row = sites.location_by_path(uow.conn, actor.org_id, path)
        else:
            row = sites.location_by_id(uow.conn, actor.org_id, location_id or 0)
        if row is None:
            raise not_found("location", path if path is not None else location_id)
        return _out(row)


def list_locations(
    db: Database,
    actor: Actor,
    *,
    under: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Locations in path order (a subtree with ``under``), keyset-paged with ``after``."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = sites.list_locations(
            uow.conn,
            actor.org_id,
            under=under,
            kind=kind,
            active=active,
            after_path=after,
            limit=limit,
        )
        return [_out(r) for r in rows]


def list_warehouses(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The active warehouses (top-level stock locations) the actor may work in, by path."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = sites.warehouses(uow.conn, actor.org_id)
    return [_out(r) for r in rows if actor.may_touch_warehouse(r.id)]


def location_tree(
    db: Database, actor: Actor, *, under: str | None = None, limit: int = 1000
) -> dict[str, Any]:
    """The warehouse trees (or the subtree of ``under``, itself included) in path order, first
    ``limit`` locations, each with what it and the locations below it hold: how many items and
    their quantity (summed over items, whatever their units), and ``total`` locations in all.
    Only the actor's warehouses; the stock is read in one grouped query, not per location."""
    actor.require(Permission.READ)
    if not 1 <= limit <= MAX_TREE:
        raise InvalidInput(f"limit must be between 1 and {MAX_TREE}", code="invalid_limit")
    with db.reading() as uow:
        conn, org, whs = uow.conn, actor.org_id, actor.warehouse_ids
        if under is not None:
            top = sites.location_by_path(conn, org, under)
            if top is None:
                raise not_found("location", under)
            actor.require_warehouse(top.warehouse_id, top.path)
        rows = sites.tree_locations(conn, org, under=under, warehouse_ids=whs, limit=limit)
        total = len(rows)
        if total == limit:
            total = sites.count_tree_locations(conn, org, under=under, warehouse_ids=whs)
        held = stock.totals_by_location(conn, org, under=under, warehouse_ids=whs)
    own: dict[str, int] = defaultdict(int)
    below: dict[str, int] = defaultdict(int)
    items_below: dict[str, set[int]] = defaultdict(set)
    for r in held:
        own[r.path] += r.qty
        # The stock counts in the location and in each location above it.
        for i, ch in enumerate(r.path + "/"):
            if ch == "/":
                below[r.path[:i]] += r.qty
                items_below[r.path[:i]].add(r.item_id)
    out = []
    for r in rows:
        out.append(
            _out(r)
            | {
                "items": len(items_below.get(r.path, ())),
                "quantity": from_micro(below.get(r.path, 0)),
                "own_quantity": from_micro(own.get(r.path, 0)),
            }
        )
    return {"under": under, "total": total, "locations": out}


def update_location(
    db: Database,
    actor: Actor,
    location_id: int,
    *,
    name: str | None = None,
    allow_negative: bool | None = None,
    on_hold: bool | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """Rename, allow or forbid negative stock, hold or release (held stock, here and below, is
    on hand but not available), activate or deactivate (never delete)."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    now = utcnow()
    with db.writing() as uow:
        conn, org = uow.conn, actor.org_id
        row = sites.location_by_id(conn, org, location_id)
        if row is None:
            raise not_found("location", location_id)
        # Postings share-lock the location: wait for those in flight before checking its stock.
        locking.lock_for_change(conn, tables.locations, org, location_id)
        row = sites.location_by_id(conn, org, location_id)
        if row.warehouse_id is None and (
            active is False or allow_negative is False or on_hold is not None
        ):
            raise Conflict(
                f"{row.path} is a virtual location and cannot be changed", code="virtual_location"
            )
        actor.require_warehouse(row.warehouse_id, row.path)
        values: dict[str, Any] = {}
        if name is not None:
            if not 1 <= len(name) <= 200:
                raise InvalidInput("name must be 1-200 characters", code="invalid_name")
            values["name"] = name
        if allow_negative is not None:
            values["allow_negative"] = allow_negative
        if on_hold is not None:
            values["on_hold"] = on_hold
        if active is not None:
            if active is False and row.active:
                if sites.subtree_stock(conn, org, row.path) != 0:
                    raise Conflict(
                        f"{row.path} (or a location under it) still holds stock",
                        code="location_has_stock",
                    )
                if sites.has_active_children(conn, org, row.id):
                    raise Conflict(
                        f"{row.path} has active locations under it: deactivate them first",
                        code="location_has_children",
                    )
            values["active"] = active
        if values:
            sites.update_location(
                conn, org, location_id, values | {"updated_at": now, "updated_by": actor.user_id}
            )
            accounts.record_audit(
                conn,
                org_id=org,
                actor_id=actor.user_id,
                at=now,
                action="location.update",
                entity="location",
                entity_id=row.path,
                detail=values,
            )
        uow.commit()
    return get_location(db, actor, location_id=location_id)
