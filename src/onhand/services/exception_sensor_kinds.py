"""The exceptions list's sensor kinds: excursions out of a condition range and sensors gone
silent (docs/exceptions.md, docs/iot.md)."""

from __future__ import annotations

import json
from decimal import Decimal

from onhand.domain import exception_rules as rules
from onhand.domain.iot import from_milli, from_ms, silent_since, unit_of
from onhand.services.exception_kinds import Ctx, Exc, exc
from onhand.store import excursions as excursion_store
from onhand.store import stale_sensors


def _range_text(low: int | None, high: int | None, unit: str) -> str:
    if low is None:
        return f"at most {from_milli(high)} {unit}"
    if high is None:
        return f"at least {from_milli(low)} {unit}"
    return f"{from_milli(low)} to {from_milli(high)} {unit}"


def sensor_excursion(c: Ctx) -> list[Exc]:
    out = []
    rows = excursion_store.excursions_to_act_on(
        c.conn,
        c.org_id,
        scope=c.scope,
        item_id=c.item_id,
        recent=c.ago(rules.EXCURSION_DAYS),
        limit=c.limit,
    )
    for r in rows:
        unit = unit_of(r.metric)
        unheld = json.loads(r.unheld)
        held = int(r.on_hold or 0)
        whose = f" for {r.sku}" if r.sku else ""
        span = f"since {r.started_at.isoformat()}"
        if r.ended_at is not None:
            span = f"from {r.started_at.isoformat()} to {r.ended_at.isoformat()}"
        tail = f"; {held} lot{'' if held == 1 else 's'} on hold"
        if unheld:
            tail += "; without lots (not held): " + ", ".join(
                f"{u['quantity']} {u['sku']}" for u in unheld[:5]
            )
        out.append(
            exc(
                "sensor_excursion",
                f"excursion={r.id}",
                "critical" if r.ended_at is None else "high",
                "manager",
                "Check the cooling or the room now and move the goods into range; the lots stay "
                "on hold until someone releases them."
                if r.ended_at is None
                else "Judge the goods: release the lots that are fine, scrap the others, and "
                "check the stock without lots.",
                f"{r.sensor} at {r.path} read {r.metric} outside {_range_text(r.min_value, r.max_value, unit)}"
                f"{whose} {span} (worst {from_milli(r.worst)} {unit}){tail}",
                sku=r.sku,
                warehouse=r.warehouse,
                location=r.path,
                quantity=Decimal(held),
                since=r.started_at,
                figures={
                    "worst": from_milli(r.worst),
                    "min": from_milli(r.min_value),
                    "max": from_milli(r.max_value),
                    "grace_minutes": r.grace_minutes,
                    "lots_on_hold": held,
                    "items_without_lots": len(unheld),
                },
                fp=("open" if r.ended_at is None else "ended", held),
            )
        )
    return out


def sensor_stale(c: Ctx) -> list[Exc]:
    out = []
    rows = stale_sensors.stale_to_act_on(
        c.conn, c.org_id, scope=c.scope, item_id=c.item_id, limit=c.limit
    )
    for r in rows:
        unit = unit_of(r.metric)
        since = from_ms(silent_since(r.last_at, r.expected_since))
        heard = r.last_at is not None and r.last_at >= (r.expected_since or 0)
        last = (
            f"last {from_milli(r.last_value)} {unit}"
            if heard
            else "none since it was registered or switched on"
        )
        outside = ", outside a range" if r.outside else ""
        out.append(
            exc(
                "sensor_stale",
                f"sensor={r.id}",
                "critical" if r.outside else "high",
                "manager",
                "Check the sensor (battery, signal, gateway) and the goods it watches; if it went "
                "quiet outside its range, its lots go on hold after the grace time.",
                f"{r.code} at {r.path} has sent no {r.metric} reading since "
                f"{since.isoformat()} ({last}{outside})",
                warehouse=r.warehouse,
                location=r.path,
                since=since,
                figures={
                    "last_value": from_milli(r.last_value) if heard else None,
                    "stale_minutes": r.stale_minutes,
                    "stale_since": from_ms(r.stale_since),
                },
                fp=(r.stale_since,),
            )
        )
    return out
