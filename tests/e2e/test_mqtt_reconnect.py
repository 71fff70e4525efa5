"""The MQTT subscriber outlives its broker: a Mosquitto of the test's own (on a free port) is
stopped and started again, and the subscriber reconnects, subscribes again and takes the
readings published after it."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from onhand.services import locations, sensor_readings, sensors
from onhand.services.mqtt import Subscriber
from onhand.store import iot
from onhand.store.unit_of_work import Database
from tests.conftest import Org, free_port, make_org

T = TypeVar("T")
WAIT = 60.0  # seconds: the subscriber retries at most every 30


def eventually(probe: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + WAIT
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.1)


class Mosquitto:
    """A broker process of the test's own, on ``port``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen(
            [binary, "-p", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture
def broker() -> Iterator[Mosquitto]:
    if not (shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")):
        pytest.skip("no mosquitto binary to run a broker of the test's own")
    b = Mosquitto(free_port())
    b.start()
    yield b
    b.stop()


def publish(port: int, topic: str, body: dict[str, object]) -> None:
    """Connect, publish once with QoS 1 (retrying the connection while the broker starts)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    eventually(lambda: client.connect("127.0.0.1", port) == 0 or None, "the broker answers")
    client.loop_start()
    try:
        client.publish(topic, json.dumps(body), qos=1).wait_for_publish(WAIT)
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_subscriber_reconnects_after_the_broker_restarts_and_goes_on(
    sqlite_db: Database, broker: Mosquitto
) -> None:
    org: Org = make_org(sqlite_db)
    locations.create_location(sqlite_db, org.actor, code="WH1")
    sensors.create_sensor(sqlite_db, org.actor, code="T1", location="WH1", metric="temperature")
    with sqlite_db.reading() as uow:
        slug = iot.org_slug(uow.conn, org.org_id)
    prefix = f"onhand-re-{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}/{slug}/sensors/T1"
    sub = Subscriber(
        sqlite_db, f"mqtt://127.0.0.1:{broker.port}", raw_days=30, prefix=prefix, group=prefix
    )
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)

    def stored() -> list[str]:
        got = sensor_readings.history(sqlite_db, org.actor, "T1")["readings"]
        return [str(r["value"]) for r in got]

    sub.start()
    try:
        eventually(lambda: sub.connected.is_set(), "connected")
        publish(broker.port, topic, {"value": 4.1, "at": base.isoformat()})
        eventually(lambda: stored() == ["4.1"], "the first reading stored")
        broker.stop()
        eventually(lambda: not sub.connected.is_set(), "the loss noticed")
        broker.start()
        eventually(lambda: sub.connected.is_set(), "reconnected")
        publish(broker.port, topic, {"value": 4.2, "at": (base + timedelta(minutes=1)).isoformat()})
        eventually(lambda: stored() == ["4.2", "4.1"], "the reading after the restart stored")
        # Counted just after the commit that stored it: a moment later than stored() sees it.
        eventually(lambda: sub.status(slug)["counts"] == {"stored": 2}, "both readings counted")
    finally:
        sub.stop()
