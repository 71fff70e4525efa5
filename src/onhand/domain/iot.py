"""IoT rules, pure: metrics and their units, reading values and times, condition ranges, the
excursion state of one sensor against one range, and the MQTT topics and payloads.

A value is kept as an integer number of thousandths of its unit (21.5 °C is 21500) and a time
as milliseconds since 1970 in UTC: both exact and compact, on every database.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from onhand.domain.errors import InvalidInput

# Metric -> (unit, the lowest and highest plausible value). A value outside is a broken sensor
# or a misread payload (a DS18B20 reports -127 °C when it lost its probe), not a reading.
METRICS: dict[str, tuple[str, Decimal, Decimal]] = {
    "temperature": ("°C", Decimal(-100), Decimal(150)),
    "humidity": ("%RH", Decimal(0), Decimal(100)),
}
THOUSANDTH = Decimal("0.001")
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
MAX_GRACE_MINUTES = 7 * 24 * 60
# The longest a sensor's silence may be allowed to last before it is stale.
MAX_STALE_MINUTES = 7 * 24 * 60
# A reading stamped further ahead than this is refused: a sensor clock gone wrong.
MAX_AHEAD = timedelta(minutes=5)
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
GATEWAY_KINDS = ("rfid", "scanner")
# The MQTT topic kinds after prefix/<org>/: sensor readings, RFID reads, barcode scans.
TOPIC_KINDS = {"sensors": "sensor", "rfid": "rfid", "scans": "scanner"}
MAX_PAYLOAD = 256 * 1024
MAX_BATCH = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def check_metric(metric: str) -> str:
    """One of the metrics (temperature, humidity), or a 422 naming them."""
    if metric not in METRICS:
        raise InvalidInput(
            f"metric must be one of {', '.join(METRICS)}, not {metric[:40]!r}",
            code="invalid_metric",
        )
    return metric


def check_code(code: str, what: str = "sensor") -> str:
    """A device code: 1-64 letters, digits or . _ - (it is one level of an MQTT topic)."""
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise InvalidInput(
            f"{what} code {str(code)[:80]!r} is not valid: use 1-64 letters, digits or . _ -, "
            "starting with a letter or digit",
            code=f"invalid_{what}_code",
        )
    return code


def unit_of(metric: str) -> str:
    return METRICS[metric][0]


def to_milli(value: Any, metric: str) -> int:
    """A reading's value (a number or a decimal string) in thousandths of the metric's unit,
    rounded half to even; a 422 when it is not a finite number or not plausible."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidInput("a reading's value must be a number", code="invalid_reading_value")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput("a reading's value must be finite", code="invalid_reading_value")
    try:
        exact = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidInput(
            f"a reading's value must be a number, not {str(value)[:40]!r}",
            code="invalid_reading_value",
        ) from None
    if not exact.is_finite():
        raise InvalidInput("a reading's value must be finite", code="invalid_reading_value")
    unit, low, high = METRICS[metric]
    if not low <= exact <= high:
        raise InvalidInput(
            f"{exact} {unit} is not a plausible {metric} (from {low} to {high} {unit}): a broken "
            "sensor?",
            code="implausible_reading",
        )
    return int(exact.quantize(THOUSANDTH, rounding=ROUND_HALF_EVEN) * 1000)


def bound_to_milli(value: Decimal | None, metric: str, field: str) -> int | None:
    """A range bound in thousandths (None stays None); a 422 outside the plausible values."""
    if value is None:
        return None
    try:
        return to_milli(value, metric)
    except InvalidInput as e:
        raise InvalidInput(f"{field}: {e.message}", code=f"invalid_{field}") from None


def from_milli(value: int | None) -> Decimal | None:
    """Thousandths back to a decimal without trailing zeros (21500 -> 21.5)."""
    if value is None:
        return None
    d = Decimal(value) / 1000
    return d.quantize(Decimal(1)) if d == d.to_integral() else d.normalize()


