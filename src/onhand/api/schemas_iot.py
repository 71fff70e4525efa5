"""Request and response bodies of sensors, readings, condition ranges, excursions and gateways.

Reading values are measurements, not quantities: they may be JSON numbers (or decimal
strings), and are kept to a thousandth of their unit.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, Exact, Flag, In, Moment, Path, Qty, Text
from onhand.domain.iot import MAX_STALE_MINUTES

Metric = Literal["temperature", "humidity"]
GatewayKind = Literal["rfid", "scanner"]
Value = Annotated[
    int | float | Annotated[str, Field(max_length=40, pattern=PRINTABLE)],
    Field(description="°C or %RH: a number or a decimal string (kept to a thousandth)"),
]
Measure = Annotated[Decimal, Field(description="°C or %RH")]


StaleMinutes = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_STALE_MINUTES,
        description="minutes without a reading after which it is stale (0: never; null: the "
        "server's default, ONHAND_SENSOR_STALE_MINUTES)",
    ),
]


class SensorCreate(In):
    code: Code = Field(description="the sensor's code: the last level of its MQTT topic")
    name: Text | None = None
    location: Path = Field(description="the internal location it watches (and those below it)")
    metric: Metric
    stale_minutes: StaleMinutes | None = None


class SensorUpdate(In):
    name: Text | None = None
    location: Path | None = None
    active: Flag | None = None
    stale_minutes: StaleMinutes | None = None


class LastReading(BaseModel):
    at: datetime
    value: Measure


class SensorRead(BaseModel):
    code: str
    name: str
    location: str
    metric: Metric
    unit: str
    active: bool
    last_reading: LastReading | None
    stale_minutes: int | None = Field(description="its own allowed silence (null: the default)")
    stale: bool = Field(description="silent for longer than it is allowed (docs/iot.md)")
    stale_since: datetime | None = Field(description="when its current silence was found")
    created_at: datetime


class ReadingCreate(In):
    sensor: Code
    value: Value
    at: Moment | None = Field(default=None, description="when it was read (default: now)")


class ReadingsCreate(In):
    readings: list[ReadingCreate] = Field(min_length=1, max_length=10_000)


class Refusal(BaseModel):
    index: int
    sensor: str | None
    code: str
    reason: str


class IngestRead(BaseModel):
    stored: int = Field(description="new readings stored")
    duplicates: int = Field(description="repeats of readings stored before (same sensor, time)")
    late: int = Field(description="stored, older than the sensor's newest: not evaluated")
    excursions_started: int
    refused: list[Refusal]


class ReadingRead(BaseModel):
    at: datetime
    value: Measure


class ReadingsRead(BaseModel):
    sensor: str
    metric: Metric
    unit: str
    readings: list[ReadingRead]


class HourRead(BaseModel):
    hour: datetime
    count: int
    min: Measure
    avg: Measure
    max: Measure


class HourlyRead(BaseModel):
    sensor: str
    metric: Metric
    unit: str
    hours: list[HourRead]


class RangeCreate(In):
    metric: Metric
    location: Path | None = Field(default=None, description="a location: it and its subtree")
    sku: Code | None = Field(default=None, description="an item: wherever it is stored")
    min: Exact | None = None
    max: Exact | None = None
    grace_minutes: int = Field(
        default=0, ge=0, le=7 * 24 * 60, description="how long readings may be outside first"
    )


class RangeUpdate(In):
    min: Exact | None = Field(default=None, description="null: no minimum")
    max: Exact | None = Field(default=None, description="null: no maximum")
    grace_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    active: Flag | None = None


class RangeRead(BaseModel):
    id: int
    scope: Literal["location", "item"]
    location: str | None
    sku: str | None
    metric: Metric
    unit: str
    min: Measure | None
    max: Measure | None
    grace_minutes: int
    active: bool
    created_at: datetime


class ExcursionRange(BaseModel):
    scope: Literal["location", "item"]
    sku: str | None
    min: Measure | None
    max: Measure | None
    grace_minutes: int


class ExcursionLot(BaseModel):
    sku: str
    lot: str
    quantity: Qty = Field(description="in the sensor's area when the excursion was detected")
    held_by_excursion: bool = Field(description="false: it was on hold already")
    on_hold: bool = Field(description="now")


class UnheldStock(BaseModel):
    sku: str
    tracking: str
    quantity: Qty


class ExcursionRead(BaseModel):
    id: int
    sensor: str
    location: str
    metric: Metric
    unit: str
    range: ExcursionRange = Field(description="the range as it was when the excursion started")
    started_at: datetime = Field(description="the first reading outside")
    detected_at: datetime = Field(description="the reading that passed the grace time")
    ended_at: datetime | None
    end_reason: str | None = Field(description="in_range, sensor_changed or range_changed")
    open: bool
    worst: Measure = Field(description="the reading furthest outside")
    lots: list[ExcursionLot]
    unheld: list[UnheldStock] = Field(description="stock without lots: no hold could stop it")


class GatewayCreate(In):
    code: Code
    kind: GatewayKind
    user: Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)] = Field(
        description="the user it acts as"
    )
    location: Path | None = Field(default=None, description="where an RFID reader reads")


class GatewayUpdate(In):
    user: Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)] | None = None
    location: Path | None = None
    active: Flag | None = None


class GatewayRead(BaseModel):
    code: str
    kind: GatewayKind
    location: str | None
    user: str
    active: bool
    topic_kind: str = Field(description="its topic: <prefix>/<organisation>/<topic_kind>/<code>")
    created_at: datetime


class MqttProblem(BaseModel):
    at: datetime
    topic: str
    code: str
    reason: str


class MqttStatus(BaseModel):
    enabled: bool = Field(description="whether this process runs an MQTT subscriber")
    connected: bool
    counts: dict[str, int]
    recent_problems: list[MqttProblem]
