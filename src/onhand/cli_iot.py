"""`onhand sensors`, `onhand ranges`, `onhand excursions`, `onhand gateways` and `onhand mqtt`:
IoT sensors and their readings, condition ranges, excursions, RFID and scanner gateways, and the
MQTT subscriber as a worker of its own (docs/iot.md). Acts as the organisation's first admin."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from onhand.cli_common import (
    EXIT,
    OrgOption,
    app,
    console,
    database,
    fail,
    handled,
    number_arg,
    org_session,
    state,
)
from onhand.runtime import mqtt_subscriber
from onhand.services import excursions, gateways, sensor_readings, sensors
from onhand.services.sensor_readings import Reading

sensor_app = typer.Typer(
    help="Temperature and humidity sensors and their readings.", no_args_is_help=True
)
range_app = typer.Typer(help="The ranges stock must be kept in.", no_args_is_help=True)
gateway_app = typer.Typer(help="RFID readers and scanners posting over MQTT.", no_args_is_help=True)
mqtt_app = typer.Typer(help="The MQTT subscriber.", no_args_is_help=True)
app.add_typer(sensor_app, name="sensors")
app.add_typer(range_app, name="ranges")
app.add_typer(gateway_app, name="gateways")
app.add_typer(mqtt_app, name="mqtt")


def _moment(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise fail(
            f"{what} {text!r} is not a time with its zone, e.g. 2026-03-03T14:00:00Z",
            EXIT["invalid"],
        )
    return at


def _stale_minutes(text: str) -> int | None:
    """--stale-minutes: a whole number of minutes (0: never stale) or "default"."""
    if text.strip().lower() == "default":
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise fail(
            f"stale minutes {text!r} must be a whole number of minutes (0: never) or 'default'",
            EXIT["invalid"],
        ) from None


StaleOption = Annotated[
    str | None,
    typer.Option(
        "--stale-minutes",
        help="Minutes without a reading before it is stale (0: never; 'default': the server's)",
    ),
]


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if v is None else escape(str(v)) for v in r))
    console.print(t)


@sensor_app.command("list")
def sensors_list(
    location: Annotated[str | None, typer.Option(help="In this location and below")] = None,
    org: OrgOption = None,
) -> None:
    """Sensors with their newest reading."""
    db, actor = org_session(org)
    with handled():
        found = sensors.list_sensors(db, actor, location=location, limit=1000)
    rows = []
    for s in found:
        last = s["last_reading"]
        shown = "" if last is None else f"{last['value']} {s['unit']} at {last['at'].isoformat()}"
        stale = "" if not s["stale"] else f"stale since {s['stale_since'].isoformat()}"
        active = "yes" if s["active"] else "no"
        rows.append([s["code"], s["location"], s["metric"], active, shown, stale])
    _table("sensors", ["code", "location", "metric", "active", "last reading", "silence"], rows)


@sensor_app.command("add")
def sensors_add(
    code: str,
    location: Annotated[str, typer.Option(help="The internal location it watches")],
    metric: Annotated[str, typer.Option(help="temperature or humidity")],
    name: Annotated[str | None, typer.Option(help="A display name")] = None,
    stale: StaleOption = None,
    org: OrgOption = None,
) -> None:
    """Register a sensor."""
    db, actor = org_session(org)
    minutes = None if stale is None else _stale_minutes(stale)
    with handled():
        s = sensors.create_sensor(
            db, actor, code=code, location=location, metric=metric, name=name, stale_minutes=minutes
        )
    console.print(
        f"sensor {escape(s['code'])} ({s['metric']}) at {escape(s['location'])}", highlight=False
    )


@sensor_app.command("update")
def sensors_update(
    code: str,
    location: Annotated[str | None, typer.Option(help="Move it here")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Switch it on or off")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A display name")] = None,
    stale: StaleOption = None,
    org: OrgOption = None,
) -> None:
    """Rename, move or switch a sensor off or on, or change how long it may stay silent."""
    db, actor = org_session(org)
    minutes = sensors.UNSET if stale is None else _stale_minutes(stale)
    with handled():
        s = sensors.update_sensor(
            db, actor, code, name=name, location=location, active=active, stale_minutes=minutes
        )
    state_ = "active" if s["active"] else "switched off"
    console.print(
        f"sensor {escape(s['code'])} at {escape(s['location'])}, {state_}", highlight=False
    )


@sensor_app.command("read")
def sensors_read(
    code: str,
    value: str,
    at: Annotated[str | None, typer.Option(help="When (ISO 8601 with zone; default now)")] = None,
    org: OrgOption = None,
) -> None:
    """Record one reading by hand (as a person who read a thermometer)."""
    db, actor = org_session(org)
    with handled():
        done = sensor_readings.post_readings(
            db,
            actor,
            [Reading(code, value, _moment(at, "at"))],
            raw_days=state.settings.sensor_raw_days,
        )
    console.print(
        f"stored {done['stored']}, duplicates {done['duplicates']}, late {done['late']}, "
        f"excursions started {done['excursions_started']}",
        highlight=False,
    )


@sensor_app.command("readings")
def sensors_readings(
    code: str,
    hourly: Annotated[bool, typer.Option(help="Per hour (count, min, avg, max) instead")] = False,
    since: Annotated[str | None, typer.Option(help="From (ISO 8601 with zone)")] = None,
    until: Annotated[str | None, typer.Option(help="Before (ISO 8601 with zone)")] = None,
    limit: Annotated[int, typer.Option(help="At most this many raw readings")] = 100,
    org: OrgOption = None,
) -> None:
    """A sensor's readings, newest first, or per hour."""
    db, actor = org_session(org)
    start, end = _moment(since, "since"), _moment(until, "until")
    with handled():
        if hourly:
            h = sensor_readings.hourly(db, actor, code, since=start, until=end)
            rows = [
                [x["hour"].isoformat(), x["count"], x["min"], x["avg"], x["max"]]
                for x in h["hours"]
            ]
            _table(
                f"{code} per hour ({h['unit']})", ["hour", "readings", "min", "avg", "max"], rows
            )
            return
        got = sensor_readings.history(db, actor, code, since=start, until=end, limit=limit)
    rows = [[r["at"].isoformat(), r["value"]] for r in got["readings"]]
    _table(f"{code} ({got['unit']})", ["at", "value"], rows)