def to_ms(at: datetime) -> int:
    """A timezone-aware time as milliseconds since 1970 (exact: no float)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def parse_time(raw: Any) -> datetime:
    """An ISO 8601 time with its zone (a payload's ``at``), in UTC; a 422 otherwise."""
    if not isinstance(raw, str) or len(raw) > 64:
        raise InvalidInput(
            "at must be an ISO 8601 time with its zone, e.g. 2026-03-03T14:00:00Z",
            code="invalid_reading_time",
        )
    try:
        at = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"at {raw[:40]!r} is not an ISO 8601 time such as 2026-03-03T14:00:00Z",
            code="invalid_reading_time",
        ) from None
    if at.tzinfo is None:
        raise InvalidInput(
            "at must include a time zone, e.g. 2026-03-03T14:00:00Z", code="invalid_reading_time"
        )
    try:
        return at.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the year 1 in UTC
        raise InvalidInput(
            f"at {raw[:40]!r} is outside the years 1 to 9999 once in UTC",
            code="invalid_reading_time",
        ) from None


def check_reading_time(at: datetime, now: datetime, raw_days: int) -> None:
    """Refuse a time too far ahead (a wrong clock) or older than the raw retention: such a
    reading could already be rolled up, where a repeat can no longer be told from a new one."""
    if at > now + MAX_AHEAD:
        raise InvalidInput(
            f"the reading at {at.isoformat()} is in the future (the sensor's clock?)",
            code="reading_in_future",
        )
    if at < now - timedelta(days=raw_days):
        raise InvalidInput(
            f"the reading at {at.isoformat()} is older than the {raw_days} days readings are "
            "kept in full",
            code="reading_too_old",
        )


@dataclass(frozen=True, slots=True)
class Bounds:
    """A condition range in thousandths (either side may be open) and its grace time."""

    low: int | None
    high: int | None
    grace_minutes: int

    def outside(self, value: int) -> bool:
        return (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        )

    def distance(self, value: int) -> int:
        """How far outside the range a value is (0 inside)."""
        below = self.low - value if self.low is not None else 0
        above = value - self.high if self.high is not None else 0
        return max(below, above, 0)


def check_bounds(low: int | None, high: int | None, grace_minutes: int) -> None:
    """A range needs a bound, a minimum below its maximum and a grace time of 0 to 7 days."""
    if low is None and high is None:
        raise InvalidInput("a range needs a minimum, a maximum or both", code="range_needs_bound")
    if low is not None and high is not None and low >= high:
        raise InvalidInput(
            "a range's minimum must be below its maximum", code="range_min_not_below_max"
        )
    if not 0 <= grace_minutes <= MAX_GRACE_MINUTES:
        raise InvalidInput(
            f"grace_minutes must be from 0 to {MAX_GRACE_MINUTES} (a week)",
            code="invalid_grace_minutes",
        )


@dataclass(frozen=True, slots=True)
class Watch:
    """A sensor outside one range: since the first reading outside (ms), the newest reading,
    the value furthest outside, and whether that became an excursion."""

    out_since: int
    last_at: int
    worst: int
    excursion: bool


def step(
    watch: Watch | None, at: int, value: int, bounds: Bounds
) -> tuple[Watch | None, str | None]:
    """The state after one more reading (readings come in time order), and what happened:
    ``"excursion"`` when the readings have now been outside for the grace time or longer with
    none inside between, ``"recovered"`` when an excursion's sensor reads inside again."""
    if not bounds.outside(value):
        if watch is None:
            return None, None
        return None, "recovered" if watch.excursion else None  # a blip is forgotten
    if watch is None:
        watch = Watch(out_since=at, last_at=at, worst=value, excursion=False)
    else:
        worse = bounds.distance(value) > bounds.distance(watch.worst)
        watch = replace(watch, last_at=at, worst=value if worse else watch.worst)
    if not watch.excursion and at - watch.out_since >= bounds.grace_minutes * MINUTE_MS:
        return replace(watch, excursion=True), "excursion"
    return watch, None


def check_stale_minutes(minutes: int | None) -> int | None:
    """A sensor's allowed silence: None (the server's default), 0 (never stale) or up to a
    week of minutes."""
    if minutes is not None and (isinstance(minutes, bool) or not 0 <= minutes <= MAX_STALE_MINUTES):
        raise InvalidInput(
            f"stale_minutes must be from 0 (never stale) to {MAX_STALE_MINUTES} (a week)",
            code="invalid_stale_minutes",
        )
    return minutes


