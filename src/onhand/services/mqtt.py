"""The MQTT subscriber: sensor readings and gateway reads from a broker, into the services.

Topics are ``<prefix>/<organisation slug>/sensors/<sensor code>`` (readings),
``.../rfid/<reader code>`` and ``.../scans/<scanner code>`` (gateway reads; the answer is
published on the topic + ``/result``). The broker's access rules are the boundary: a device
may publish only under its own organisation's topics (docs/iot.md shows an ACL); onhand then
takes only readings of sensors registered in that organisation.

The subscription is shared (``$share/<group>/...``), so each message goes to one of the
processes subscribed, however many serve. The network thread only queues messages; a worker
thread takes whatever is waiting (up to ``BATCH``) and ingests it in one transaction per
organisation, then acknowledges the messages (QoS 1): with a persistent session
(``ONHAND_MQTT_CLIENT_ID``) a crash before that means the broker delivers them again, and
readings that carry their ``at`` are stored once. A bad message is counted and logged with its
reason, never raised: the subscriber outlives any payload.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput, NotFound, OnhandError
from onhand.domain.iot import MAX_BATCH, gateway_payload, parse_time, parse_topic, sensor_payload
from onhand.services import gateways, sensor_readings
from onhand.services.common import utcnow
from onhand.services.sensor_readings import Reading
from onhand.store import iot
from onhand.store.unit_of_work import Database

log = logging.getLogger("onhand.mqtt")
BATCH = 2000  # messages per round of the worker
# How long the worker waits for more messages after the first of a round: a transaction per
# few dozen readings rather than one each, for a twentieth of a second's delay.
LINGER = 0.05
SESSION_SECONDS = 24 * 3600  # how long the broker keeps a named client's session
RECENT = 50  # problems kept per organisation for the status


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received: datetime


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def parse_url(url: str) -> BrokerUrl:
    """mqtt://[user[:password]@]host[:port] (mqtts:// for TLS, port 8883 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"the MQTT URL must be mqtt://host[:port] or mqtts://..., not {url!r}")
    tls = parts.scheme == "mqtts"
    return BrokerUrl(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def _org_of(topic: str) -> str:
    """The organisation level of a topic (prefix/<org>/...), or "?" when it has none."""
    parts = topic.split("/")
    return parts[1] if len(parts) > 2 else "?"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class Subscriber:
    """Subscribes to the readings and gateway topics and feeds them to the services."""

    def __init__(
        self,
        db: Database,
        url: str,
        *,
        raw_days: int,
        prefix: str = "onhand",
        group: str = "onhand",
        client_id: str | None = None,
    ) -> None:
        self._db, self._broker, self._raw_days = db, parse_url(url), raw_days
        self._prefix, self._group, self._client_id = prefix, group, client_id
        self._queue: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._client: paho.Client | None = None
        self._orgs: dict[str, int] = {}
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()
        self._problems: dict[str, deque[dict[str, Any]]] = {}
        self.connected = threading.Event()

    # The connection ----------------------------------------------------------------------

    def topics(self) -> list[str]:
        """The shared subscriptions: readings, RFID reads and scans of every organisation."""
        return [
            f"$share/{self._group}/{self._prefix}/+/{k}/+" for k in ("sensors", "rfid", "scans")
        ]

    def start(self) -> None:
        """Connect (retrying in the background until the broker answers) and start the worker."""
        if self._client is not None:
            return
        b = self._broker
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id or "",
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        if b.username:
            client.username_pw_set(b.username, b.password)
        if b.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(1, 30)
        props = None
        if self._client_id:  # a named client keeps its session (and unacknowledged messages)
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_SECONDS
        client.connect_async(
            b.host, b.port, keepalive=30, clean_start=not self._client_id, properties=props
        )
        self._client = client
        self._stop.clear()
        self._worker = threading.Thread(target=self._work, name="onhand-mqtt", daemon=True)
        self._worker.start()
        client.loop_start()

    def stop(self) -> None:
        """Disconnect and let the worker finish what it took."""
        self._stop.set()
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()
        if self._worker is not None:
            self._worker.join(timeout=10)
            self._worker = None
        self.connected.clear()

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        client.subscribe([(t, 1) for t in self.topics()])
        self.connected.set()
        log.info("MQTT subscriber connected to %s:%s", self._broker.host, self._broker.port)

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT connection lost (%s): reconnecting", reason)

    def _on_message(self, _c: Any, _u: Any, msg: paho.MQTTMessage) -> None:
        # The network thread only queues: the work (and the database) is the worker's.
        self._queue.put(Message(msg.topic, bytes(msg.payload), msg.mid, msg.qos, utcnow()))

    # The work ----------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                batch = [self._queue.get(timeout=0.5)]
            except queue.Empty:
                continue
            until = time.monotonic() + LINGER
            while len(batch) < BATCH:
                left = until - time.monotonic()
                try:
                    batch.append(
                        self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            try:
                self.process(batch)
            except Exception:  # the subscriber must outlive anything a round meets
                log.exception("MQTT: a batch of %d messages failed", len(batch))
                self._count("?", "failed", len(batch))
            finally:
                client = self._client
                for m in batch:
                    if client is not None and m.qos > 0:
                        client.ack(m.mid, m.qos)

    def process(self, batch: list[Message]) -> None:
        """Ingest a batch of messages: readings per organisation in one transaction each,
        gateway reads one by one with their answers published. What fails unexpectedly costs
        only its own message or organisation, never the rest of the batch."""
        readings: dict[str, list[tuple[Reading, str]]] = {}
        for m in batch:
            try:
                self._take(m, readings)
            except Exception:  # a payload nobody foresaw: logged, counted, the batch goes on
                log.exception("MQTT: the message on %s failed", m.topic[:300])
                self._count(_org_of(m.topic), "failed")
        for org, pairs in readings.items():
            try:
                self._ingest_org(org, pairs)
            except Exception:  # the database unreachable, say: this organisation's readings
                log.exception("MQTT: %d readings of %s failed", len(pairs), org[:64])
                self._count(org, "failed", len(pairs))

    def _take(self, m: Message, readings: dict[str, list[tuple[Reading, str]]]) -> None:
        """Answer a gateway's message, or add a sensor message's readings to ``readings``
        (each reading whose time is bad is refused alone, as a bad value is)."""
        try:
            topic = parse_topic(m.topic, self._prefix)
        except InvalidInput as e:
            self._problem("?", m.topic, e.code, e.message)
            return
        if topic.kind != "sensor":
            self._gateway(topic.org, topic.kind, topic.code, m)
            return
        try:
            got = sensor_payload(m.payload)
        except InvalidInput as e:
            self._problem(topic.org, m.topic, e.code, e.message)
            return
        for value, at in got:
            try:
                when = m.received if at is None else parse_time(at)
            except InvalidInput as e:
                self._problem(topic.org, m.topic, e.code, e.message)
                continue
            readings.setdefault(topic.org, []).append((Reading(topic.code, value, when), m.topic))

    def _ingest_org(self, org: str, pairs: list[tuple[Reading, str]]) -> None:
        org_id = self._org_id(org)
        if org_id is None:
            for _, t in pairs:
                self._problem(org, t, "unknown_organisation", f"no organisation {org[:64]!r}")
            return
        for i in range(0, len(pairs), MAX_BATCH):
            self._ingest(org, org_id, pairs[i : i + MAX_BATCH])

    def _ingest(self, org: str, org_id: int, pairs: list[tuple[Reading, str]]) -> None:
        done = sensor_readings.ingest(
            self._db, org_id, [r for r, _ in pairs], raw_days=self._raw_days, partial=True
        )
        self._count(org, "stored", done.stored)
        self._count(org, "duplicates", done.duplicates)
        self._count(org, "late", done.late)
        self._count(org, "excursions_started", done.excursions)
        for r in done.refused:
            self._problem(org, pairs[r["index"]][1], r["code"], r["reason"])

    def _gateway(self, org: str, kind: str, code: str, m: Message) -> None:
        answer: dict[str, Any]
        try:
            org_id = self._org_id(org)
            if org_id is None:
                raise NotFound(f"no organisation {org[:64]!r}", code="unknown_organisation")
            data = gateway_payload(m.payload, kind)
            answer = {"ok": True, **gateways.handle_read(self._db, org_id, kind, code, data)}
            self._count(org, f"{kind}_reads")
        except OnhandError as e:
            self._problem(org, m.topic, e.code, e.message)
            answer = {"ok": False, "code": e.code, "detail": e.message}
        except Exception:  # the device still gets an answer; the error is logged
            log.exception("MQTT: the %s read on %s failed", kind, m.topic[:300])
            self._count(org, "failed")
            answer = {"ok": False, "code": "failed", "detail": "the read could not be handled"}
        client = self._client
        if client is not None:
            body = json.dumps(answer, default=_plain, separators=(",", ":"))
            client.publish(f"{m.topic}/result", body, qos=1)

    def _org_id(self, slug: str) -> int | None:
        if slug not in self._orgs:
            with self._db.reading() as uow:
                row = iot.org_by_slug(uow.conn, slug)
            if row is None:
                return None
            self._orgs[slug] = int(row.id)
        return self._orgs[slug]

    # What it saw -------------------------------------------------------------------------

    def _count(self, org: str, what: str, n: int = 1) -> None:
        if n:
            with self._lock:
                self.counts[(org, what)] += n

    def _problem(self, org: str, topic: str, code: str, reason: str) -> None:
        with self._lock:
            self.counts[(org, "refused")] += 1
            self.counts[(org, f"refused:{code}")] += 1
            seen = self.counts[(org, f"refused:{code}")]
            self._problems.setdefault(org, deque(maxlen=RECENT)).append(
                {"at": utcnow(), "topic": topic[:300], "code": code, "reason": reason}
            )
        if seen == 1 or seen % 100 == 0:  # a device repeating its mistake does not flood the log
            log.warning("MQTT %s refused (%s, %d so far): %s", topic[:300], code, seen, reason)

    def status(self, org: str) -> dict[str, Any]:
        """What this process's subscriber saw of one organisation, and whether it is connected."""
        with self._lock:
            counts = {what: n for (o, what), n in self.counts.items() if o == org}
            problems = list(self._problems.get(org, ()))
        return {
            "enabled": True,
            "connected": self.connected.is_set(),
            "counts": counts,
            "recent_problems": problems[::-1],
        }


def status_for(db: Database, actor: Actor, subscriber: Subscriber | None) -> dict[str, Any]:
    """What this process's subscriber saw of the actor's organisation (``enabled`` false when
    this process runs none)."""
    actor.require(Permission.READ)
    if subscriber is None:
        return {"enabled": False, "connected": False, "counts": {}, "recent_problems": []}
    with db.reading() as uow:
        slug = iot.org_slug(uow.conn, actor.org_id)
    return subscriber.status(slug)