@range_app.command("list")
def ranges_list(org: OrgOption = None) -> None:
    """Condition ranges."""
    db, actor = org_session(org)
    with handled():
        found = sensors.list_ranges(db, actor, limit=1000)
    rows = [
        [
            r["id"],
            r["location"] or f"item {r['sku']}",
            r["metric"],
            r["min"],
            r["max"],
            r["grace_minutes"],
            "yes" if r["active"] else "no",
        ]
        for r in found
    ]
    _table("condition ranges", ["id", "of", "metric", "min", "max", "grace (min)", "active"], rows)


@range_app.command("add")
def ranges_add(
    metric: Annotated[str, typer.Option(help="temperature or humidity")],
    location: Annotated[str | None, typer.Option(help="Of this location and below")] = None,
    sku: Annotated[str | None, typer.Option(help="Of this item, wherever it is")] = None,
    minimum: Annotated[str | None, typer.Option("--min", help="The lowest value allowed")] = None,
    maximum: Annotated[str | None, typer.Option("--max", help="The highest value allowed")] = None,
    grace: Annotated[int, typer.Option(help="Minutes outside before it is an excursion")] = 0,
    org: OrgOption = None,
) -> None:
    """Add the range a location's or an item's stock must be kept in."""
    db, actor = org_session(org)
    with handled():
        r = sensors.create_range(
            db,
            actor,
            metric=metric,
            location=location,
            sku=sku,
            minimum=None if minimum is None else number_arg(minimum, "min"),
            maximum=None if maximum is None else number_arg(maximum, "max"),
            grace_minutes=grace,
        )
    console.print(
        f"range {r['id']}: {r['metric']} of {escape(r['location'] or r['sku'])} from {r['min']} to "
        f"{r['max']} {r['unit']}, grace {r['grace_minutes']} min",
        highlight=False,
    )


