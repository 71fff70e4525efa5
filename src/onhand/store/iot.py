"""Sensors, condition ranges, gateways, readings and their hourly roll-ups.

Readings are addressed by (sensor, time in ms): the primary key is the index every query here
walks (one sensor's readings in a time range), so no other index is kept on them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, literal, or_, select, update

from onhand.domain.iot import HOUR_MS
from onhand.domain.locations import subtree_bounds
from onhand.store import advisory
from onhand.store.locking import chunks, dialect_insert
from onhand.store.tables import (
    condition_ranges,
    excursion_watches,
    iot_gateways,
    items,
    locations,
    organisations,
    sensor_readings,
    sensor_rollups,
    sensors,
    users,
)


def within_path(column: Any, path: str) -> Any:
    """``column`` (a location path) is ``path`` or below it."""
    lo, hi = subtree_bounds(path)
    return or_(column == path, and_(column >= lo, column < hi))


def org_by_slug(conn: Connection, slug: str) -> Any | None:
    return conn.execute(
        select(organisations.c.id, organisations.c.slug).where(organisations.c.slug == slug)
    ).first()


def org_slug(conn: Connection, org_id: int) -> str:
    return str(conn.scalar(select(organisations.c.slug).where(organisations.c.id == org_id)))


_sensor_cols = (
    sensors,
    locations.c.path,
    locations.c.warehouse_id,
)


def _sensor_q() -> Any:
    return select(*_sensor_cols).join(locations, locations.c.id == sensors.c.location_id)


def insert_sensor(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(sensors).values(values).returning(sensors.c.id)).scalar_one())


def update_sensor(conn: Connection, org_id: int, sensor_id: int, values: dict[str, Any]) -> None:
    conn.execute(
        update(sensors).where(sensors.c.org_id == org_id, sensors.c.id == sensor_id).values(values)
    )


def sensor_by_code(conn: Connection, org_id: int, code: str) -> Any | None:
    """A sensor with its location's path and warehouse, or None."""
    return conn.execute(
        _sensor_q().where(sensors.c.org_id == org_id, sensors.c.code == code)
    ).first()


def sensors_by_code(
    conn: Connection, org_id: int, codes: Collection[str], *, lock: bool = False
) -> dict[str, Any]:
    """Sensors by code; ``lock`` takes their rows for update in id order (PostgreSQL), so that
    one transaction at a time evaluates a sensor's readings."""
    out: dict[str, Any] = {}
    for part in chunks(sorted(set(codes))):
        q = _sensor_q().where(sensors.c.org_id == org_id, sensors.c.code.in_(part))
        if lock:
            q = q.order_by(sensors.c.id).with_for_update(of=sensors)
        out.update((r.code, r) for r in conn.execute(q))
    return out


def list_sensors(
    conn: Connection,
    org_id: int,
    *,
    under: str | None,
    metric: str | None,
    active: bool | None,
    scope: Collection[int] | None,
    limit: int,
) -> list[Any]:
    q = _sensor_q().where(sensors.c.org_id == org_id)
    if under is not None:
        q = q.where(within_path(locations.c.path, under))
    if metric is not None:
        q = q.where(sensors.c.metric == metric)
    if active is not None:
        q = q.where(sensors.c.active == active)
    if scope:
        q = q.where(locations.c.warehouse_id.in_(sorted(scope)))
    return list(conn.execute(q.order_by(locations.c.path, sensors.c.code).limit(limit)))


def sensor_paths_below(conn: Connection, org_id: int, path: str, metric: str) -> list[str]:
    """Locations strictly below ``path`` with an active sensor of this metric: their subtrees
    are that sensor's to watch, not the one above."""
    lo, hi = subtree_bounds(path)
    q = (
        select(locations.c.path)
        .join(sensors, sensors.c.location_id == locations.c.id)
        .where(
            sensors.c.org_id == org_id,
            sensors.c.metric == metric,
            sensors.c.active.is_(True),
            locations.c.path >= lo,
            locations.c.path < hi,
        )
        .distinct()
    )
    return sorted(conn.scalars(q))


