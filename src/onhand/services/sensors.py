"""Sensors and condition ranges: registering a sensor at a location, and the range of
temperature or humidity a location's stock (its subtree) or an item (wherever it is) must be
kept in, with the grace time an excursion needs before it counts.

Changing a sensor's location or a range, or switching either off, ends their open excursions
(reason ``sensor_changed`` / ``range_changed``): their watches start over from the next reading.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.iot import (
    bound_to_milli,
    check_bounds,
    check_code,
    check_metric,
    check_stale_minutes,
    from_milli,
    from_ms,
    to_ms,
    unit_of,
)
from onhand.services import excursions
from onhand.services.common import (
    audit,
    check_limit,
    check_name,
    not_found,
    stock_location,
    utcnow,
)
from onhand.store import catalog, iot
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_LIMIT = 1000
UNSET: Any = object()  # a field not given (None is a value: open bound, default silence)


def sensor_out(row: Any) -> dict[str, Any]:
    """A sensor as the API shows it, with its newest reading."""
    last = None
    if row.last_at is not None:
        last = {"at": from_ms(row.last_at), "value": from_milli(row.last_value)}
    return {
        "code": row.code,
        "name": row.name,
        "location": row.path,
        "metric": row.metric,
        "unit": unit_of(row.metric),
        "active": row.active,
        "last_reading": last,
        "stale_minutes": row.stale_minutes,
        "stale": row.stale_since is not None,
        "stale_since": None if row.stale_since is None else from_ms(row.stale_since),
        "created_at": row.created_at,
    }


def sensor_row(uow: UnitOfWork, actor: Actor, code: str) -> Any:
    """The sensor ``code`` with its location's path and warehouse, or a 404 (also for a sensor
    in a warehouse the actor may not see)."""
    row = iot.sensor_by_code(uow.conn, actor.org_id, code)
    if row is None or not actor.may_touch_warehouse(row.warehouse_id):
        raise not_found("sensor", code)
    return row


def _check_filters(metric: str | None, limit: int) -> None:
    """What a list of sensors or ranges may be filtered by: a known metric, 1 to MAX_LIMIT rows
    (checked before anything is looked up)."""
    if metric is not None:
        check_metric(metric)
    check_limit(limit, MAX_LIMIT)


def create_sensor(
    db: Database,
    actor: Actor,
    *,
    code: str,
    location: str,
    metric: str,
    name: str | None = None,
    stale_minutes: int | None = None,
) -> dict[str, Any]:
    """Register a sensor of ``metric`` (temperature, humidity) at an internal location; it is
    stale after ``stale_minutes`` without a reading (None: the server's default; 0: never)."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    check_code(code)
    check_metric(metric)
    check_name(name or code)
    check_stale_minutes(stale_minutes)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()
        loc = stock_location(uow, actor, location)
        if iot.sensor_by_code(uow.conn, actor.org_id, code) is not None:
            raise Conflict(f"sensor {code!r} already exists", code="sensor_exists")
        try:
            with uow.conn.begin_nested():
                iot.insert_sensor(
                    uow.conn,
                    {
                        "org_id": actor.org_id,
                        "code": code,
                        "name": name or code,
                        "location_id": loc.id,
                        "metric": metric,
                        "active": True,
                        "stale_minutes": stale_minutes,
                        "expected_since": to_ms(now),
                        "created_at": now,
                        "created_by": actor.user_id,
                    },
                )
        except IntegrityError:  # registered meanwhile by a concurrent request
            raise Conflict(f"sensor {code!r} already exists", code="sensor_exists") from None
        audit(uow, actor, "sensor", code, "created", location=loc.path, metric=metric)
        return sensor_out(sensor_row(uow, actor, code))

    return db.write(work)


def update_sensor(
    db: Database,
    actor: Actor,
    code: str,
    *,
    name: str | None = None,
    location: str | None = None,
    active: bool | None = None,
    stale_minutes: int | None = UNSET,
) -> dict[str, Any]:
    """Rename, move or switch a sensor on or off, or change how long it may stay silent
    (None: the server's default; 0: never stale); a move or a switch-off ends its open
    excursions, and a sensor switched on is expected to report from then on."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    if name is not None:
        check_name(name)
    if stale_minutes is not UNSET:
        check_stale_minutes(stale_minutes)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()
        row = sensor_row(uow, actor, code)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if location is not None:
            loc = stock_location(uow, actor, location)
            if loc.id != row.location_id:
                changes["location_id"] = loc.id
        if active is not None and active != row.active:
            changes["active"] = active
        if stale_minutes is not UNSET and stale_minutes != row.stale_minutes:
            changes["stale_minutes"] = stale_minutes
        if changes:
            # Switched on or off: a silence found before is over; watching silence starts now.
            quiet: dict[str, int | None] = {"stale_since": None} if "active" in changes else {}
            if changes.get("active") is True:
                quiet["expected_since"] = to_ms(now)
            iot.update_sensor(uow.conn, actor.org_id, row.id, changes | quiet)
            if "location_id" in changes or changes.get("active") is False:
                excursions.end_open(uow, actor.org_id, now, "sensor_changed", sensor_id=row.id)
            audit(uow, actor, "sensor", code, "updated", **changes)
        return sensor_out(sensor_row(uow, actor, code))

    return db.write(work)


def get_sensor(db: Database, actor: Actor, code: str) -> dict[str, Any]:
    """One sensor with its newest reading."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return sensor_out(sensor_row(uow, actor, code))


def list_sensors(
    db: Database,
    actor: Actor,
    *,
    location: str | None = None,
    metric: str | None = None,
    active: bool | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Sensors (in a location's subtree, of a metric), by location, in the actor's warehouses."""
    actor.require(Permission.READ)
    _check_filters(metric, limit)
    with db.reading() as uow:
        rows = iot.list_sensors(
            uow.conn,
            actor.org_id,
            under=location,
            metric=metric,
            active=active,
            scope=actor.warehouse_ids or None,
            limit=limit,
        )
    return [sensor_out(r) for r in rows]


# Condition ranges ----------------------------------------------------------------------------


def range_out(row: Any) -> dict[str, Any]:
    """A condition range as the API shows it."""
    return {
        "id": row.id,
        "scope": "item" if row.item_id is not None else "location",
        "location": row.path,
        "sku": row.sku,
        "metric": row.metric,
        "unit": unit_of(row.metric),
        "min": from_milli(row.min_value),
        "max": from_milli(row.max_value),
        "grace_minutes": row.grace_minutes,
        "active": row.active,
        "created_at": row.created_at,
    }


def create_range(
    db: Database,
    actor: Actor,
    *,
    metric: str,
    location: str | None = None,
    sku: str | None = None,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    grace_minutes: int = 0,
) -> dict[str, Any]:
    """The range stock at ``location`` (and below) or of item ``sku`` (wherever it is) must be
    kept in; one per location or item and metric."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    check_metric(metric)
    if (location is None) == (sku is None):
        raise InvalidInput(
            "a range is of a location or of an item: give location or sku, not both",
            code="range_scope",
        )
    low = bound_to_milli(minimum, metric, "min")
    high = bound_to_milli(maximum, metric, "max")
    check_bounds(low, high, grace_minutes)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        location_id = item_id = None
        if location is not None:
            location_id = stock_location(uow, actor, location).id
        else:
            assert sku is not None
            item = catalog.item_by_sku(uow.conn, actor.org_id, sku)
            if item is None:
                raise not_found("SKU", sku)
            item_id = item.id
        what = location or sku
        taken = iot.range_of_scope(
            uow.conn, actor.org_id, location_id=location_id, item_id=item_id, metric=metric
        )
        if taken is not None:
            raise Conflict(
                f"{what} has a {metric} range already (id {taken.id}): change that one",
                code="range_exists",
            )
        values = {
            "org_id": actor.org_id,
            "location_id": location_id,
            "item_id": item_id,
            "metric": metric,
            "min_value": low,
            "max_value": high,
            "grace_minutes": grace_minutes,
            "active": True,
            "created_at": utcnow(),
            "created_by": actor.user_id,
        }
        try:
            with uow.conn.begin_nested():
                range_id = iot.insert_range(uow.conn, values)
        except IntegrityError:
            raise Conflict(f"{what} has a {metric} range already", code="range_exists") from None
        audit(uow, actor, "condition_range", range_id, "created", scope=what, metric=metric)
        return range_out(iot.range_by_id(uow.conn, actor.org_id, range_id))

    return db.write(work)


def _range(uow: UnitOfWork, actor: Actor, range_id: int) -> Any:
    row = iot.range_by_id(uow.conn, actor.org_id, range_id)
    if row is None or (
        row.location_id is not None and not actor.may_touch_warehouse(row.warehouse_id)
    ):
        raise not_found("range", range_id)
    return row


def update_range(
    db: Database,
    actor: Actor,
    range_id: int,
    *,
    minimum: Decimal | None = UNSET,
    maximum: Decimal | None = UNSET,
    grace_minutes: int | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """Change a range's bounds (None: open on that side) or grace time, or switch it off or on;
    a change ends its open excursions."""
    actor.require(Permission.MANAGE_MASTER_DATA)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = _range(uow, actor, range_id)
        low = row.min_value if minimum is UNSET else bound_to_milli(minimum, row.metric, "min")
        high = row.max_value if maximum is UNSET else bound_to_milli(maximum, row.metric, "max")
        grace = row.grace_minutes if grace_minutes is None else grace_minutes
        check_bounds(low, high, grace)
        changes = {
            k: v
            for k, v, old in (
                ("min_value", low, row.min_value),
                ("max_value", high, row.max_value),
                ("grace_minutes", grace, row.grace_minutes),
                ("active", row.active if active is None else active, row.active),
            )
            if v != old
        }
        if changes:
            iot.update_range(uow.conn, actor.org_id, range_id, changes)
            excursions.end_open(uow, actor.org_id, utcnow(), "range_changed", range_id=range_id)
            audit(uow, actor, "condition_range", range_id, "updated", **changes)
        return range_out(_range(uow, actor, range_id))

    return db.write(work)


def get_range(db: Database, actor: Actor, range_id: int) -> dict[str, Any]:
    """One condition range."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return range_out(_range(uow, actor, range_id))


def list_ranges(
    db: Database,
    actor: Actor,
    *,
    metric: str | None = None,
    active: bool | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Condition ranges: locations' first (by path), then items' (by SKU)."""
    actor.require(Permission.READ)
    _check_filters(metric, limit)
    with db.reading() as uow:
        rows = iot.list_ranges(uow.conn, actor.org_id, metric=metric, active=active, limit=limit)
    return [
        range_out(r)
        for r in rows
        if r.location_id is None or actor.may_touch_warehouse(r.warehouse_id)
    ]
