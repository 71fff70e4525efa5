"""Excursions: a sensor's readings outside a condition range for the range's grace time or
longer put the lots stored in the sensor's area on hold, raise ``sensor.excursion`` and show in
the exceptions list; the first reading back inside ends the excursion (``sensor.recovered``)
while the lots stay on hold until a person releases them (docs/iot.md says why).

A sensor watches its location and everything below it, except the parts below that have a
sensor of the same metric of their own (a fridge in a cold room is the fridge sensor's). The
ranges it is read against: its location's and those of the locations above it, and those of the
items stocked in its area.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.iot import (
    Bounds,
    Watch,
    excursion_by_silence,
    from_milli,
    from_ms,
    step,
    unit_of,
)
from onhand.domain.quantities import from_micro
from onhand.services import events, lots
from onhand.services.common import check_limit, not_found
from onhand.store import excursions as store
from onhand.store import iot, recalls
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_LIMIT = 1000


def range_brief(r: Any) -> dict[str, Any]:
    """A range as events and answers show it (from an excursion row or a range row)."""
    return {
        "scope": "item" if r.item_id is not None else "location",
        "min": from_milli(r.min_value),
        "max": from_milli(r.max_value),
        "grace_minutes": r.grace_minutes,
    }


def evaluate(uow: UnitOfWork, org_id: int, sensor: Any, readings: Sequence[tuple[int, int]]) -> int:
    """Run a sensor's new readings ((ms, thousandths), oldest first, all after the sensor's
    newest one so far) through the ranges it is read against, in the caller's transaction;
    how many excursions started."""
    conn = uow.conn
    below = iot.sensor_paths_below(conn, org_id, sensor.path, sensor.metric)
    with_ranges = iot.item_ranges_exist(conn, org_id, sensor.metric)
    stocked = store.items_in_area(conn, org_id, sensor.path, below, with_ranges)
    ranges = iot.ranges_for_sensor(
        conn,
        org_id,
        sensor_id=sensor.id,
        path=sensor.path,
        metric=sensor.metric,
        stocked_items=stocked,
    )
    if not ranges:
        return 0
    watches = store.watches_of(conn, sensor.id)
    started = 0
    for r in ranges:
        bounds = Bounds(r.min_value, r.max_value, r.grace_minutes)
        row = watches.get(r.id)
        watch = None
        excursion_id = None
        recorded = None  # the open excursion's worst as stored
        if row is not None:
            excursion_id = row.excursion_id
            watch = Watch(row.out_since, row.last_at, row.worst, excursion_id is not None)
            recorded = row.worst if excursion_id is not None else None
        for at, value in readings:
            before = watch
            watch, happened = step(watch, at, value, bounds)
            if happened == "excursion":
                assert watch is not None
                excursion_id = _open(uow, org_id, sensor, r.id, watch, at, below)
                recorded = watch.worst
                started += 1
            elif happened == "recovered" and excursion_id is not None:
                # A worse reading earlier in this batch is the excursion's worst: store it
                # before the excursion ends (sensor.recovered reports it).
                assert before is not None
                if before.worst != recorded:
                    store.update_worst(conn, excursion_id, before.worst)
                _close(uow, org_id, excursion_id, from_ms(at), "in_range")
                excursion_id = recorded = None
        if watch is None:
            if row is not None:
                store.delete_watch(conn, sensor.id, r.id)
            continue
        if excursion_id is not None and watch.worst != recorded:
            store.update_worst(conn, excursion_id, watch.worst)
        store.save_watch(
            conn,
            {
                "sensor_id": sensor.id,
                "range_id": r.id,
                "org_id": org_id,
                "out_since": watch.out_since,
                "last_at": watch.last_at,
                "worst": watch.worst,
                "excursion_id": excursion_id,
            },
        )
    return started


def open_by_silence(uow: UnitOfWork, org_id: int, sensor: Any, now: int) -> list[int]:
    """A stale sensor whose newest readings were outside a range: once the grace time has
    passed since the first of them, the run is an excursion detected now (the sensor cannot say
    it came back), holding the lots as a reading would. The ids of the excursions opened."""
    conn = uow.conn
    pending = [w for w in store.watches_of(conn, sensor.id).values() if w.excursion_id is None]
    if not pending:
        return []
    below = iot.sensor_paths_below(conn, org_id, sensor.path, sensor.metric)
    opened = []
    for w in pending:
        rng = iot.range_by_id(conn, org_id, w.range_id)
        if rng is None or not rng.active:
            continue
        watch = Watch(w.out_since, w.last_at, w.worst, excursion=False)
        if not excursion_by_silence(
            watch, Bounds(rng.min_value, rng.max_value, rng.grace_minutes), now
        ):
            continue
        excursion_id = _open(uow, org_id, sensor, w.range_id, watch, now, below, by="silence")
        store.save_watch(
            conn,
            {
                "sensor_id": sensor.id,
                "range_id": w.range_id,
                "org_id": org_id,
                "out_since": w.out_since,
                "last_at": w.last_at,
                "worst": w.worst,
                "excursion_id": excursion_id,
            },
        )
        opened.append(excursion_id)
    return opened


def _stock_out(qty: int, precision: int) -> str:
    return str(from_micro(int(qty), precision))


def _open(
    uow: UnitOfWork,
    org_id: int,
    sensor: Any,
    range_id: int,
    watch: Watch,
    at: int,
    below: list[str],
    *,
    by: str = "reading",
) -> int:
    """Record the excursion, hold the lots in the area (of the range's item, or all), and raise
    sensor.excursion with what was held and what could not be; ``by`` what it was detected: a
    reading past the grace time, or the sensor's silence."""
    conn = uow.conn
    rng = iot.range_by_id(conn, org_id, range_id)
    assert rng is not None  # the caller just read it
    stock = store.stock_in_area(conn, org_id, sensor.path, below, rng.item_id)
    in_lots = [s for s in stock if s.lot_id]
    unheld: dict[str, dict[str, Any]] = {}
    for s in stock:
        if not s.lot_id:
            one = unheld.setdefault(
                s.sku, {"sku": s.sku, "tracking": s.tracking, "qty": 0, "precision": s.precision}
            )
            one["qty"] += int(s.qty)
    unheld_out = [
        {
            "sku": u["sku"],
            "tracking": u["tracking"],
            "quantity": _stock_out(u["qty"], u["precision"]),
        }
        for u in unheld.values()
    ]
    excursion_id = store.insert_excursion(
        conn,
        {
            "org_id": org_id,
            "sensor_id": sensor.id,
            "range_id": range_id,
            "location_id": sensor.location_id,
            "item_id": rng.item_id,
            "metric": sensor.metric,
            "min_value": rng.min_value,
            "max_value": rng.max_value,
            "grace_minutes": rng.grace_minutes,
            "started_at": from_ms(watch.out_since),
            "detected_at": from_ms(at),
            "worst": watch.worst,
            "unheld": json.dumps(unheld_out, separators=(",", ":")),
        },
    )
    store.insert_excursion_lots(
        conn,
        [
            {
                "excursion_id": excursion_id,
                "lot_id": s.lot_id,
                "org_id": org_id,
                "item_id": s.item_id,
                "qty": int(s.qty),
                "held": not s.on_hold,
            }
            for s in in_lots
        ],
    )
    to_hold = [
        lots.HeldLot(lot_id=s.lot_id, sku=s.sku, code=s.lot, expiry_date=s.expiry_date)
        for s in in_lots
        if not s.on_hold
    ]
    lots.hold_in(
        uow, org_id, to_hold, reason="sensor.excursion", excursion=excursion_id, sensor=sensor.code
    )
    # A lot held by a recall already stays held when the recall is released.
    recalls.keep_lots_held(conn, org_id, [s.lot_id for s in in_lots if s.on_hold])

    def lot_out(s: Any) -> dict[str, Any]:
        return {"sku": s.sku, "lot": s.lot, "quantity": _stock_out(s.qty, s.precision)}

    events.emit(
        uow,
        None,
        "sensor.excursion",
        "sensor",
        sensor.code,
        {
            "excursion": excursion_id,
            "sensor": sensor.code,
            "location": sensor.path,
            "metric": sensor.metric,
            "unit": unit_of(sensor.metric),
            "range": {**range_brief(rng), "location": rng.path, "sku": rng.sku},
            "started_at": from_ms(watch.out_since),
            "detected_at": from_ms(at),
            "detected_by": by,
            "worst": from_milli(watch.worst),
            "held": [lot_out(s) for s in in_lots if not s.on_hold],
            "already_on_hold": [lot_out(s) for s in in_lots if s.on_hold],
            "unheld": unheld_out,
        },
        org_id=org_id,
    )
    return excursion_id


def _close(uow: UnitOfWork, org_id: int, excursion_id: int, at: datetime, reason: str) -> None:
    """End an excursion (its lots stay on hold) and raise sensor.recovered."""
    conn = uow.conn
    store.end_excursion(conn, excursion_id, at, reason)
    x = store.excursion_by_id(conn, org_id, excursion_id)
    assert x is not None  # ended a moment ago in this transaction
    still = [f"{r.sku}/{r.lot}" for r in store.lots_of(conn, [excursion_id]) if r.on_hold]
    events.emit(
        uow,
        None,
        "sensor.recovered",
        "sensor",
        x.sensor,
        {
            "excursion": excursion_id,
            "sensor": x.sensor,
            "location": x.path,
            "reason": reason,
            "started_at": x.started_at,
            "ended_at": at,
            "minutes_outside": int((at - x.started_at).total_seconds() // 60),
            "worst": from_milli(x.worst),
            "lots_on_hold": still,
        },
        org_id=org_id,
    )


def end_open(
    uow: UnitOfWork,
    org_id: int,
    at: datetime,
    reason: str,
    *,
    range_id: int | None = None,
    sensor_id: int | None = None,
) -> None:
    """End the open excursions of a range or a sensor that changed (their watches start over
    with the next reading)."""
    for x in store.open_excursions(uow.conn, org_id, range_id=range_id, sensor_id=sensor_id):
        _close(uow, org_id, x.id, at, reason)
    if range_id is not None:
        store.delete_watches_of_range(uow.conn, range_id)
    if sensor_id is not None:
        store.delete_watches_of_sensor(uow.conn, sensor_id)


def excursion_out(x: Any, lot_rows: Sequence[Any]) -> dict[str, Any]:
    """An excursion as the API shows it."""
    return {
        "id": x.id,
        "sensor": x.sensor,
        "location": x.path,
        "metric": x.metric,
        "unit": unit_of(x.metric),
        "range": {**range_brief(x), "sku": x.sku},
        "started_at": x.started_at,
        "detected_at": x.detected_at,
        "ended_at": x.ended_at,
        "end_reason": x.end_reason,
        "open": x.ended_at is None,
        "worst": from_milli(x.worst),
        "lots": [
            {
                "sku": r.sku,
                "lot": r.lot,
                "quantity": from_micro(int(r.qty), r.precision),
                "held_by_excursion": r.held,
                "on_hold": r.on_hold,
            }
            for r in lot_rows
        ],
        "unheld": [
            {"sku": u["sku"], "tracking": u["tracking"], "quantity": Decimal(u["quantity"])}
            for u in json.loads(x.unheld)
        ],
    }


def _with_lots(uow: UnitOfWork, rows: Sequence[Any]) -> list[dict[str, Any]]:
    by: dict[int, list[Any]] = {}
    for r in store.lots_of(uow.conn, [x.id for x in rows]):
        by.setdefault(r.excursion_id, []).append(r)
    return [excursion_out(x, by.get(x.id, [])) for x in rows]


def list_excursions(
    db: Database,
    actor: Actor,
    *,
    open_only: bool = False,
    sensor: str | None = None,
    location: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Excursions in the warehouses the actor may see, newest first: open ones only, or of one
    sensor, or in a location's subtree."""
    actor.require(Permission.READ)
    check_limit(limit, MAX_LIMIT)
    with db.reading() as uow:
        sensor_id = None
        if sensor is not None:
            row = iot.sensor_by_code(uow.conn, actor.org_id, sensor)
            if row is None or not actor.may_touch_warehouse(row.warehouse_id):
                raise not_found("sensor", sensor)
            sensor_id = row.id
        rows = store.list_excursions(
            uow.conn,
            actor.org_id,
            open_only=open_only,
            sensor_id=sensor_id,
            under=location,
            scope=actor.warehouse_ids or None,
            limit=limit,
        )
        return _with_lots(uow, rows)


def get_excursion(db: Database, actor: Actor, excursion_id: int) -> dict[str, Any]:
    """One excursion with its lots (and whether each is still on hold)."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        x = store.excursion_by_id(uow.conn, actor.org_id, excursion_id)
        if x is None or not actor.may_touch_warehouse(x.warehouse_id):
            raise not_found("excursion", excursion_id)
        return _with_lots(uow, [x])[0]
