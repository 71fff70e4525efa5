"""IoT on SQLite and PostgreSQL: sensor readings stored once per sensor and time, excursions
that put exactly the lots of the sensor's area on hold (not after a short blip, not elsewhere),
recovery that leaves them on hold, and the roll-up of old readings into hourly rows."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from onhand.domain.access import Actor, Role
from onhand.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from onhand.domain.iot import to_ms
from onhand.services import (
    events,
    exceptions,
    excursions,
    items,
    locations,
    lots,
    recalls,
    sensors,
)
from onhand.services import sensor_readings as readings
from onhand.services.exceptions import Filters
from onhand.services.sensor_readings import Reading
from onhand.store import tables
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.ledger_helpers import World, mv, post

RAW_DAYS = 30
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Site:
    db: Database
    actor: Actor

    def read(self, sensor: str, *pairs: tuple[float, str]) -> dict[str, Any]:
        """Post readings (minute after T0, value) of one sensor over the service."""
        batch = [Reading(sensor, v, at(m)) for m, v in pairs]
        return readings.post_readings(self.db, self.actor, batch, raw_days=RAW_DAYS)

    def held(self) -> set[str]:
        return {
            f"{x['sku']}/{x['code']}" for x in lots.list_lots(self.db, self.actor) if x["on_hold"]
        }

    def events(self, *types: str) -> list[dict[str, Any]]:
        return events.list_events(self.db, self.actor, types=types, limit=1000)["events"]


@pytest.fixture
def site(db: Database, org: Org) -> Site:
    return make_site(db, org)


def make_site(db: Database, org: Org) -> Site:
    """WH1 with a cold room (2-8 °C, 15 minutes' grace) holding a fridge with a sensor of its
    own, a dry store, and WH2's cold room; lots of milk everywhere, cheese already on hold,
    bolts (no lots) in the cold room."""
    actor = org.actor
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(sku="MILK", name="Milk", uom="l", precision=1, tracking="lot"),
            items.ItemCreate(sku="CHEESE", name="Cheese", uom="kg", precision=3, tracking="lot"),
            items.ItemCreate(sku="VAX", name="Vaccine", uom="ea", precision=0, tracking="lot"),
            items.ItemCreate(sku="BOLT", name="Bolt", uom="ea", precision=0, tracking="none"),
        ],
    )
    for path in ("WH1", "WH1/COLD", "WH1/COLD/A", "WH1/COLD/FRIDGE", "WH1/DRY", "WH2", "WH2/COLD"):
        parent, _, code = path.rpartition("/")
        locations.create_location(db, actor, code=code, parent=parent or None)
    w = World(db, actor)
    post(
        w,
        mv("MILK", "@supplier", "WH1/COLD/A", 10, lot="M-ROOM"),
        mv("MILK", "@supplier", "WH1/COLD/FRIDGE", 5, lot="M-FRIDGE"),
        mv("MILK", "@supplier", "WH1/DRY", 3, lot="M-DRY"),
        mv("MILK", "@supplier", "WH2/COLD", 7, lot="M-WH2"),
        mv("CHEESE", "@supplier", "WH1/COLD", "2.5", lot="C-HELD"),
        mv("VAX", "@supplier", "WH1/DRY", 20, lot="V-DRY"),
        mv("VAX", "@supplier", "WH2/COLD", 4, lot="V-WH2"),
        mv("BOLT", "@supplier", "WH1/COLD/A", 100),
    )
    lots.update_lot(db, actor, sku="CHEESE", code="C-HELD", on_hold=True)
    for code, path in (
        ("T-ROOM", "WH1/COLD"),
        ("T-FRIDGE", "WH1/COLD/FRIDGE"),
        ("T-DRY", "WH1/DRY"),
        ("T-WH2", "WH2/COLD"),
    ):
        sensors.create_sensor(db, actor, code=code, location=path, metric="temperature")
    sensors.create_sensor(db, actor, code="H-ROOM", location="WH1/COLD", metric="humidity")
    sensors.create_range(
        db,
        actor,
        metric="temperature",
        location="WH1/COLD",
        minimum=Decimal(2),
        maximum=Decimal(8),
        grace_minutes=15,
    )
    return Site(db, actor)


def test_an_excursion_past_the_grace_time_holds_exactly_the_lots_of_the_sensors_area(
    site: Site,
) -> None:
    # Outside from minute 1; at minute 14 that is 13 minutes: not yet an excursion.
    got = site.read("T-ROOM", (0, "5.0"), (1, "9.0"), (10, "9.5"), (14, "9.2"))
    assert got["excursions_started"] == 0
    assert site.held() == {"CHEESE/C-HELD"}
    # Minute 16: 15 minutes outside. The room's lots are held; the fridge has its own sensor,
    # the dry store and WH2 are elsewhere.
    got = site.read("T-ROOM", (16, "9.1"))
    assert got["excursions_started"] == 1
    assert site.held() == {"CHEESE/C-HELD", "MILK/M-ROOM"}

    [x] = excursions.list_excursions(site.db, site.actor, open_only=True)
    assert (x["sensor"], x["location"], x["open"], x["worst"]) == (
        "T-ROOM",
        "WH1/COLD",
        True,
        Decimal("9.5"),
    )
    assert x["started_at"] == at(1)
    assert x["detected_at"] == at(16)
    assert x["range"] == {"scope": "location", "sku": None, "min": 2, "max": 8, "grace_minutes": 15}
    assert {
        (lot["sku"], lot["lot"], lot["quantity"], lot["held_by_excursion"]) for lot in x["lots"]
    } == {
        ("MILK", "M-ROOM", Decimal(10), True),
        ("CHEESE", "C-HELD", Decimal("2.5"), False),
    }
    assert x["unheld"] == [{"sku": "BOLT", "tracking": "none", "quantity": Decimal(100)}]

    holds = [e for e in site.events("lot.on_hold") if e["data"].get("reason")]
    assert [(e["subject"]["id"], e["data"]["excursion"]) for e in holds] == [
        ("MILK/M-ROOM", x["id"])
    ]
    [raised] = site.events("sensor.excursion")
    assert raised["subject"] == {"type": "sensor", "id": "T-ROOM"}
    assert [h["lot"] for h in raised["data"]["held"]] == ["M-ROOM"]
    assert [h["lot"] for h in raised["data"]["already_on_hold"]] == ["C-HELD"]

    [shown] = exceptions.list_exceptions(site.db, site.actor, Filters(kinds=("sensor_excursion",)))
    assert (shown["severity"], shown["location"], shown["warehouse"]) == (
        "critical",
        "WH1/COLD",
        "WH1",
    )
    assert shown["figures"]["lots_on_hold"] == "2"
    assert "100 BOLT" in shown["message"]


def test_a_short_blip_outside_holds_nothing(site: Site) -> None:
    # Outside 1-10, back inside at 12, outside again from 13 to 27: never 15 minutes in a row.
    site.read("T-ROOM", (0, "5"), (1, "9"), (10, "9"), (12, "6"), (13, "9"), (20, "12"), (27, "9"))
    assert site.held() == {"CHEESE/C-HELD"}
    assert excursions.list_excursions(site.db, site.actor) == []
    assert site.events("sensor.*") == []
    # The same readings in another order are the same readings: a repeat changes nothing.
    again = site.read("T-ROOM", (27, "9"), (0, "5"))
    assert (again["stored"], again["duplicates"]) == (0, 2)
    # A reading below the minimum counts as outside too; a humidity sensor has no range here.
    site.read("T-ROOM", (40, "1.5"), (56, "1.9"))
    assert site.held() == {"CHEESE/C-HELD", "MILK/M-ROOM"}
    assert site.read("H-ROOM", (0, "99"), (300, "99"))["excursions_started"] == 0


def test_recovery_ends_the_excursion_and_the_lots_stay_on_hold_until_released(site: Site) -> None:
    site.read("T-ROOM", (0, "10"), (20, "11"))
    [x] = excursions.list_excursions(site.db, site.actor, open_only=True)
    site.read("T-ROOM", (30, "7.5"))
    assert excursions.list_excursions(site.db, site.actor, open_only=True) == []
    ended = excursions.get_excursion(site.db, site.actor, x["id"])
    assert (ended["ended_at"], ended["end_reason"]) == (at(30), "in_range")
    assert site.held() == {"CHEESE/C-HELD", "MILK/M-ROOM"}
    [recovered] = site.events("sensor.recovered")
    assert recovered["data"]["minutes_outside"] == 30
    assert sorted(recovered["data"]["lots_on_hold"]) == ["CHEESE/C-HELD", "MILK/M-ROOM"]

    [shown] = exceptions.list_exceptions(site.db, site.actor, Filters(kinds=("sensor_excursion",)))
    assert shown["severity"] == "high"
    # A person releases the milk: still listed for the bolts no hold could stop, with 1 lot.
    lots.update_lot(site.db, site.actor, sku="MILK", code="M-ROOM", on_hold=False)
    lots.update_lot(site.db, site.actor, sku="CHEESE", code="C-HELD", on_hold=False)
    [shown] = exceptions.list_exceptions(site.db, site.actor, Filters(kinds=("sensor_excursion",)))
    assert shown["figures"]["lots_on_hold"] == "0"
    assert [
        lot["on_hold"] for lot in excursions.get_excursion(site.db, site.actor, x["id"])["lots"]
    ] == [False, False]
    # A new excursion later is a new one.
    site.read("T-ROOM", (40, "9"), (60, "9"))
    assert len(excursions.list_excursions(site.db, site.actor)) == 2


def test_an_items_range_holds_that_item_wherever_a_sensor_finds_it_too_warm(site: Site) -> None:
    sensors.create_range(
        site.db, site.actor, metric="temperature", sku="VAX", minimum=Decimal(2), maximum=Decimal(8)
    )
    # The dry store has no range of its own: 12 °C is fine for the milk there, not the vaccine.
    got = site.read("T-DRY", (0, "12"))
    assert got["excursions_started"] == 1  # grace 0: the first reading outside
    assert site.held() == {"CHEESE/C-HELD", "VAX/V-DRY"}
    [x] = excursions.list_excursions(site.db, site.actor, sensor="T-DRY")
    assert x["range"]["sku"] == "VAX"
    assert [lot["lot"] for lot in x["lots"]] == ["V-DRY"]
    # WH2's cold room is fine: its vaccine is not touched.
    site.read("T-WH2", (0, "5"))
    assert "VAX/V-WH2" not in site.held()
    shown = exceptions.list_exceptions(
        site.db, site.actor, Filters(kinds=("sensor_excursion",), sku="VAX")
    )
    assert [s["sku"] for s in shown] == ["VAX"]


def test_changing_the_range_ends_its_excursion_and_watching_starts_over(site: Site) -> None:
    site.read("T-ROOM", (0, "10"), (20, "10"))
    [r] = sensors.list_ranges(site.db, site.actor)
    sensors.update_range(site.db, site.actor, r["id"], maximum=Decimal(12))
    [x] = excursions.list_excursions(site.db, site.actor)
    assert x["end_reason"] == "range_changed"
    site.read("T-ROOM", (21, "10"), (60, "11"))
    assert excursions.list_excursions(site.db, site.actor, open_only=True) == []
    with pytest.raises(InvalidInput) as e:
        sensors.update_range(site.db, site.actor, r["id"], minimum=Decimal(13))
    assert e.value.code == "range_min_not_below_max"
    with pytest.raises(Conflict):
        sensors.create_range(
            site.db, site.actor, metric="temperature", location="WH1/COLD", maximum=Decimal(5)
        )


def test_late_readings_are_kept_but_do_not_change_the_watch(site: Site) -> None:
    site.read("T-ROOM", (100, "5"))
    got = site.read("T-ROOM", (0, "20"), (50, "20"))
    assert (got["stored"], got["late"], got["excursions_started"]) == (2, 2, 0)
    history = readings.history(site.db, site.actor, "T-ROOM")["readings"]
    assert [r["at"] for r in history] == [at(100), at(50), at(0)]
    assert sensors.get_sensor(site.db, site.actor, "T-ROOM")["last_reading"] == {
        "at": at(100),
        "value": Decimal(5),
    }


@pytest.mark.parametrize(
    ("reading", "code"),
    [
        (Reading("NOPE", "5"), "sensor_not_registered"),
        (Reading("T-ROOM", "-127"), "implausible_reading"),
        (Reading("T-ROOM", "warm"), "invalid_reading_value"),
        (Reading("T-ROOM", "5", datetime.now(UTC) + timedelta(hours=1)), "reading_in_future"),
        (
            Reading("T-ROOM", "5", datetime.now(UTC) - timedelta(days=RAW_DAYS + 1)),
            "reading_too_old",
        ),
    ],
)
def test_a_batch_with_one_bad_reading_is_refused_whole(
    site: Site, reading: Reading, code: str
) -> None:
    good = Reading("T-ROOM", "4.5", at(0))
    with pytest.raises(InvalidInput) as e:
        readings.post_readings(site.db, site.actor, [good, reading], raw_days=RAW_DAYS)
    assert e.value.code == code
    assert "reading 2" in e.value.message
    assert readings.history(site.db, site.actor, "T-ROOM")["readings"] == []
    # Over MQTT (partial) the good one is kept and the bad one listed with its reason.
    done = readings.ingest(
        site.db, site.actor.org_id, [good, reading], raw_days=RAW_DAYS, partial=True
    )
    assert done.stored == 1
    assert [(r["index"], r["code"]) for r in done.refused] == [(1, code)]


def test_values_are_kept_to_a_thousandth(site: Site) -> None:
    site.read("T-ROOM", (0, "4.12345"), (1, "4.1235"), (2, "-3"))
    values = [r["value"] for r in readings.history(site.db, site.actor, "T-ROOM")["readings"]]
    assert values == [Decimal(-3), Decimal("4.124"), Decimal("4.123")]


def _raw_count(db: Database) -> int:
    with db.reading() as uow:
        return int(uow.conn.scalar(select(func.count()).select_from(tables.sensor_readings)) or 0)


def test_old_readings_are_rolled_up_per_hour_and_the_hourly_view_is_unchanged(site: Site) -> None:
    # Four hours of readings every 10 minutes, values 0..23 degrees (one per reading).
    start = T0.replace(minute=0, second=0) - timedelta(hours=4)
    batch = [Reading("T-DRY", str(n), start + timedelta(minutes=10 * n)) for n in range(24)]
    readings.post_readings(site.db, site.actor, batch, raw_days=RAW_DAYS)
    window = {"since": start, "until": start + timedelta(hours=4)}
    before = readings.hourly(site.db, site.actor, "T-DRY", **window)["hours"]
    assert [(h["count"], h["min"], h["avg"], h["max"]) for h in before] == [
        (6, Decimal(6 * i), Decimal(6 * i) + Decimal("2.5"), Decimal(6 * i + 5)) for i in range(4)
    ]
    # "Now" is RAW_DAYS later plus 2 hours and a half: the first two hours are past the cutoff
    # (the last whole hour that many days ago).
    now = start + timedelta(days=RAW_DAYS, hours=2, minutes=30)
    done = readings.roll_up(site.db, raw_days=RAW_DAYS, rollup_days=0, now=now)
    assert done["readings"] == 12
    assert done["sensors"] == 1
    assert _raw_count(site.db) == 12
    after = readings.hourly(site.db, site.actor, "T-DRY", **window)["hours"]
    assert after == before
    assert [r["value"] for r in readings.history(site.db, site.actor, "T-DRY")["readings"]][
        -1
    ] == 12
    # Again: nothing left to do, nothing counted twice.
    assert readings.roll_up(site.db, raw_days=RAW_DAYS, rollup_days=0, now=now)["readings"] == 0
    assert readings.hourly(site.db, site.actor, "T-DRY", **window)["hours"] == before
    # Roll-ups older than their retention go.
    later = now + timedelta(days=400)
    pruned = readings.roll_up(site.db, raw_days=RAW_DAYS, rollup_days=365, now=later)
    assert pruned["readings"] == 12
    assert pruned["rollups_pruned"] == 4
    assert readings.hourly(site.db, site.actor, "T-DRY", **window)["hours"] == []


def test_a_sensor_switched_off_ends_its_excursion_and_takes_no_readings(site: Site) -> None:
    site.read("T-ROOM", (0, "10"), (20, "10"))
    sensors.update_sensor(site.db, site.actor, "T-ROOM", active=False)
    [x] = excursions.list_excursions(site.db, site.actor)
    assert x["end_reason"] == "sensor_changed"
    with pytest.raises(InvalidInput) as e:
        site.read("T-ROOM", (30, "5"))
    assert e.value.code == "sensor_inactive"
    raised = site.events("sensor.recovered")
    assert json.dumps(raised[0]["data"]["reason"]) == '"sensor_changed"'


def test_lists_refuse_an_unknown_metric_or_a_limit_out_of_bounds_before_looking(
    site: Site,
) -> None:
    for call in (
        lambda: sensors.list_sensors(site.db, site.actor, metric="pressure"),
        lambda: sensors.list_ranges(site.db, site.actor, metric="pressure"),
    ):
        with pytest.raises(InvalidInput) as e:
            call()
        assert e.value.code == "invalid_metric"
    for call in (
        lambda: sensors.list_sensors(site.db, site.actor, limit=0),
        lambda: sensors.list_ranges(site.db, site.actor, limit=1001),
        lambda: readings.history(site.db, site.actor, "T-ROOM", limit=0),
        lambda: excursions.list_excursions(site.db, site.actor, limit=0),
    ):
        with pytest.raises(InvalidInput) as e:
            call()
        assert e.value.code == "invalid_limit"


def test_the_hourly_view_of_a_period_at_the_edge_of_the_calendar_is_empty_not_an_error(
    site: Site,
) -> None:
    # The default start, a day before `until`, falls before the year 1.
    early = datetime(1, 1, 1, 5, tzinfo=UTC)
    assert readings.hourly(site.db, site.actor, "T-ROOM", until=early)["hours"] == []
    late = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    window = {"since": late - timedelta(hours=2), "until": late}
    assert readings.hourly(site.db, site.actor, "T-ROOM", **window)["hours"] == []
    with pytest.raises(InvalidInput) as e:  # since after until (now)
        readings.hourly(site.db, site.actor, "T-ROOM", since=late)
    assert e.value.code == "invalid_period"


def test_a_user_of_another_warehouse_cannot_look_up_excursions_by_a_sensor_they_cannot_see(
    site: Site,
) -> None:
    site.read("T-ROOM", (0, "10"), (20, "10"))
    wh2 = locations.get_location(site.db, site.actor, path="WH2")["id"]
    only_wh2 = replace(site.actor, warehouse_ids=frozenset({wh2}))
    with pytest.raises(NotFound) as e:
        excursions.list_excursions(site.db, only_wh2, sensor="T-ROOM")
    assert e.value.code == "sensor_not_found"
    assert excursions.list_excursions(site.db, only_wh2) == []
    assert len(excursions.list_excursions(site.db, site.actor, sensor="T-ROOM")) == 1


def test_a_roll_up_waits_for_a_reading_being_stored_and_folds_it(site: Site) -> None:
    """PostgreSQL: a reading committed between the roll-up's read and its delete would be deleted
    uncounted, so the roll-up locks the sensors it folds as ingesting does."""
    if site.db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    start = T0.replace(minute=0, second=0)
    site.read("T-DRY", ((start - T0).total_seconds() / 60, "4"))
    sensor_id = _sensor_id(site.db, "T-DRY")
    now = start + timedelta(days=RAW_DAYS, hours=2)
    done: dict[str, int] = {}
    with site.db.engine.connect() as ingesting:
        # An ingest in progress: the sensor's row locked and a reading of the same hour stored.
        ingesting.execute(
            select(tables.sensors.c.id).where(tables.sensors.c.id == sensor_id).with_for_update()
        )
        ingesting.execute(
            tables.sensor_readings.insert().values(
                sensor_id=sensor_id, at=to_ms(start) + 60_000, org_id=site.actor.org_id, value=6000
            )
        )
        holder = ingesting.scalar(text("SELECT pg_backend_pid()"))
        rolling = threading.Thread(
            target=lambda: done.update(
                readings.roll_up(site.db, raw_days=RAW_DAYS, rollup_days=0, now=now)
            )
        )
        rolling.start()
        with site.db.engine.connect() as watch:
            deadline = time.monotonic() + 60
            while not watch.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE :p = ANY(pg_blocking_pids(pid))"),
                {"p": holder},
            ):
                assert time.monotonic() < deadline, "the roll-up never waited for the ingest"
                time.sleep(0.05)
        ingesting.commit()
    rolling.join(60)
    assert done["readings"] == 2
    assert _raw_count(site.db) == 0
    window = {"since": start, "until": start + timedelta(hours=1)}
    [hour] = readings.hourly(site.db, site.actor, "T-DRY", **window)["hours"]
    assert (hour["count"], hour["min"], hour["max"]) == (2, Decimal(4), Decimal(6))


def _sensor_id(db: Database, code: str) -> int:
    with db.reading() as uow:
        return int(
            uow.conn.scalar(select(tables.sensors.c.id).where(tables.sensors.c.code == code))
        )


def test_the_worst_reading_is_kept_when_it_arrives_in_the_batch_that_ends_the_excursion(
    site: Site,
) -> None:
    site.read("T-ROOM", (0, "10"), (20, "11"))
    [x] = excursions.list_excursions(site.db, site.actor, open_only=True)
    assert x["worst"] == Decimal(11)
    # One batch (a gateway's buffer, say): warmer still, then back in range.
    site.read("T-ROOM", (25, "14"), (30, "6"))
    ended = excursions.get_excursion(site.db, site.actor, x["id"])
    assert (ended["open"], ended["worst"]) == (False, Decimal(14))
    [recovered] = site.events("sensor.recovered")
    assert recovered["data"]["worst"] == "14"
    # An excursion that starts, gets worse and ends in one batch keeps its worst reading too.
    site.read("T-ROOM", (40, "9"), (56, "9.5"), (57, "15"), (58, "5"))
    newest = excursions.list_excursions(site.db, site.actor)[0]
    assert (newest["open"], newest["worst"]) == (False, Decimal(15))


def test_an_excursion_holds_nothing_of_another_organisation_with_the_same_places(
    db: Database, site: Site
) -> None:
    twin = make_site(db, make_org(db))  # the same paths, SKUs, lots and sensor codes
    site.read("T-ROOM", (0, "10"), (20, "10"))
    assert site.held() == {"CHEESE/C-HELD", "MILK/M-ROOM"}
    assert twin.held() == {"CHEESE/C-HELD"}
    assert excursions.list_excursions(db, twin.actor) == []
    assert twin.events("sensor.*") == []
    assert twin.read("T-ROOM", (0, "5"))["stored"] == 1  # its own sensor, not this one's
    assert [r["value"] for r in readings.history(db, site.actor, "T-ROOM")["readings"]] == [
        Decimal(10),
        Decimal(10),
    ]


def test_who_may_register_sensors_and_post_readings(site: Site) -> None:
    clerk = replace(site.actor, role=Role.CLERK)
    auditor = replace(site.actor, role=Role.AUDITOR)
    for call in (
        lambda: sensors.create_sensor(
            site.db, clerk, code="T-X", location="WH1/DRY", metric="temperature"
        ),
        lambda: sensors.update_sensor(site.db, clerk, "T-ROOM", stale_minutes=5),
        lambda: sensors.create_range(
            site.db, clerk, metric="humidity", location="WH1/DRY", maximum=Decimal(60)
        ),
        lambda: readings.post_readings(
            site.db, auditor, [Reading("T-ROOM", "5", at(0))], raw_days=RAW_DAYS
        ),
    ):
        with pytest.raises(Forbidden):
            call()
    assert (
        readings.post_readings(site.db, clerk, [Reading("T-ROOM", "5", at(0))], raw_days=RAW_DAYS)[
            "stored"
        ]
        == 1
    )
    assert sensors.get_sensor(site.db, auditor, "T-ROOM")["stale_minutes"] is None


def test_a_lot_an_excursion_finds_under_a_recall_stays_held_after_the_release(
    site: Site,
) -> None:
    done = recalls.recall(site.db, site.actor, sku="MILK", lot="M-ROOM", reason="supplier")
    assert site.read("T-ROOM", (0, "9.0"), (16, "9.1"))["excursions_started"] == 1
    [x] = excursions.list_excursions(site.db, site.actor, open_only=True)
    assert ("MILK", "M-ROOM", False) in {
        (lot["sku"], lot["lot"], lot["held_by_excursion"]) for lot in x["lots"]
    }
    released = recalls.release_recall(site.db, site.actor, done["number"])
    assert released["on_hold"] is True
    assert "MILK/M-ROOM" in site.held()
