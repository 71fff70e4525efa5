"""Sensor readings ingested per second over MQTT, against the same readings put in directly
through the service in the same run.

100 temperature sensors in the bins of a cold room with a 2-8 °C range (so every reading runs
through the excursion watch) and lots in stock; every reading is inside the range. Measured:
- the service, one reading per call (a transaction each: the floor of one message at a time);
- the service, batches of 500 (what the subscriber does with the messages waiting);
- MQTT: one message per reading (QoS 1) published to the local broker as fast as it takes
  them (at most 600 ahead of the store: the broker drops what passes its queue), taken by an
  `onhand mqtt run` worker process; timed from the first publish until the last reading is
  stored.

    python bench/mqtt_ingest.py [--readings 3000] [--rounds 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from common import machine, median, open_db, print_table, save_json, sqlite_url
from onhand.services import accounts, items, locations, postings, sensor_readings, sensors
from onhand.services.postings import MovementInput
from onhand.services.sensor_readings import Reading
from onhand.store import tables
from onhand.store.unit_of_work import Database

BROKER = ("127.0.0.1", 1883)  # the local broker only
SENSORS = 100
SLUG = "iot"
BACKLOG = 600


def build(db: Database) -> int:
    """The organisation, its cold room, sensors, range and stock; its id."""
    new = accounts.create_organisation(
        db, name="Iot Co", slug=SLUG, admin_username="iot", admin_password="iot-password"
    )
    actor = accounts.authenticate(db, new.token)
    specs = [{"code": "WH1", "parent": None}, {"code": "COLD", "parent": "WH1"}]
    specs += [{"code": f"B{n:03d}", "parent": "WH1/COLD"} for n in range(SENSORS)]
    locations.create_locations(
        db, actor, [{"name": None, "kind": "internal", "allow_negative": False} | s for s in specs]
    )
    items.create_items(
        db, actor, [items.ItemCreate(sku="MILK", name="Milk", tracking="lot", uom="l")]
    )
    postings.post_movements(
        db,
        actor,
        [
            MovementInput("MILK", "@supplier", f"WH1/COLD/B{n:03d}", Decimal(10), lot=f"L{n}")
            for n in range(SENSORS)
        ],
    )
    for n in range(SENSORS):
        sensors.create_sensor(
            db, actor, code=f"T{n:03d}", location=f"WH1/COLD/B{n:03d}", metric="temperature"
        )
    sensors.create_range(
        db,
        actor,
        metric="temperature",
        location="WH1/COLD",
        minimum=Decimal(2),
        maximum=Decimal(8),
        grace_minutes=30,
    )
    return new.org_id


class Clock:
    """Reading times that never repeat: each round's readings are new ones."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC) - timedelta(days=1)

    def next(self) -> datetime:
        self.at += timedelta(milliseconds=10)
        return self.at


def readings(clock: Clock, n: int) -> list[Reading]:
    return [Reading(f"T{i % SENSORS:03d}", "4.5", clock.next()) for i in range(n)]


def stored(db: Database) -> int:
    with db.reading() as uow:
        q = select(func.count()).select_from(tables.sensor_readings)
        return int(uow.conn.scalar(q) or 0)


def rate(n: int, run: Callable[[], None]) -> float:
    t = time.perf_counter()
    run()
    return n / (time.perf_counter() - t)


def start_worker(url: str, prefix: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "ONHAND_DATABASE_URL": url,
        "ONHAND_MQTT_URL": f"mqtt://{BROKER[0]}:{BROKER[1]}",
        "ONHAND_MQTT_TOPIC_PREFIX": prefix,
        "ONHAND_MQTT_GROUP": prefix,
    }
    argv = [sys.executable, "-m", "onhand.cli", "mqtt", "run"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()  # "taking MQTT messages ...": subscribed right after
    time.sleep(2)  # the subscription itself
    return proc


def publisher() -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(*BROKER)
    client.loop_start()
    return client


def over_mqtt(db: Database, client: paho.Client, prefix: str, batch: list[Reading]) -> float:
    """Readings per second from the first publish until the last one is stored. The publisher
    keeps at most BACKLOG readings ahead of the store: Mosquitto queues up to 1,000 messages
    for a subscriber (max_queued_messages) and drops the rest."""
    start = stored(db)
    t = time.perf_counter()
    last = None
    for n, r in enumerate(batch):
        if n % 100 == 0:
            while n - (stored(db) - start) > BACKLOG:
                time.sleep(0.01)
        body = json.dumps({"value": 4.5, "at": r.at.isoformat() if r.at else None})
        last = client.publish(f"{prefix}/{SLUG}/sensors/{r.sensor}", body, qos=1)
    assert last is not None
    last.wait_for_publish(120)
    deadline = time.monotonic() + 600
    while stored(db) < start + len(batch):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not store every reading in 10 minutes")
        time.sleep(0.02)
    return len(batch) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--readings", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    n, rounds = args.readings, args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or sqlite_url(Path(tmp) / "iot.db")
        db = open_db(url)
        org = build(db)
        clock = Clock()
        single = n // 5  # a transaction each: fewer, or the run takes long

        def one_by_one() -> None:
            for r in readings(clock, single):
                sensor_readings.ingest(db, org, [r], raw_days=30, partial=True)

        def batched() -> None:
            batch = readings(clock, n)
            for i in range(0, n, 500):
                sensor_readings.ingest(db, org, batch[i : i + 500], raw_days=30, partial=True)

        got: dict[str, list[float]] = {
            "service, one reading per call": [],
            "service, batches of 500 (baseline)": [],
            "MQTT, one message per reading, QoS 1": [],
        }
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        worker = start_worker(url, prefix)
        client = publisher()
        try:
            for _ in range(rounds):
                got["service, one reading per call"].append(rate(single, one_by_one))
                got["service, batches of 500 (baseline)"].append(rate(n, batched))
                batch = readings(clock, n)
                got["MQTT, one message per reading, QoS 1"].append(
                    over_mqtt(db, client, prefix, batch)
                )
        finally:
            client.disconnect()
            client.loop_stop()
            worker.terminate()
            worker.wait(30)
            db.dispose()
    medians = {k: median(v) for k, v in got.items()}
    base = medians["service, batches of 500 (baseline)"]
    kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print_table(
        f"Sensor readings ingested per second ({n:,} per round, {SENSORS} sensors, "
        f"median of {rounds}, {kind})",
        ["how", "readings/s", "of the baseline"],
        [[k, round(v), f"{v / base:.0%}"] for k, v in medians.items()],
    )
    save_json("mqtt_ingest.json", {"machine": machine(), "readings": n, "rounds": got})


if __name__ == "__main__":
    main()