def set_last_reading(conn: Connection, sensor_id: int, at: int, value: int) -> None:
    conn.execute(
        update(sensors).where(sensors.c.id == sensor_id).values(last_at=at, last_value=value)
    )


# Condition ranges ----------------------------------------------------------------------------


def _range_q() -> Any:
    return (
        select(condition_ranges, locations.c.path, locations.c.warehouse_id, items.c.sku)
        .outerjoin(locations, locations.c.id == condition_ranges.c.location_id)
        .outerjoin(items, items.c.id == condition_ranges.c.item_id)
    )


def insert_range(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        conn.execute(
            insert(condition_ranges).values(values).returning(condition_ranges.c.id)
        ).scalar_one()
    )


def update_range(conn: Connection, org_id: int, range_id: int, values: dict[str, Any]) -> None:
    conn.execute(
        update(condition_ranges)
        .where(condition_ranges.c.org_id == org_id, condition_ranges.c.id == range_id)
        .values(values)
    )


def range_by_id(conn: Connection, org_id: int, range_id: int) -> Any | None:
    q = _range_q().where(condition_ranges.c.org_id == org_id, condition_ranges.c.id == range_id)
    return conn.execute(q).first()


def range_of_scope(
    conn: Connection, org_id: int, *, location_id: int | None, item_id: int | None, metric: str
) -> Any | None:
    """The range of this location or item and metric, if there is one."""
    r = condition_ranges
    side = r.c.location_id == location_id if location_id is not None else r.c.item_id == item_id
    return conn.execute(
        select(r.c.id).where(r.c.org_id == org_id, r.c.metric == metric, side)
    ).first()


def list_ranges(
    conn: Connection, org_id: int, *, metric: str | None, active: bool | None, limit: int
) -> list[Any]:
    q = _range_q().where(condition_ranges.c.org_id == org_id)
    if metric is not None:
        q = q.where(condition_ranges.c.metric == metric)
    if active is not None:
        q = q.where(condition_ranges.c.active == active)
    q = q.order_by(
        locations.c.path.is_(None), locations.c.path, items.c.sku, condition_ranges.c.metric
    )
    return list(conn.execute(q.limit(limit)))


def ranges_for_sensor(
    conn: Connection,
    org_id: int,
    *,
    sensor_id: int,
    path: str,
    metric: str,
    stocked_items: Collection[int],
) -> list[Any]:
    """The active ranges a sensor at ``path`` is read against: those of its location and the
    locations above it, those of the items stocked in its area, and those it is outside of
    already (an item moved out while its excursion is open)."""
    ancestors = [path[:i] for i, ch in enumerate(path) if ch == "/"] + [path]
    r = condition_ranges
    watched = select(excursion_watches.c.range_id).where(excursion_watches.c.sensor_id == sensor_id)
    q = (
        select(
            r.c.id, r.c.location_id, r.c.item_id, r.c.min_value, r.c.max_value, r.c.grace_minutes
        )
        .outerjoin(locations, locations.c.id == r.c.location_id)
        .where(
            r.c.org_id == org_id,
            r.c.metric == metric,
            r.c.active.is_(True),
            or_(
                locations.c.path.in_(ancestors),
                r.c.item_id.in_(sorted(stocked_items)) if stocked_items else literal(False),
                r.c.id.in_(watched),
            ),
        )
        .order_by(r.c.id)
    )
    return list(conn.execute(q))


def item_ranges_exist(conn: Connection, org_id: int, metric: str) -> list[int]:
    """The items with an active range of this metric."""
    r = condition_ranges
    q = select(r.c.item_id).where(
        r.c.org_id == org_id, r.c.metric == metric, r.c.active.is_(True), r.c.item_id.is_not(None)
    )
    return list(conn.scalars(q))


