"""A location's sensors for its page: each sensor's newest reading, the ranges it is read
against, and a chart of its last 24 hours (per hour: the band from minimum to maximum and the
average as a line, the range's bounds dashed), drawn as inline SVG on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor
from onhand.services import excursions, sensor_readings, sensors
from onhand.services.common import utcnow
from onhand.store.unit_of_work import Database

W, H, PAD = 600, 160, 12  # the chart's viewBox and inner margin
HOURS = 24
MAX_SENSORS = 20


@dataclass(slots=True)
class Chart:
    """What the template draws: SVG point lists and the bounds' heights, and the summary."""

    band: str
    line: str
    bounds: list[tuple[float, str]]
    summary: str


def _ancestors(path: str) -> set[str]:
    return {path[:i] for i, ch in enumerate(path) if ch == "/"} | {path}


def chart(
    hours: list[dict[str, Any]], low: Decimal | None, high: Decimal | None, unit: str
) -> Chart | None:
    """The chart of a day of hourly figures (None: no readings in it)."""
    if not hours:
        return None
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    values = [h["min"] for h in hours] + [h["max"] for h in hours]
    values += [b for b in (low, high) if b is not None]
    top, bottom = max(values) + 1, min(values) - 1

    def x(at: Any) -> float:
        slot = (at - start).total_seconds() / 3600
        return round(PAD + (W - 2 * PAD) * max(0.0, min(slot, HOURS - 1)) / (HOURS - 1), 1)

    def y(v: Decimal) -> float:
        return round(PAD + (H - 2 * PAD) * float((top - v) / (top - bottom)), 1)

    upper = [f"{x(h['hour'])},{y(h['max'])}" for h in hours]
    lower = [f"{x(h['hour'])},{y(h['min'])}" for h in reversed(hours)]
    lo, hi = min(h["min"] for h in hours), max(h["max"] for h in hours)
    return Chart(
        band=" ".join(upper + lower),
        line=" ".join(f"{x(h['hour'])},{y(h['avg'])}" for h in hours),
        bounds=[(y(b), f"{b} {unit}") for b in (low, high) if b is not None],
        summary=f"{sum(h['count'] for h in hours)} readings over the last {HOURS} hours, "
        f"from {lo} to {hi} {unit}",
    )


def sensors_here(db: Database, actor: Actor, path: str) -> dict[str, Any]:
    """The sensors at ``path`` and below, each with its chart and ranges; the open excursions
    there."""
    found = sensors.list_sensors(db, actor, location=path, active=True, limit=MAX_SENSORS)
    if not found:
        return {"sensors": [], "excursions": []}
    ranges = [
        r
        for r in sensors.list_ranges(db, actor, active=True, limit=1000)
        if r["scope"] == "location"
    ]
    out = []
    for s in found:
        mine = [
            r
            for r in ranges
            if r["metric"] == s["metric"] and r["location"] in _ancestors(s["location"])
        ]
        nearest = max(mine, key=lambda r: len(r["location"]), default=None)
        hours = sensor_readings.hourly(db, actor, s["code"])["hours"]
        low = nearest["min"] if nearest else None
        high = nearest["max"] if nearest else None
        out.append({**s, "ranges": mine, "chart": chart(hours, low, high, s["unit"])})
    return {
        "sensors": out,
        "excursions": excursions.list_excursions(db, actor, open_only=True, location=path),
    }
