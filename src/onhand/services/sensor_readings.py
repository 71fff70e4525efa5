"""Sensor readings: ingesting batches (over HTTP or MQTT), idempotent by sensor and time; their
history (raw, and per hour); and the retention task that folds raw readings older than the raw
retention into hourly roll-ups and drops roll-ups past theirs.

Ingesting a sensor's readings locks its row (PostgreSQL), so one transaction at a time runs its
readings through the excursion watches, in time order. A reading older than the sensor's newest
arrives late: it is kept in the history but does not change an excursion's state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.domain.iot import (
    HOUR_MS,
    MAX_BATCH,
    check_reading_time,
    from_milli,
    from_ms,
    to_milli,
    to_ms,
    unit_of,
)
from onhand.services import excursions, stale_sensors
from onhand.services.common import check_limit, utcnow
from onhand.services.sensors import sensor_row
from onhand.store import iot
from onhand.store.unit_of_work import Database, UnitOfWork

log = logging.getLogger("onhand.iot")
MAX_LIMIT = 10_000
MAX_HOURS = 24 * 400


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading as it arrived: the sensor's code, the value, and when (None: on arrival)."""

    sensor: str
    value: Any
    at: datetime | None = None


@dataclass
class Ingested:
    """What became of a batch: stored, repeats of stored readings, late ones (stored, not
    evaluated), excursions started, and the readings refused (index, code, reason)."""

    stored: int = 0
    duplicates: int = 0
    late: int = 0
    excursions: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def out(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "late": self.late,
            "excursions_started": self.excursions,
            "refused": self.refused,
        }


def _check(
    uow: UnitOfWork,
    org_id: int,
    actor: Actor | None,
    batch: Sequence[Reading],
    now: datetime,
    raw_days: int,
    result: Ingested,
) -> tuple[dict[str, Any], dict[str, list[tuple[int, int]]]]:
    """The batch's sensors (locked) and their valid readings as (ms, thousandths); refusals
    go to ``result.refused``."""
    found = iot.sensors_by_code(uow.conn, org_id, {r.sensor for r in batch}, lock=True)
    valid: dict[str, list[tuple[int, int]]] = {}
    for n, r in enumerate(batch):
        s = found.get(r.sensor)
        try:
            if s is None or (actor is not None and not actor.may_touch_warehouse(s.warehouse_id)):
                raise InvalidInput(
                    f"sensor {r.sensor[:64]!r} is not registered", code="sensor_not_registered"
                )
            if not s.active:
                raise InvalidInput(f"sensor {r.sensor!r} is switched off", code="sensor_inactive")
            value = to_milli(r.value, s.metric)
            at = r.at or now
            check_reading_time(at, now, raw_days)
        except InvalidInput as e:
            result.refused.append(
                {"index": n, "sensor": r.sensor, "code": e.code, "reason": e.message}
            )
            continue
        valid.setdefault(r.sensor, []).append((to_ms(at), value))
    return found, valid


def _store(
    uow: UnitOfWork, org_id: int, sensor: Any, got: list[tuple[int, int]], result: Ingested
) -> None:
    """Store one sensor's readings (the first of a time wins) and evaluate the new ones."""
    conn = uow.conn
    first: dict[int, int] = {}
    for at, value in got:
        first.setdefault(at, value)
    known = iot.existing_times(conn, sensor.id, list(first))
    fresh = sorted((at, v) for at, v in first.items() if at not in known)
    result.duplicates += len(got) - len(fresh)
    iot.insert_readings(
        conn, [{"sensor_id": sensor.id, "at": at, "org_id": org_id, "value": v} for at, v in fresh]
    )
    result.stored += len(fresh)
    newer = [(at, v) for at, v in fresh if sensor.last_at is None or at > sensor.last_at]
    result.late += len(fresh) - len(newer)
    if newer:
        if sensor.stale_since is not None:  # its silence is over
            stale_sensors.resume(uow, org_id, sensor, newer[0][0])
        result.excursions += excursions.evaluate(uow, org_id, sensor, newer)
        iot.set_last_reading(conn, sensor.id, *newer[-1])


def ingest(
    db: Database,
    org_id: int,
    batch: Sequence[Reading],
    *,
    raw_days: int,
    actor: Actor | None = None,
    partial: bool = False,
    now: datetime | None = None,
) -> Ingested:
    """Store a batch of readings in one transaction and run them through the excursion
    watches. ``partial``: keep the valid readings and list the refused ones (MQTT); otherwise
    one refused reading refuses the batch, which changes nothing (HTTP)."""
    if not batch or len(batch) > MAX_BATCH:
        raise InvalidInput(f"send 1 to {MAX_BATCH} readings at once", code="invalid_batch")
    at = now or utcnow()

    def work(uow: UnitOfWork) -> Ingested:
        result = Ingested()
        found, valid = _check(uow, org_id, actor, batch, at, raw_days, result)
        if result.refused and not partial:
            first = result.refused[0]
            raise InvalidInput(
                f"reading {first['index'] + 1}: {first['reason']}",
                code=first["code"],
                line=first["index"] + 1,
            )
        for code, got in valid.items():
            _store(uow, org_id, found[code], got, result)
        return result

    return db.write(work)


