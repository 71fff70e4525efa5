"""Silent sensors: those without a reading for longer than they are allowed (their own
``stale_minutes`` or the server's default), found by a periodic check, and those the
exceptions list shows.

A sensor's silence is counted from its newest reading, or from when it was registered or
switched on (``expected_since``) if that is later; ``stale_since`` marks a silence found (once)
until a reading ends it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    and_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    update,
)

from onhand.domain.iot import MINUTE_MS
from onhand.store.tables import balances, excursion_watches, locations, sensors


def _minutes(default: int) -> Any:
    return func.coalesce(sensors.c.stale_minutes, default)


def _silent(now: int, default: int) -> Any:
    """The sensor has said nothing for its allowed silence (0: never stale)."""
    # Milliseconds since 1970 need a BIGINT parameter (PostgreSQL would take an INTEGER).
    since = literal(now, BigInteger) - _minutes(default) * MINUTE_MS
    return and_(
        _minutes(default) > 0,
        func.coalesce(sensors.c.last_at, 0) <= since,
        func.coalesce(sensors.c.expected_since, 0) <= since,
    )


def newly_stale(conn: Connection, now: int, default: int, limit: int) -> list[Any]:
    """Active sensors (id, org) silent for their allowed time whose silence is not found yet."""
    q = (
        select(sensors.c.id, sensors.c.org_id)
        .where(sensors.c.active.is_(True), sensors.c.stale_since.is_(None), _silent(now, default))
        .order_by(sensors.c.id)
        .limit(limit)
    )
    return list(conn.execute(q))


def stale_and_outside(conn: Connection, limit: int) -> list[Any]:
    """Stale sensors (id, org) whose newest readings were outside a range that has not become
    an excursion (yet: its grace time may still be running)."""
    w = excursion_watches
    pending = exists().where(w.c.sensor_id == sensors.c.id, w.c.excursion_id.is_(None))
    q = (
        select(sensors.c.id, sensors.c.org_id)
        .where(sensors.c.active.is_(True), sensors.c.stale_since.is_not(None), pending)
        .order_by(sensors.c.id)
        .limit(limit)
    )
    return list(conn.execute(q))


def clear_no_longer_stale(conn: Connection, now: int, default: int) -> int:
    """Forget the silences of sensors switched off or no longer silent by their (changed)
    allowed time; how many. A silence found at a time this clock has not reached yet (another
    process's clock is ahead) is left to that clock: judging it by this one would forget it
    and find it again, raising ``sensor.stale`` twice for one silence."""
    done = conn.execute(
        update(sensors)
        .where(
            sensors.c.stale_since.is_not(None),
            or_(
                sensors.c.active.is_(False),
                and_(
                    sensors.c.stale_since <= literal(now, BigInteger),
                    not_(_silent(now, default)),
                ),
            ),
        )
        .values(stale_since=None)
    )
    return int(done.rowcount or 0)


def sensor_for_update(conn: Connection, sensor_id: int) -> Any | None:
    """A sensor with its location's path and warehouse, its row locked (PostgreSQL) as
    ingesting locks it."""
    q = (
        select(sensors, locations.c.path, locations.c.warehouse_id)
        .join(locations, locations.c.id == sensors.c.location_id)
        .where(sensors.c.id == sensor_id)
        .with_for_update(of=sensors)
    )
    return conn.execute(q).first()


def set_stale(conn: Connection, sensor_id: int, stale_since: int | None) -> None:
    """Mark a silence found (ms), or forget it (None)."""
    conn.execute(update(sensors).where(sensors.c.id == sensor_id).values(stale_since=stale_since))


def stale_to_act_on(
    conn: Connection,
    org_id: int,
    *,
    scope: Collection[int] | None,
    item_id: int | None,
    limit: int,
) -> list[Any]:
    """The exceptions list's stale sensors, each with its location and warehouse and whether
    its newest readings were outside a range; of an item: those whose area has some of it."""
    w = locations.alias("w")
    outside = exists().where(excursion_watches.c.sensor_id == sensors.c.id)
    q = (
        select(
            sensors,
            locations.c.path,
            locations.c.warehouse_id,
            w.c.path.label("warehouse"),
            outside.label("outside"),
        )
        .join(locations, locations.c.id == sensors.c.location_id)
        .join(w, w.c.id == locations.c.warehouse_id)
        .where(
            sensors.c.org_id == org_id,
            sensors.c.active.is_(True),
            sensors.c.stale_since.is_not(None),
        )
    )
    if scope:
        q = q.where(locations.c.warehouse_id.in_(sorted(scope)))
    if item_id is not None:
        held = locations.alias("held")
        q = q.where(
            exists()
            .select_from(balances.join(held, held.c.id == balances.c.location_id))
            .where(
                balances.c.org_id == org_id,
                balances.c.item_id == item_id,
                balances.c.qty > 0,
                or_(
                    held.c.path == locations.c.path,
                    and_(
                        held.c.path >= locations.c.path + "/",
                        held.c.path < locations.c.path + "0",
                    ),
                ),
            )
        )
    q = q.order_by(sensors.c.stale_since, sensors.c.id).limit(limit)
    return list(conn.execute(q))
