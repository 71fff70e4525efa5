"""`onhand sensors`, `ranges`, `excursions`, `gateways` and `mqtt run` as a user runs them: real
processes, and for `mqtt run` the local MQTT broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from onhand.services import items, locations, lots, operators, postings, stale_sensors
from onhand.services.postings import MovementInput
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.e2e.test_cli import ok, onhand


def _setup(tmp_path: Path) -> tuple[list[str], str]:
    url = f"sqlite:///{tmp_path / 'cold.db'}"
    ok(
        onhand(
            "--database-url",
            url,
            "init",
            "--slug",
            "cold",
            "--password",
            "secret-pw1",
            cwd=tmp_path,
        )
    )
    db = Database(make_engine(url, sqlite_synchronous="NORMAL"))
    actor = operators.org_actor(db, "cold")
    items.create_items(db, actor, [items.ItemCreate(sku="MILK", name="Milk", tracking="lot")])
    for code, parent in (("WH1", None), ("COLD", "WH1"), ("DRY", "WH1")):
        locations.create_location(db, actor, code=code, parent=parent)
    postings.post_movements(
        db,
        actor,
        [
            MovementInput("MILK", "@supplier", "WH1/COLD", Decimal(4), lot="ROOM"),
            MovementInput("MILK", "@supplier", "WH1/DRY", Decimal(4), lot="DRY"),
        ],
    )
    db.dispose()
    return ["--database-url", url], url


def _held(url: str) -> set[str]:
    db = Database(make_engine(url, sqlite_synchronous="NORMAL"))
    try:
        actor = operators.org_actor(db, "cold")
        return {x["code"] for x in lots.list_lots(db, actor) if x["on_hold"]}
    finally:
        db.dispose()


def _check_stale(url: str, now: datetime) -> None:
    db = Database(make_engine(url, sqlite_synchronous="NORMAL"))
    try:
        stale_sensors.check_stale(db, default_minutes=0, now=now)
    finally:
        db.dispose()


def test_sensors_ranges_and_an_excursion_from_the_command_line(tmp_path: Path) -> None:
    db, url = _setup(tmp_path)
    ok(
        onhand(
            *db,
            "sensors",
            "add",
            "T1",
            "--location",
            "WH1/COLD",
            "--metric",
            "temperature",
            cwd=tmp_path,
        )
    )
    out = ok(onhand(*db, "ranges", "add", "--metric", "temperature", "--location", "WH1/COLD",
                    "--min", "2", "--max", "8", "--grace", "10", cwd=tmp_path))  # fmt: skip
    assert "from 2 to 8 °C, grace 10 min" in out
    # On the hour, an hour ago: both readings fall in one hour whatever the minute now.
    base = (datetime.now(UTC) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    for minutes, value in ((0, "9"), (12, "9.5")):
        at = (base + timedelta(minutes=minutes)).isoformat()
        ok(onhand(*db, "sensors", "read", "T1", value, "--at", at, cwd=tmp_path))
    assert _held(url) == {"ROOM"}
    out = ok(onhand(*db, "excursions", "--open", cwd=tmp_path))
    assert "T1 at WH1/COLD" in out
    assert "MILK lot ROOM: 4 (on hold)" in out
    out = ok(onhand(*db, "sensors", "readings", "T1", "--hourly", cwd=tmp_path))
    assert "9.25" in out  # the average of the hour's two readings
    bad = onhand(
        *db, "sensors", "add", "T2", "--location", "WH1", "--metric", "pressure", cwd=tmp_path
    )
    assert bad.returncode == 2
    assert "metric must be one of" in bad.stderr
    assert "Traceback" not in bad.stderr
    # How long a sensor may stay silent: its own, back to the default, or refused.
    ok(onhand(*db, "sensors", "update", "T1", "--stale-minutes", "30", cwd=tmp_path))
    assert "stale since" not in ok(onhand(*db, "sensors", "list", cwd=tmp_path))
    _check_stale(url, datetime.now(UTC) + timedelta(hours=2))  # the event pump's check
    assert "stale since" in ok(onhand(*db, "sensors", "list", cwd=tmp_path))
    for bad_minutes, says in (("soon", "whole number of minutes"), ("-5", "stale_minutes must")):
        bad = onhand(*db, "sensors", "update", "T1", "--stale-minutes", bad_minutes, cwd=tmp_path)
        assert (bad.returncode, "Traceback" in bad.stderr) == (2, False)
        assert says in bad.stderr
    ok(onhand(*db, "sensors", "update", "T1", "--stale-minutes", "default", cwd=tmp_path))


def test_mqtt_run_takes_readings_until_it_is_stopped(tmp_path: Path, mqtt_url: str) -> None:
    db, _ = _setup(tmp_path)
    ok(
        onhand(
            *db,
            "sensors",
            "add",
            "T1",
            "--location",
            "WH1/DRY",
            "--metric",
            "temperature",
            cwd=tmp_path,
        )
    )
    missing = onhand(*db, "mqtt", "run", cwd=tmp_path)
    assert missing.returncode == 2
    assert "ONHAND_MQTT_URL" in missing.stderr
    prefix = f"onhand-cli-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "ONHAND_DATABASE_URL"} | {
        "ONHAND_MQTT_URL": mqtt_url,
        "ONHAND_MQTT_TOPIC_PREFIX": prefix,
        "ONHAND_MQTT_GROUP": prefix,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "onhand.cli", *db, "mqtt", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "taking MQTT messages" in proc.stdout.readline()
        host, port = mqtt_url.removeprefix("mqtt://").split(":")
        client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        client.connect(host, int(port))
        client.loop_start()
        found = ""
        deadline = time.monotonic() + 60
        # Published again until it lands: the worker subscribes just after it says it started.
        while "4.5" not in found and time.monotonic() < deadline:
            at = datetime.now(UTC).replace(microsecond=0).isoformat()
            body = json.dumps({"value": 4.5, "at": at})
            client.publish(f"{prefix}/cold/sensors/T1", body, qos=1).wait_for_publish(30)
            time.sleep(0.5)
            found = ok(onhand(*db, "sensors", "list", cwd=tmp_path))
        client.disconnect()
        client.loop_stop()
        assert "4.5 °C" in found
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err