@range_app.command("off")
def ranges_off(range_id: int, org: OrgOption = None) -> None:
    """Switch a range off (its open excursions end)."""
    db, actor = org_session(org)
    with handled():
        sensors.update_range(db, actor, range_id, active=False)
    console.print(f"range {range_id} switched off", highlight=False)


@app.command("excursions")
def excursions_list(
    open_only: Annotated[bool, typer.Option("--open", help="Only the open ones")] = False,
    sensor: Annotated[str | None, typer.Option(help="Of one sensor")] = None,
    org: OrgOption = None,
) -> None:
    """Excursions, newest first, with their lots."""
    db, actor = org_session(org)
    with handled():
        found = excursions.list_excursions(
            db, actor, open_only=open_only, sensor=sensor, limit=1000
        )
    if not found:
        console.print("no excursions")
        return
    for x in found:
        until = "open" if x["open"] else f"ended {x['ended_at'].isoformat()} ({x['end_reason']})"
        console.print(
            f"#{x['id']} {x['sensor']} at {x['location']}: {x['metric']} worst {x['worst']} "
            f"{x['unit']}, from {x['started_at'].isoformat()}, {until}",
            highlight=False,
            markup=False,
        )
        for lot in x["lots"]:
            hold = "on hold" if lot["on_hold"] else "released"
            console.print(
                f"  {lot['sku']} lot {lot['lot']}: {lot['quantity']} ({hold})",
                highlight=False,
                markup=False,
            )
        for u in x["unheld"]:
            console.print(
                f"  {u['sku']} (no lots, not held): {u['quantity']}", highlight=False, markup=False
            )


@gateway_app.command("list")
def gateways_list(org: OrgOption = None) -> None:
    """RFID readers and scanners."""
    db, actor = org_session(org)
    with handled():
        found = gateways.list_gateways(db, actor)
    rows = [
        [g["kind"], g["code"], g["user"], g["location"], "yes" if g["active"] else "no"]
        for g in found
    ]
    _table("gateways", ["kind", "code", "acts as", "location", "active"], rows)


@gateway_app.command("add")
def gateways_add(
    code: str,
    kind: Annotated[str, typer.Option(help="rfid or scanner")],
    user: Annotated[str, typer.Option(help="The user it acts as")],
    location: Annotated[str | None, typer.Option(help="Where an RFID reader reads")] = None,
    org: OrgOption = None,
) -> None:
    """Register a gateway."""
    db, actor = org_session(org)
    with handled():
        g = gateways.create_gateway(db, actor, code=code, kind=kind, user=user, location=location)
    console.print(
        f"{g['kind']} gateway {escape(g['code'])} acts as {escape(g['user'])}", highlight=False
    )


@mqtt_app.command("run")
def mqtt_run() -> None:
    """Take sensor readings and gateway reads from the broker of $ONHAND_MQTT_URL until
    interrupted (a worker beside `onhand serve`, or instead of its subscriber)."""
    settings = state.settings
    if not settings.mqtt_url:
        raise fail("set ONHAND_MQTT_URL (e.g. mqtt://127.0.0.1:1883) first", EXIT["invalid"])
    db = database()
    try:
        sub = mqtt_subscriber(db, settings)
    except ValueError as e:
        raise fail(str(e), EXIT["invalid"]) from None
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    sub.start()
    console.print("taking MQTT messages (Ctrl-C stops)", highlight=False)
    done.wait()
    sub.stop()
    db.dispose()
    console.print("stopped")
