"""IoT over a real MQTT broker (the local Mosquitto) and over HTTP, against an `onhand serve`
process subscribed to it, on SQLite and PostgreSQL: readings ingested both ways, an excursion
that puts the right lots on hold and its recovery, bad payloads counted with their reasons,
and RFID and scanner gateways answered on their result topics.

Each server gets a topic prefix of its own, so test runs sharing the broker never meet."""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from onhand.domain.epc import encode_sgtin96
from onhand.services import stale_sensors
from onhand.store import iot
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database
from tests.conftest import pg_schema
from tests.e2e.conftest import Api, Tenant, assert_problem, launch, stop

T = TypeVar("T")
GTIN = "80614141123458"
WAIT = 60.0  # seconds a broker round trip may take on a loaded machine


@dataclass
class IotApi(Api):
    """A server subscribed to the broker, and its topic prefix."""

    prefix: str = ""


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mqtt_url: str
) -> Iterator[IotApi]:
    """A server subscribed to the broker under a topic prefix of its own."""
    work = tmp_path_factory.mktemp(f"iot-{request.param}")
    prefix = f"onhand-test-{uuid.uuid4().hex[:10]}"
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{work / 'onhand.db'}"
        else:
            url = stack.enter_context(pg_schema("iot"))
        engine = make_engine(url, sqlite_synchronous="NORMAL")
        upgrade(engine)
        db = Database(engine)
        log = work / "server.log"
        env = {
            "ONHAND_MQTT_URL": mqtt_url,
            "ONHAND_MQTT_TOPIC_PREFIX": prefix,
            "ONHAND_MQTT_GROUP": prefix,
        }
        proc, served = launch(url, log, env)
        try:
            yield IotApi(
                url=served, backend=request.param, db=db, log=log, process=proc, prefix=prefix
            )
        finally:
            stop(proc)
            db.dispose()


@pytest.fixture(scope="module")
def prefix(api: IotApi) -> str:
    """The topics' first level of this module's server."""
    return api.prefix


