"""Stale sensors: a sensor that has sent no reading for longer than it is allowed (its own
``stale_minutes``, or the server's default) is **stale**. A periodic task of the event pump finds
each silence once: it raises ``sensor.stale`` and the exceptions list shows ``sensor_stale``
until a reading ends the silence (``sensor.resumed``).

A stale sensor whose newest readings were outside a range is taken to have stayed outside:
once the range's grace time has passed since the first of them, the excursion starts (detected
by silence) and holds the lots as a reading past the grace time would. A cold room whose power
failed often takes its sensor's gateway down with it: silence there is no good news.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from onhand.domain.errors import OnhandError
from onhand.domain.iot import (
    MINUTE_MS,
    from_milli,
    from_ms,
    is_stale,
    silent_since,
    to_ms,
    unit_of,
)
from onhand.services import events, excursions
from onhand.services.common import utcnow
from onhand.store import excursions as watches
from onhand.store import iot
from onhand.store import stale_sensors as store
from onhand.store.unit_of_work import Database, UnitOfWork

log = logging.getLogger("onhand.iot")
CHECK_EVERY = 60.0  # seconds between the event pump's checks
BATCH = 100  # sensors per transaction
ROUND = 2000  # sensors looked at per round at most (the next round takes the rest)


def check_stale(
    db: Database, *, default_minutes: int, now: datetime | None = None
) -> dict[str, int]:
    """Find the sensors silent for longer than they are allowed (``default_minutes`` where a
    sensor has no ``stale_minutes`` of its own; 0: never) and mark each silence once with
    ``sensor.stale``; open the excursions of stale sensors last read outside a range whose grace
    time has passed; forget the silences of sensors switched off or allowed longer now. Safe
    beside the same check in other processes: each sensor is decided under its row lock."""
    at = to_ms(now or utcnow())
    done = {"stale": 0, "excursions": 0, "cleared": 0}
    done["cleared"] = db.write(
        lambda uow: store.clear_no_longer_stale(uow.conn, at, default_minutes)
    )
    with db.reading() as uow:
        ids = {r.id for r in store.newly_stale(uow.conn, at, default_minutes, ROUND)}
        ids |= {r.id for r in store.stale_and_outside(uow.conn, ROUND)}
    todo = sorted(ids)
    for i in range(0, len(todo), BATCH):
        part = todo[i : i + BATCH]

        def work(uow: UnitOfWork, part: list[int] = part) -> tuple[int, int]:
            # Every sensor of the batch locked first, in id order, as ingesting locks them.
            iot.lock_sensors(uow.conn, part)
            found = opened = 0
            for sensor_id in part:
                newly, n = _check_one(uow, sensor_id, at, default_minutes)
                found, opened = found + newly, opened + n
            return found, opened

        found, opened = db.write(work)
        done["stale"] += found
        done["excursions"] += opened
    return done


def _check_one(uow: UnitOfWork, sensor_id: int, at: int, default_minutes: int) -> tuple[int, int]:
    """(1 if this sensor's silence is found now, the excursions its silence opened)."""
    s = store.sensor_for_update(uow.conn, sensor_id)
    if s is None or not s.active:
        return 0, 0
    minutes = default_minutes if s.stale_minutes is None else s.stale_minutes
    newly = s.stale_since is None
    if newly and not is_stale(s.last_at, s.expected_since, minutes, at):
        return 0, 0  # a reading came meanwhile
    opened = excursions.open_by_silence(uow, s.org_id, s, at)
    if newly:
        store.set_stale(uow.conn, s.id, at)
        _raise_stale(uow, s, minutes, at)
    return int(newly), len(opened)


def _raise_stale(uow: UnitOfWork, s: Any, minutes: int, at: int) -> None:
    outside = []
    for w in watches.watches_of(uow.conn, s.id).values():
        rng = iot.range_by_id(uow.conn, s.org_id, w.range_id)
        if rng is None:
            continue
        outside.append(
            {
                "range": {**excursions.range_brief(rng), "location": rng.path, "sku": rng.sku},
                "since": from_ms(w.out_since),
                "worst": from_milli(w.worst),
                "excursion": w.excursion_id,
            }
        )
    last = None
    if s.last_at is not None:
        last = {"at": from_ms(s.last_at), "value": from_milli(s.last_value)}
    events.emit(
        uow,
        None,
        "sensor.stale",
        "sensor",
        s.code,
        {
            "sensor": s.code,
            "name": s.name,
            "location": s.path,
            "metric": s.metric,
            "unit": unit_of(s.metric),
            "last_reading": last,
            "silent_since": from_ms(silent_since(s.last_at, s.expected_since)),
            "stale_minutes": minutes,
            "detected_at": from_ms(at),
            "outside": outside,
        },
        org_id=s.org_id,
    )


def resume(uow: UnitOfWork, org_id: int, sensor: Any, at: int) -> None:
    """A stale sensor read again (``at``: its first new reading): forget the silence and raise
    ``sensor.resumed``, in the caller's transaction."""
    store.set_stale(uow.conn, sensor.id, None)
    since = silent_since(sensor.last_at, sensor.expected_since)
    events.emit(
        uow,
        None,
        "sensor.resumed",
        "sensor",
        sensor.code,
        {
            "sensor": sensor.code,
            "location": sensor.path,
            "silent_since": from_ms(since),
            "stale_since": from_ms(sensor.stale_since),
            "resumed_at": from_ms(at),
            "minutes_silent": max(0, (at - since) // MINUTE_MS),
        },
        org_id=org_id,
    )


def check_task(db: Database, *, default_minutes: int) -> None:
    """The event pump's chore (every ``CHECK_EVERY`` seconds): ``check_stale`` now, saying what
    it found; a refused commit waits for the next round."""
    try:
        done = check_stale(db, default_minutes=default_minutes)
    except OnhandError as e:
        log.warning("stale sensor check: %s", e.message)
        return
    if done["stale"] or done["excursions"]:
        log.info("stale sensor check: %s", done)
