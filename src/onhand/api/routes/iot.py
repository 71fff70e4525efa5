"""IoT: sensors and their readings, condition ranges, excursions, gateways and the MQTT
subscriber's status (docs/iot.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from onhand.api.deps import DB, CurrentActor, Id
from onhand.api.schemas import Moment
from onhand.api.schemas_iot import (
    ExcursionRead,
    GatewayCreate,
    GatewayKind,
    GatewayRead,
    GatewayUpdate,
    HourlyRead,
    IngestRead,
    Metric,
    MqttStatus,
    RangeCreate,
    RangeRead,
    RangeUpdate,
    ReadingsCreate,
    ReadingsRead,
    SensorCreate,
    SensorRead,
    SensorUpdate,
)
from onhand.services import excursions, gateways, mqtt, sensor_readings, sensors
from onhand.services.sensor_readings import Reading

router = APIRouter(tags=["iot"])
Under = Annotated[
    str | None, Query(max_length=400, description="a location: it and those below it")
]
Since = Annotated[Moment | None, Query(description="from this time (ISO 8601, with zone)")]
Until = Annotated[Moment | None, Query(description="before this time (ISO 8601, with zone)")]


@router.post("/sensors", response_model=SensorRead, status_code=status.HTTP_201_CREATED)
def create_sensor(body: SensorCreate, db: DB, actor: CurrentActor) -> Any:
    """Register a temperature or humidity sensor at an internal location."""
    return sensors.create_sensor(
        db,
        actor,
        code=body.code,
        name=body.name,
        location=body.location,
        metric=body.metric,
        stale_minutes=body.stale_minutes,
    )


@router.get("/sensors", response_model=list[SensorRead])
def list_sensors(
    db: DB,
    actor: CurrentActor,
    location: Under = None,
    metric: Metric | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Sensors with their newest reading, by location."""
    return sensors.list_sensors(
        db, actor, location=location, metric=metric, active=active, limit=limit
    )


@router.get("/sensors/{code}", response_model=SensorRead)
def get_sensor(code: str, db: DB, actor: CurrentActor) -> Any:
    """One sensor with its newest reading."""
    return sensors.get_sensor(db, actor, code)


@router.patch("/sensors/{code}", response_model=SensorRead)
def update_sensor(code: str, body: SensorUpdate, db: DB, actor: CurrentActor) -> Any:
    """Rename, move or switch a sensor off or on (a move or switch-off ends its excursions), or
    change how long it may stay silent (null: the default)."""
    return sensors.update_sensor(
        db,
        actor,
        code,
        name=body.name,
        location=body.location,
        active=body.active,
        stale_minutes=(
            body.stale_minutes if "stale_minutes" in body.model_fields_set else sensors.UNSET
        ),
    )


@router.get("/sensors/{code}/readings", response_model=ReadingsRead)
def sensor_readings_list(
    code: str,
    db: DB,
    actor: CurrentActor,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Any:
    """A sensor's raw readings, newest first (older ones are in /hourly)."""
    return sensor_readings.history(db, actor, code, since=since, until=until, limit=limit)


@router.get("/sensors/{code}/hourly", response_model=HourlyRead)
def sensor_hourly(
    code: str, db: DB, actor: CurrentActor, since: Since = None, until: Until = None
) -> Any:
    """A sensor's readings per hour (count, min, avg, max); default the last 24 hours."""
    return sensor_readings.hourly(db, actor, code, since=since, until=until)


@router.post("/sensor-readings", response_model=IngestRead)
def post_readings(body: ReadingsCreate, request: Request, db: DB, actor: CurrentActor) -> Any:
    """Store a batch of readings (all or none), idempotent by sensor and time, and run them
    through the excursion watches."""
    batch = [Reading(r.sensor, r.value, r.at) for r in body.readings]
    return sensor_readings.post_readings(
        db, actor, batch, raw_days=request.app.state.sensor_raw_days
    )


@router.post("/condition-ranges", response_model=RangeRead, status_code=status.HTTP_201_CREATED)
def create_range(body: RangeCreate, db: DB, actor: CurrentActor) -> Any:
    """The range a location's stock (and below) or an item's (wherever it is) must be kept in."""
    return sensors.create_range(
        db,
        actor,
        metric=body.metric,
        location=body.location,
        sku=body.sku,
        minimum=body.min,
        maximum=body.max,
        grace_minutes=body.grace_minutes,
    )


@router.get("/condition-ranges", response_model=list[RangeRead])
def list_ranges(
    db: DB,
    actor: CurrentActor,
    metric: Metric | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Condition ranges: of locations, then of items."""
    return sensors.list_ranges(db, actor, metric=metric, active=active, limit=limit)


@router.get("/condition-ranges/{range_id}", response_model=RangeRead)
def get_range(range_id: Id, db: DB, actor: CurrentActor) -> Any:
    """One condition range."""
    return sensors.get_range(db, actor, range_id)


@router.patch("/condition-ranges/{range_id}", response_model=RangeRead)
def update_range(range_id: Id, body: RangeUpdate, db: DB, actor: CurrentActor) -> Any:
    """Change a range's bounds (null: open on that side), grace time or switch it off; a
    change ends its open excursions."""
    given = body.model_fields_set
    return sensors.update_range(
        db,
        actor,
        range_id,
        minimum=body.min if "min" in given else sensors.UNSET,
        maximum=body.max if "max" in given else sensors.UNSET,
        grace_minutes=body.grace_minutes,
        active=body.active,
    )


@router.get("/excursions", response_model=list[ExcursionRead])
def list_excursions(
    db: DB,
    actor: CurrentActor,
    open: bool = False,
    sensor: Annotated[str | None, Query(max_length=64)] = None,
    location: Under = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Excursions, newest first, with their lots (and whether each is still on hold)."""
    return excursions.list_excursions(
        db, actor, open_only=open, sensor=sensor, location=location, limit=limit
    )


@router.get("/excursions/{excursion_id}", response_model=ExcursionRead)
def get_excursion(excursion_id: Id, db: DB, actor: CurrentActor) -> Any:
    """One excursion."""
    return excursions.get_excursion(db, actor, excursion_id)


@router.post("/gateways", response_model=GatewayRead, status_code=status.HTTP_201_CREATED)
def create_gateway(body: GatewayCreate, db: DB, actor: CurrentActor) -> Any:
    """Register an RFID reader or a scanner posting over MQTT, acting as one user (admins)."""
    return gateways.create_gateway(
        db, actor, code=body.code, kind=body.kind, user=body.user, location=body.location
    )


@router.get("/gateways", response_model=list[GatewayRead])
def list_gateways(db: DB, actor: CurrentActor) -> Any:
    """The organisation's gateways."""
    return gateways.list_gateways(db, actor)


@router.patch("/gateways/{kind}/{code}", response_model=GatewayRead)
def update_gateway(
    kind: GatewayKind, code: str, body: GatewayUpdate, db: DB, actor: CurrentActor
) -> Any:
    """Change a gateway's user or location, or switch it off or on (admins)."""
    return gateways.update_gateway(
        db, actor, kind, code, user=body.user, location=body.location, active=body.active
    )


@router.get("/mqtt/status", response_model=MqttStatus)
def mqtt_status(request: Request, db: DB, actor: CurrentActor) -> Any:
    """What this process's MQTT subscriber saw of the organisation: counts by outcome and the
    latest refused messages with their reasons."""
    return mqtt.status_for(db, actor, request.app.state.mqtt)