class Broker:
    """A test's own connection to the broker: publish, and collect what comes back."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.client.on_message = lambda _c, _u, m: self.inbox.put((m.topic, bytes(m.payload)))
        self.client.connect(host, int(port))
        self.client.loop_start()

    def publish(self, topic: str, payload: Any) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.client.publish(topic, body, qos=1).wait_for_publish(WAIT)

    def subscribe(self, topic: str) -> None:
        done = queue.Queue[int]()
        self.client.on_subscribe = lambda *_a: done.put(1)
        self.client.subscribe(topic, qos=1)
        done.get(timeout=WAIT)

    def answer(self) -> dict[str, Any]:
        _topic, body = self.inbox.get(timeout=WAIT)
        return dict(json.loads(body))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def broker(mqtt_url: str) -> Iterator[Broker]:
    b = Broker(mqtt_url)
    yield b
    b.close()


def eventually(probe: Callable[[], T | None], what: str) -> T:
    """Ask until ``probe`` answers (the subscriber works in the background)."""
    deadline = time.monotonic() + WAIT
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.1)


def slug_of(t: Tenant) -> str:
    with t.db.reading() as uow:
        return iot.org_slug(uow.conn, t.org.org_id)


@pytest.fixture
def cold(tenant: Tenant, prefix: str) -> Tenant:
    """A cold room (2-8 °C, 10 minutes' grace) and a dry store, with a sensor each, milk lots
    in both and in WH2, and a subscriber that is connected."""
    for path in ("WH1", "WH1/COLD", "WH1/COLD/A", "WH1/DRY", "WH2"):
        parent, _, code = path.rpartition("/")
        tenant.location(code, parent or None)
    tenant.item("MILK", tracking="lot")
    tenant.item("BOLT")
    tenant.move("MILK", "@supplier", "WH1/COLD/A", "10", lot="M-ROOM")
    tenant.move("MILK", "@supplier", "WH1/DRY", "3", lot="M-DRY")
    tenant.move("MILK", "@supplier", "WH2", "7", lot="M-WH2")
    tenant.move("BOLT", "@supplier", "WH1/COLD/A", "50")
    for code, path in (("T-ROOM", "WH1/COLD"), ("T-DRY", "WH1/DRY")):
        r = tenant.http.post(
            "/sensors", json={"code": code, "location": path, "metric": "temperature"}
        )
        assert r.status_code == 201, r.text
    r = tenant.http.post(
        "/condition-ranges",
        json={
            "metric": "temperature",
            "location": "WH1/COLD",
            "min": "2",
            "max": "8",
            "grace_minutes": 10,
        },
    )
    assert r.status_code == 201, r.text
    eventually(lambda: tenant.http.get("/mqtt/status").json()["connected"], "connected")
    return tenant


def stamp(minutes: float, base: datetime) -> str:
    return (base + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def readings_of(t: Tenant, sensor: str) -> list[tuple[str, str]]:
    r = t.http.get(f"/sensors/{sensor}/readings")
    assert r.status_code == 200, r.text
    return [(x["at"], x["value"]) for x in r.json()["readings"]]


def held(t: Tenant) -> set[str]:
    return {f"{x['sku']}/{x['code']}" for x in t.http.get("/lots").json() if x["on_hold"]}


def test_readings_arrive_over_mqtt_and_http_once_each(
    cold: Tenant, broker: Broker, prefix: str
) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    topic = f"{prefix}/{slug_of(cold)}/sensors/T-ROOM"
    broker.publish(topic, {"value": 4.2, "at": stamp(0, base)})
    broker.publish(
        topic, [{"value": "4.3", "at": stamp(1, base)}, {"value": 4.4, "at": stamp(2, base)}]
    )
    broker.publish(topic, {"value": 4.2, "at": stamp(0, base)})  # a repeat (QoS 1 redelivery)
    eventually(lambda: len(readings_of(cold, "T-ROOM")) == 3, "three readings stored")
    # Over HTTP: one new, one repeat of an MQTT reading.
    r = cold.http.post(
        "/sensor-readings",
        json={
            "readings": [
                {"sensor": "T-ROOM", "value": 4.5, "at": stamp(3, base)},
                {"sensor": "T-ROOM", "value": "4.2", "at": stamp(0, base)},
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["stored"], r.json()["duplicates"]) == (1, 1)
    assert [v for _, v in readings_of(cold, "T-ROOM")] == ["4.5", "4.4", "4.3", "4.2"]
    status = eventually(
        lambda: (s := cold.http.get("/mqtt/status").json())["counts"].get("duplicates") and s,
        "the repeat counted",
    )
    assert status["counts"]["stored"] == 3
    sensor = cold.http.get("/sensors/T-ROOM").json()
    assert sensor["last_reading"]["value"] == "4.5"
    hourly = cold.http.get("/sensors/T-ROOM/hourly").json()["hours"]
    assert sum(h["count"] for h in hourly) == 4


def test_an_excursion_over_mqtt_holds_the_rooms_lots_until_someone_releases_them(
    cold: Tenant, broker: Broker, prefix: str
) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    topic = f"{prefix}/{slug_of(cold)}/sensors/T-ROOM"
    for minute, value in ((0, 5.0), (1, 9.5), (5, 10.0), (9, 9.0)):  # 8 minutes outside
        broker.publish(topic, {"value": value, "at": stamp(minute, base)})
    eventually(lambda: len(readings_of(cold, "T-ROOM")) == 4, "the blip stored")
    assert held(cold) == set()
    broker.publish(topic, {"value": 9.2, "at": stamp(12, base)})  # 11 minutes: an excursion
    eventually(lambda: held(cold) == {"MILK/M-ROOM"}, "the room's milk on hold")
    [x] = cold.http.get("/excursions", params={"open": "true"}).json()
    assert (x["sensor"], x["worst"], [lot["lot"] for lot in x["lots"]]) == (
        "T-ROOM",
        "10",
        ["M-ROOM"],
    )
    assert x["unheld"] == [{"sku": "BOLT", "tracking": "none", "quantity": "50"}]
    types = [
        e["type"]
        for e in cold.http.get("/events", params={"type": ["sensor.*", "lot.*"]}).json()["events"]
    ]
    assert types == ["lot.on_hold", "sensor.excursion"]
    shown = cold.http.get("/exceptions", params={"kind": "sensor_excursion"}).json()
    assert [(s["severity"], s["location"]) for s in shown] == [("critical", "WH1/COLD")]

    broker.publish(topic, {"value": 6.0, "at": stamp(20, base)})
    eventually(
        lambda: not cold.http.get("/excursions", params={"open": "true"}).json(), "recovered"
    )
    assert held(cold) == {"MILK/M-ROOM"}  # until a person releases it
    r = cold.http.patch("/items/MILK/lots/M-ROOM", json={"on_hold": False})
    assert r.status_code == 200, r.text
    types = [
        e["type"]
        for e in cold.http.get("/events", params={"type": ["sensor.*", "lot.*"]}).json()["events"]
    ]
    assert types == ["lot.on_hold", "sensor.excursion", "sensor.recovered", "lot.released"]


def test_bad_messages_are_counted_with_their_reasons_and_the_subscriber_goes_on(
    cold: Tenant, other: Tenant, broker: Broker, prefix: str
) -> None:
    slug = slug_of(cold)
    base = f"{prefix}/{slug}/sensors"
    broker.publish(f"{base}/T-ROOM", b"{not json")
    broker.publish(f"{base}/T-ROOM", {"value": "warm"})
    broker.publish(f"{base}/T-ROOM", {"value": -127})
    broker.publish(f"{base}/T-ROOM", {"value": 4, "at": "yesterday"})
    broker.publish(f"{base}/T-ROOM", {"value": 4, "colour": "red"})
    broker.publish(f"{base}/NOBODY", {"value": 4})
    broker.publish(f"{prefix}/{slug}/sensors/bad code!", {"value": 4})
    broker.publish(f"{base}/T-ROOM", {"value": 5.5})  # and a good one after them all
    eventually(lambda: readings_of(cold, "T-ROOM"), "the good reading stored")
    status = eventually(
        lambda: (s := cold.http.get("/mqtt/status").json())["counts"].get("refused", 0) >= 6 and s,
        "the refusals counted",
    )
    counts = status["counts"]
    for code in (
        "payload_not_json",
        "invalid_reading_value",
        "implausible_reading",
        "invalid_reading_time",
        "bad_payload",
        "sensor_not_registered",
    ):
        assert counts[f"refused:{code}"] == 1, (code, counts)
    assert {p["code"] for p in status["recent_problems"]} >= {
        "payload_not_json",
        "sensor_not_registered",
    }
    assert all(p["reason"] for p in status["recent_problems"])
    # Another organisation sees none of it.
    assert other.http.get("/mqtt/status").json()["counts"] == {}
    # Readings of another organisation's topic never land here, even for a sensor of that code:
    # once the other organisation's subscriber counts it (refused there: it has no such sensor),
    # this one's readings are still the one.
    broker.publish(f"{prefix}/{slug_of(other)}/sensors/T-ROOM", {"value": 30})
    eventually(
        lambda: (
            other.http.get("/mqtt/status").json()["counts"].get("refused:sensor_not_registered")
        ),
        "the other organisation's message taken",
    )
    r = cold.http.get("/sensors/T-ROOM/readings").json()["readings"]
    assert [x["value"] for x in r] == ["5.5"]


def test_one_bad_time_in_a_list_refuses_that_reading_alone(
    cold: Tenant, broker: Broker, prefix: str
) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    topic = f"{prefix}/{slug_of(cold)}/sensors/T-ROOM"
    # A time that is valid ISO 8601 but before the year 1 once in UTC, and one that is no time.
    broker.publish(
        topic,
        [{"value": 4, "at": "0001-01-01T00:00:00+01:00"}, {"value": 5.1, "at": stamp(0, base)}],
    )
    broker.publish(topic, [{"value": 4, "at": "yesterday"}, {"value": 5.2, "at": stamp(1, base)}])
    broker.publish(topic, {"value": 5.3, "at": stamp(2, base)})
    eventually(lambda: len(readings_of(cold, "T-ROOM")) == 3, "the good readings stored")
    assert [v for _, v in readings_of(cold, "T-ROOM")] == ["5.3", "5.2", "5.1"]
    counts = eventually(
        lambda: (c := cold.http.get("/mqtt/status").json()["counts"]).get("stored") == 3 and c,
        "the readings counted",
    )
    assert counts["refused:invalid_reading_time"] == 2
    assert "failed" not in counts


def test_an_rfid_read_over_mqtt_is_reconciled_and_answered(
    cold: Tenant, broker: Broker, prefix: str
) -> None:
    cold.item("CAM", tracking="serial", barcodes=[GTIN])
    for serial in ("1", "2"):
        cold.move("CAM", "@supplier", "WH1/DRY", "1", serial=serial)
    clerk = cold.user("clerk")
    r = cold.http.post(
        "/gateways",
        json={"code": "DOCK-1", "kind": "rfid", "user": clerk.username, "location": "WH1/DRY"},
    )
    assert r.status_code == 201, r.text
    # A clerk may not register gateways (they act with a user's rights).
    assert_problem(
        clerk.http.post("/gateways", json={"code": "X", "kind": "rfid", "user": clerk.username}),
        403,
        "permission_denied",
    )
    topic = f"{prefix}/{slug_of(cold)}/rfid/DOCK-1"
    broker.subscribe(f"{topic}/result")
    before = cold.fingerprint()
    broker.publish(topic, {"reads": [encode_sgtin96(GTIN, 1), encode_sgtin96(GTIN, 3)]})
    got = broker.answer()
    assert got["ok"] is True
    rec = got["reconciliation"]
    assert (rec["location"], [m["serial"] for m in rec["matched"]]) == ("WH1/DRY", ["1"])
    assert [m["serial"] for m in rec["missing"]] == ["2"]
    assert [u["serial"] for u in rec["unexpected"]] == ["3"]
    assert cold.fingerprint() == before  # a reconciliation posts nothing
    broker.publish(topic, {"reads": ["zz"]})
    bad = broker.answer()
    assert (bad["ok"], bad["code"]) == (False, "epc_invalid_hex")
    # A scanner resolves what it scanned.
    r = cold.http.post(
        "/gateways", json={"code": "GUN-7", "kind": "scanner", "user": clerk.username}
    )
    assert r.status_code == 201, r.text
    scans = f"{prefix}/{slug_of(cold)}/scans/GUN-7"
    broker.subscribe(f"{scans}/result")
    broker.publish(scans, {"code": "WH1/COLD/A"})
    got = broker.answer()
    assert (got["ok"], got["scan"]["kind"], got["scan"]["location"]["path"]) == (
        True,
        "location",
        "WH1/COLD/A",
    )
    # An unregistered reader is answered with why.
    broker.subscribe(f"{prefix}/{slug_of(cold)}/rfid/GHOST/result")
    broker.publish(f"{prefix}/{slug_of(cold)}/rfid/GHOST", {"reads": [encode_sgtin96(GTIN, 1)]})
    assert broker.answer()["code"] == "gateway_not_registered"


def test_a_sensor_allowed_a_silence_is_found_stale_and_a_reading_ends_it(cold: Tenant) -> None:
    http = cold.http
    r = http.patch("/sensors/T-ROOM", json={"stale_minutes": 15})
    assert r.status_code == 200, r.text
    assert (r.json()["stale_minutes"], r.json()["stale"], r.json()["stale_since"]) == (
        15,
        False,
        None,
    )
    base = datetime.now(UTC).replace(microsecond=0)
    r = http.post(
        "/sensor-readings",
        json={"readings": [{"sensor": "T-ROOM", "value": "5", "at": stamp(0, base)}]},
    )
    assert r.status_code == 200, r.text
    # The event pump's check, run here with a clock 20 minutes on (default: none).
    found = stale_sensors.check_stale(cold.db, default_minutes=0, now=base + timedelta(minutes=20))
    assert found["stale"] == 1
    sensor = http.get("/sensors/T-ROOM").json()
    assert sensor["stale"] is True
    assert [s["code"] for s in http.get("/sensors").json() if s["stale"]] == ["T-ROOM"]
    [shown] = http.get("/exceptions", params={"kind": "sensor_stale"}).json()
    assert (shown["severity"], shown["location"]) == ("high", "WH1/COLD")
    [raised] = http.get("/events", params={"type": "sensor.stale"}).json()["events"]
    assert raised["data"]["stale_minutes"] == 15
    r = http.post("/sensor-readings", json={"readings": [{"sensor": "T-ROOM", "value": "5"}]})
    assert r.status_code == 200, r.text
    assert http.get("/sensors/T-ROOM").json()["stale"] is False
    assert http.get("/exceptions", params={"kind": "sensor_stale"}).json() == []
    assert [
        e["type"] for e in http.get("/events", params={"type": "sensor.*"}).json()["events"]
    ] == [
        "sensor.stale",
        "sensor.resumed",
    ]
    r = http.patch("/sensors/T-ROOM", json={"stale_minutes": None})
    assert r.status_code == 200, r.text
    assert r.json()["stale_minutes"] is None  # the server's default again


def test_bad_sensor_and_range_requests_are_refused_and_change_nothing(cold: Tenant) -> None:
    before = cold.fingerprint()
    http = cold.http
    cases = [
        (http.post("/sensors", json={"code": "T-ROOM", "location": "WH1", "metric": "temperature"}), 409, "sensor_exists"),
        (http.post("/sensors", json={"code": "a b", "location": "WH1", "metric": "temperature"}), 422, "invalid_sensor_code"),
        (http.post("/sensors", json={"code": "X", "location": "@customer", "metric": "humidity"}), 422, "not_a_stock_location"),
        (http.post("/sensors", json={"code": "X", "location": "WH1", "metric": "pressure"}), 422, "validation_error"),
        (http.post("/condition-ranges", json={"metric": "temperature", "location": "WH1/DRY"}), 422, "range_needs_bound"),
        (http.post("/condition-ranges", json={"metric": "temperature", "location": "WH1/DRY", "sku": "MILK", "max": 5}), 422, "range_scope"),
        (http.post("/condition-ranges", json={"metric": "humidity", "sku": "MILK", "min": 70, "max": 60}), 422, "range_min_not_below_max"),
        (http.post("/condition-ranges", json={"metric": "humidity", "sku": "MILK", "max": "120"}), 422, "invalid_max"),
        (http.post("/condition-ranges", json={"metric": "temperature", "sku": "NOPE", "max": 5}), 404, "sku_not_found"),
        (http.post("/sensor-readings", json={"readings": [{"sensor": "T-ROOM", "value": 5}, {"sensor": "T-ROOM", "value": "NaN"}]}), 422, "invalid_reading_value"),
        (http.post("/sensor-readings", json={"readings": [{"sensor": "T-ROOM", "value": 5, "at": "2026-01-01T00:00:00"}]}), 422, "naive_datetime"),
        (http.get("/sensors/NOPE"), 404, "sensor_not_found"),
        (http.get("/sensors/T-ROOM/hourly", params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}), 422, "invalid_period"),
        (http.get("/excursions/999999"), 404, "excursion_not_found"),
        (http.post("/sensors", json={"code": "X", "location": "WH1", "metric": "humidity", "stale_minutes": -1}), 422, "validation_error"),
        (http.patch("/sensors/T-ROOM", json={"stale_minutes": 10081}), 422, "validation_error"),
        (http.patch("/sensors/T-ROOM", json={"stale_minutes": "soon"}), 422, "validation_error"),
    ]  # fmt: skip
    # A day before a time early in the year 1 is no 500.
    early = http.get("/sensors/T-ROOM/hourly", params={"until": "0001-01-01T05:00:00Z"})
    assert (early.status_code, early.json()["hours"]) == (200, [])
    for response, status, code in cases:
        assert_problem(response, status, code)
    assert cold.fingerprint() == before