def silent_since(last_at: int | None, expected_since: int | None) -> int:
    """Since when (ms) a sensor has said nothing: its newest reading, or when it was registered
    or switched on if that is later."""
    return max(last_at or 0, expected_since or 0)


def is_stale(last_at: int | None, expected_since: int | None, minutes: int, now: int) -> bool:
    """Whether a sensor allowed ``minutes`` of silence (0: any) has been silent that long."""
    return minutes > 0 and now - silent_since(last_at, expected_since) >= minutes * MINUTE_MS


def excursion_by_silence(watch: Watch, bounds: Bounds, now: int) -> bool:
    """Whether a stale sensor whose newest readings were outside a range is now taken to have
    stayed outside for the grace time: nothing says it came back, so the goods are treated as
    if it had not (docs/iot.md)."""
    return not watch.excursion and now - watch.out_since >= bounds.grace_minutes * MINUTE_MS


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed MQTT topic: prefix/<org>/<kind>/<code>."""

    org: str
    kind: str  # sensor | rfid | scanner
    code: str


def parse_topic(topic: str, prefix: str) -> Topic:
    """The organisation, kind and device of a topic, or a 422 saying what is wrong with it."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != prefix:
        raise InvalidInput(
            f"topic {topic[:120]!r} is not {prefix}/<organisation>/<sensors|rfid|scans>/<code>",
            code="bad_topic",
        )
    _, org, kind, code = parts
    if kind not in TOPIC_KINDS:
        raise InvalidInput(
            f"topic kind {kind[:40]!r} is not sensors, rfid or scans", code="bad_topic"
        )
    return Topic(org=org, kind=TOPIC_KINDS[kind], code=check_code(code, TOPIC_KINDS[kind]))


def payload_json(raw: bytes) -> Any:
    """A message's JSON, or a 422 (too large, not UTF-8, not JSON)."""
    if len(raw) > MAX_PAYLOAD:
        raise InvalidInput(f"the payload is over {MAX_PAYLOAD} bytes", code="payload_too_large")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the payload is not JSON (UTF-8)", code="payload_not_json") from None


def sensor_payload(raw: bytes) -> list[tuple[Any, Any]]:
    """The (value, at) pairs of a sensor message: ``{"value": 4.2, "at": "..."}`` or a list of
    such objects; ``at`` may be left out (the time the message arrived) and is checked later."""
    data = payload_json(raw)
    many = data if isinstance(data, list) else [data]
    if not many or len(many) > MAX_BATCH:
        raise InvalidInput(f"send 1 to {MAX_BATCH} readings at once", code="bad_payload")
    out = []
    for one in many:
        if not isinstance(one, dict) or "value" not in one:
            raise InvalidInput(
                'a reading is a JSON object {"value": 4.2, "at": "2026-03-03T14:00:00Z"}',
                code="bad_payload",
            )
        extra = set(one) - {"value", "at"}
        if extra:
            raise InvalidInput(f"unknown field {sorted(extra)[0][:40]!r}", code="bad_payload")
        out.append((one["value"], one.get("at")))
    return out


def gateway_payload(raw: bytes, kind: str) -> dict[str, Any]:
    """An RFID message ``{"reads": [...], "location"?, "count"?}`` or a scanner message
    ``{"code": "..."}``, checked for shape (the services check the content)."""
    data = payload_json(raw)
    if not isinstance(data, dict):
        raise InvalidInput("the payload must be a JSON object", code="bad_payload")
    if kind == "rfid":
        allowed = {"reads", "location", "count"}
        reads = data.get("reads")
        if not isinstance(reads, list) or not all(isinstance(r, str) for r in reads):
            raise InvalidInput(
                'an RFID message needs "reads": a list of EPCs (hex)', code="bad_payload"
            )
    else:
        allowed = {"code"}
        if not isinstance(data.get("code"), str):
            raise InvalidInput(
                'a scanner message needs "code": the scanned text', code="bad_payload"
            )
    for field in ("location", "count"):
        if field in data and not isinstance(data[field], str):
            raise InvalidInput(f'"{field}" must be text', code="bad_payload")
    extra = set(data) - allowed
    if extra:
        raise InvalidInput(f"unknown field {sorted(extra)[0][:40]!r}", code="bad_payload")
    return data