# Gateways ------------------------------------------------------------------------------------


def _gateway_q() -> Any:
    return (
        select(iot_gateways, locations.c.path, users.c.username)
        .outerjoin(locations, locations.c.id == iot_gateways.c.location_id)
        .join(users, users.c.id == iot_gateways.c.user_id)
    )


def insert_gateway(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        conn.execute(insert(iot_gateways).values(values).returning(iot_gateways.c.id)).scalar_one()
    )


def update_gateway(conn: Connection, org_id: int, gateway_id: int, values: dict[str, Any]) -> None:
    conn.execute(
        update(iot_gateways)
        .where(iot_gateways.c.org_id == org_id, iot_gateways.c.id == gateway_id)
        .values(values)
    )


def gateway_by_code(conn: Connection, org_id: int, kind: str, code: str) -> Any | None:
    q = _gateway_q().where(
        iot_gateways.c.org_id == org_id, iot_gateways.c.kind == kind, iot_gateways.c.code == code
    )
    return conn.execute(q).first()


def list_gateways(conn: Connection, org_id: int) -> list[Any]:
    q = _gateway_q().where(iot_gateways.c.org_id == org_id)
    return list(conn.execute(q.order_by(iot_gateways.c.kind, iot_gateways.c.code)))


# Readings ------------------------------------------------------------------------------------


def existing_times(conn: Connection, sensor_id: int, times: Sequence[int]) -> set[int]:
    """Of these reading times, those the sensor has a reading at already."""
    found: set[int] = set()
    for part in chunks(sorted(set(times))):
        q = select(sensor_readings.c.at).where(
            sensor_readings.c.sensor_id == sensor_id, sensor_readings.c.at.in_(part)
        )
        found.update(conn.scalars(q))
    return found