def post_readings(
    db: Database, actor: Actor, batch: Sequence[Reading], *, raw_days: int
) -> dict[str, Any]:
    """Readings posted over HTTP: all or none, by a user who may post movements in the sensors'
    warehouses."""
    actor.require(Permission.POST_MOVEMENTS)
    return ingest(db, actor.org_id, batch, raw_days=raw_days, actor=actor).out()


def history(
    db: Database,
    actor: Actor,
    code: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> dict[str, Any]:
    """A sensor's raw readings in [since, until), newest first (those older than the raw
    retention are in ``hourly``)."""
    actor.require(Permission.READ)
    check_limit(limit, MAX_LIMIT)
    with db.reading() as uow:
        s = sensor_row(uow, actor, code)
        rows = iot.readings(
            uow.conn,
            s.id,
            since=None if since is None else to_ms(since),
            until=None if until is None else to_ms(until),
            limit=limit,
        )
    return {
        "sensor": s.code,
        "metric": s.metric,
        "unit": unit_of(s.metric),
        "readings": [{"at": from_ms(r.at), "value": from_milli(r.value)} for r in rows],
    }


def hourly(
    db: Database,
    actor: Actor,
    code: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """A sensor's readings per hour (count, minimum, average, maximum) in [since, until)
    (default: the last 24 hours), from the roll-ups and the raw readings alike."""
    actor.require(Permission.READ)
    # In milliseconds, so that a day before a time early in the year 1 is no overflow.
    end = to_ms(until or utcnow())
    start = end - 24 * HOUR_MS if since is None else to_ms(since)
    lo, hi = start // HOUR_MS, -(-end // HOUR_MS)
    if hi <= lo or hi - lo > MAX_HOURS:
        raise InvalidInput(
            f"since must be before until, at most {MAX_HOURS // 24} days apart",
            code="invalid_period",
        )
    with db.reading() as uow:
        s = sensor_row(uow, actor, code)
        rows = iot.hourly(uow.conn, s.id, since_hour=lo, until_hour=hi)
    return {
        "sensor": s.code,
        "metric": s.metric,
        "unit": unit_of(s.metric),
        "hours": [
            {
                "hour": from_ms(int(r.hour) * HOUR_MS),
                "count": int(r.n),
                "min": from_milli(int(r.min_value)),
                "avg": (Decimal(int(r.total)) / int(r.n) / 1000).quantize(Decimal("0.001")),
                "max": from_milli(int(r.max_value)),
            }
            for r in rows
        ],
    }


# Retention -----------------------------------------------------------------------------------

ROLLUP_BATCH = 200  # sensors per transaction


def roll_up(
    db: Database, *, raw_days: int, rollup_days: int, now: datetime | None = None
) -> dict[str, int]:
    """Fold raw readings from before the last whole hour ``raw_days`` ago into hourly roll-ups
    and delete them, and delete roll-ups older than ``rollup_days`` (0: kept for ever). Each
    batch of sensors in one transaction (folded and deleted together), so running it again, or
    beside another process running it, counts nothing twice."""
    at = now or utcnow()
    cutoff = to_ms(at - timedelta(days=raw_days)) // HOUR_MS * HOUR_MS
    done = {"readings": 0, "sensors": 0, "rollups_pruned": 0}

    def fold(uow: UnitOfWork) -> int:
        if not iot.take_rollup_lock(uow.conn):
            return 0  # another process is at it
        todo = iot.sensors_with_readings_before(uow.conn, cutoff, ROLLUP_BATCH)
        iot.lock_sensors(uow.conn, [s.id for s in todo])
        for s in todo:
            done["readings"] += iot.roll_up(uow.conn, s.id, s.org_id, cutoff)
        done["sensors"] += len(todo)
        return len(todo)

    while db.write(fold) == ROLLUP_BATCH:
        pass
    if rollup_days > 0:
        before = to_ms(at - timedelta(days=rollup_days)) // HOUR_MS
        after = 0
        while True:
            with db.reading() as uow:
                ids = iot.sensor_ids(uow.conn, after, ROLLUP_BATCH)
            if not ids:
                break

            def prune(uow: UnitOfWork, part: list[int] = ids) -> int:
                return iot.prune_rollups(uow.conn, part, before)

            done["rollups_pruned"] += db.write(prune)
            after = ids[-1]
    return done


class RetentionTask:
    """The event pump's task: ``roll_up`` at most every ``every`` seconds in this process."""

    def __init__(self, *, raw_days: int, rollup_days: int, every: float = 600.0) -> None:
        self.raw_days, self.rollup_days, self.every = raw_days, rollup_days, every
        self._last: float | None = None
        self.__name__ = "sensor_retention"

    def __call__(self, db: Database) -> None:
        if self._last is not None and time.monotonic() - self._last < self.every:
            return
        self._last = time.monotonic()
        try:
            done = roll_up(db, raw_days=self.raw_days, rollup_days=self.rollup_days)
        except OnhandError as e:  # a refused commit: the next round tries again
            log.warning("sensor roll-up: %s", e.message)
            return
        if done["readings"] or done["rollups_pruned"]:
            log.info("sensor roll-up: %s", done)