def insert_readings(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store readings (sensor_id, at, org_id, value); one already stored is left as it is."""
    if rows:
        stmt = dialect_insert(conn, sensor_readings).on_conflict_do_nothing(
            index_elements=["sensor_id", "at"]
        )
        conn.execute(stmt, list(rows))


def readings(
    conn: Connection, sensor_id: int, *, since: int | None, until: int | None, limit: int
) -> list[Any]:
    """A sensor's raw readings in [since, until), newest first."""
    q = select(sensor_readings.c.at, sensor_readings.c.value).where(
        sensor_readings.c.sensor_id == sensor_id
    )
    if since is not None:
        q = q.where(sensor_readings.c.at >= since)
    if until is not None:
        q = q.where(sensor_readings.c.at < until)
    return list(conn.execute(q.order_by(sensor_readings.c.at.desc()).limit(limit)))


def hourly(conn: Connection, sensor_id: int, *, since_hour: int, until_hour: int) -> list[Any]:
    """Per hour in [since_hour, until_hour): readings, minimum, maximum and sum, from the
    roll-ups and from the raw readings not rolled up yet, oldest first."""
    raw = sensor_readings
    hour = (raw.c.at // HOUR_MS).label("hour")
    recent = (
        select(
            hour,
            func.count().label("n"),
            func.min(raw.c.value).label("min_value"),
            func.max(raw.c.value).label("max_value"),
            func.sum(raw.c.value).label("total"),
        )
        .where(
            raw.c.sensor_id == sensor_id,
            raw.c.at >= since_hour * HOUR_MS,
            raw.c.at < until_hour * HOUR_MS,
        )
        .group_by(hour)
    )
    ru = sensor_rollups
    rolled = select(ru.c.hour, ru.c.n, ru.c.min_value, ru.c.max_value, ru.c.total).where(
        ru.c.sensor_id == sensor_id, ru.c.hour >= since_hour, ru.c.hour < until_hour
    )
    both = recent.union_all(rolled).subquery("h")
    q = (
        select(
            both.c.hour,
            func.sum(both.c.n).label("n"),
            func.min(both.c.min_value).label("min_value"),
            func.max(both.c.max_value).label("max_value"),
            func.sum(both.c.total).label("total"),
        )
        .group_by(both.c.hour)
        .order_by(both.c.hour)
    )
    return list(conn.execute(q))


def take_rollup_lock(conn: Connection) -> bool:
    """Whether this transaction may roll up (PostgreSQL: no other is; SQLite: always)."""
    if conn.dialect.name != "postgresql":
        return True
    return advisory.try_lock_for_transaction(conn, "iot.rollup")


def sensors_with_readings_before(conn: Connection, cutoff: int, limit: int) -> list[Any]:
    """Up to ``limit`` sensors (id, org) whose oldest raw reading is before ``cutoff``: one
    index probe per sensor."""
    oldest = (
        select(func.min(sensor_readings.c.at))
        .where(sensor_readings.c.sensor_id == sensors.c.id)
        .scalar_subquery()
    )
    q = select(sensors.c.id, sensors.c.org_id).where(oldest < cutoff).order_by(sensors.c.id)
    return list(conn.execute(q.limit(limit)))


def lock_sensors(conn: Connection, ids: Sequence[int]) -> None:
    """Take these sensors' rows for update in id order (PostgreSQL), as ingesting does: a
    reading committed while a roll-up reads and then deletes could be deleted uncounted."""
    if conn.dialect.name == "postgresql" and ids:
        q = select(sensors.c.id).where(sensors.c.id.in_(sorted(ids))).order_by(sensors.c.id)
        conn.execute(q.with_for_update())


def roll_up(conn: Connection, sensor_id: int, org_id: int, cutoff: int) -> int:
    """Fold a sensor's raw readings before ``cutoff`` into its hourly roll-ups (adding to an
    hour rolled up before) and delete them; how many readings."""
    raw = sensor_readings
    hour = (raw.c.at // HOUR_MS).label("hour")
    groups = list(
        conn.execute(
            select(
                hour,
                func.count().label("n"),
                func.min(raw.c.value).label("lo"),
                func.max(raw.c.value).label("hi"),
                func.sum(raw.c.value).label("total"),
            )
            .where(raw.c.sensor_id == sensor_id, raw.c.at < cutoff)
            .group_by(hour)
        )
    )
    if not groups:
        return 0
    ru = sensor_rollups
    stmt = dialect_insert(conn, ru)
    least, greatest = (
        (func.least, func.greatest) if conn.dialect.name == "postgresql" else (func.min, func.max)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["sensor_id", "hour"],
        set_={
            "n": ru.c.n + stmt.excluded.n,
            "min_value": least(ru.c.min_value, stmt.excluded.min_value),
            "max_value": greatest(ru.c.max_value, stmt.excluded.max_value),
            "total": ru.c.total + stmt.excluded.total,
        },
    )
    conn.execute(
        stmt,
        [
            {
                "sensor_id": sensor_id,
                "hour": int(g.hour),
                "org_id": org_id,
                "n": int(g.n),
                "min_value": int(g.lo),
                "max_value": int(g.hi),
                "total": int(g.total),
            }
            for g in groups
        ],
    )
    conn.execute(delete(raw).where(raw.c.sensor_id == sensor_id, raw.c.at < cutoff))
    return sum(int(g.n) for g in groups)


def sensor_ids(conn: Connection, after: int, limit: int) -> list[int]:
    """Sensor ids after ``after``, in order (every organisation's)."""
    q = select(sensors.c.id).where(sensors.c.id > after).order_by(sensors.c.id).limit(limit)
    return list(conn.scalars(q))


def prune_rollups(conn: Connection, ids: Sequence[int], before_hour: int) -> int:
    """Delete these sensors' roll-ups of hours before ``before_hour`` (a primary key range per
    sensor); how many."""
    ru = sensor_rollups
    done = conn.execute(delete(ru).where(ru.c.sensor_id.in_(list(ids)), ru.c.hour < before_hour))
    return int(done.rowcount or 0)
