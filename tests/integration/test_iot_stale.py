"""Stale sensors on SQLite and PostgreSQL, with real readings and explicit clock values: a
silence is found once and ends with the next reading; a sensor gone silent outside its range
holds its area's lots once the grace time has passed; switched-off sensors and sensors allowed
longer are not stale; another organisation sees none of it; two checks at once find a silence
once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from onhand.domain.errors import InvalidInput
from onhand.services import events, exceptions, excursions, locations, sensors, stale_sensors
from onhand.services import sensor_readings as readings
from onhand.services.exceptions import Filters
from onhand.services.sensor_readings import Reading
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org
from tests.integration.test_iot import RAW_DAYS, Site, make_site

# The test's clock: set a minute after the sensors were registered (their silence counts from
# then), by the fixture.
CLOCK = [datetime.now(UTC)]


@pytest.fixture
def site(db: Database, org: Org) -> Site:
    """The cold room, dry store and WH2 of test_iot, their sensors and the room's range."""
    made = make_site(db, org)
    CLOCK[0] = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    return made


def t(minutes: float) -> datetime:
    """The test's clock, ``minutes`` on."""
    return CLOCK[0] + timedelta(minutes=minutes)


def feed(s: Site, sensor: str, minute: float, value: str) -> readings.Ingested:
    """One reading at t(minute), stored as if it arrived then."""
    batch = [Reading(sensor, value, t(minute))]
    return readings.ingest(
        s.db, s.actor.org_id, batch, raw_days=RAW_DAYS, actor=s.actor, now=t(minute)
    )


def check(s: Site, minute: float, default: int = 0) -> dict[str, int]:
    return stale_sensors.check_stale(s.db, default_minutes=default, now=t(minute))


def of(s: Site, type_: str, sensor: str) -> list[dict[str, Any]]:
    found = events.list_events(s.db, s.actor, types=[type_], limit=1000)["events"]
    return [e["data"] for e in found if e["subject"]["id"] == sensor]


def stale_listed(s: Site) -> list[dict[str, Any]]:
    return exceptions.list_exceptions(s.db, s.actor, Filters(kinds=("sensor_stale",)))


def test_a_silent_sensor_is_stale_once_and_its_next_reading_ends_the_silence(site: Site) -> None:
    sensors.update_sensor(site.db, site.actor, "T-DRY", stale_minutes=60)
    feed(site, "T-DRY", 0, "15")
    assert check(site, 59)["stale"] == 0
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"] is False
    assert check(site, 60)["stale"] == 1
    got = sensors.get_sensor(site.db, site.actor, "T-DRY")
    assert (got["stale"], got["stale_since"], got["stale_minutes"]) == (True, t(60), 60)
    [raised] = of(site, "sensor.stale", "T-DRY")
    assert raised["silent_since"] == t(0).isoformat()
    assert raised["last_reading"]["value"] == "15"
    assert (raised["stale_minutes"], raised["location"], raised["outside"]) == (60, "WH1/DRY", [])
    [shown] = stale_listed(site)
    assert (shown["severity"], shown["location"], shown["warehouse"]) == ("high", "WH1/DRY", "WH1")
    assert shown["since"] == t(0)
    assert "last 15 °C" in shown["message"]
    # Once per silence: later rounds find nothing new. Nothing was held (it read inside).
    assert check(site, 120) == {"stale": 0, "excursions": 0, "cleared": 0}
    assert len(of(site, "sensor.stale", "T-DRY")) == 1
    assert site.held() == {"CHEESE/C-HELD"}
    # A late reading (older than the newest) does not end it; a new one does.
    feed(site, "T-DRY", -5, "15")
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"] is True
    feed(site, "T-DRY", 130, "16")
    [resumed] = of(site, "sensor.resumed", "T-DRY")
    assert (resumed["resumed_at"], resumed["minutes_silent"]) == (t(130).isoformat(), 130)
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"] is False
    assert stale_listed(site) == []
    # A new silence is found again.
    assert check(site, 189)["stale"] == 0
    assert check(site, 190)["stale"] == 1
    assert len(of(site, "sensor.stale", "T-DRY")) == 2


def test_a_sensor_silent_outside_its_range_holds_the_lots_once_the_grace_time_has_passed(
    site: Site,
) -> None:
    sensors.update_sensor(site.db, site.actor, "T-ROOM", stale_minutes=30)
    # Outside from minute 5; the range's grace is 15 minutes but no reading comes after.
    assert feed(site, "T-ROOM", 0, "5").excursions == 0
    assert feed(site, "T-ROOM", 5, "9").excursions == 0
    assert check(site, 34) == {"stale": 0, "excursions": 0, "cleared": 0}
    assert site.held() == {"CHEESE/C-HELD"}
    assert check(site, 35) == {"stale": 1, "excursions": 1, "cleared": 0}
    # The room's lots, not the fridge's (its own sensor), the dry store's or WH2's.
    assert site.held() == {"CHEESE/C-HELD", "MILK/M-ROOM"}
    [x] = excursions.list_excursions(site.db, site.actor, open_only=True)
    assert (x["sensor"], x["started_at"], x["detected_at"]) == ("T-ROOM", t(5), t(35))
    assert x["unheld"] == [{"sku": "BOLT", "tracking": "none", "quantity": Decimal(100)}]
    [opened] = of(site, "sensor.excursion", "T-ROOM")
    assert (opened["detected_by"], [h["lot"] for h in opened["held"]]) == ("silence", ["M-ROOM"])
    [raised] = of(site, "sensor.stale", "T-ROOM")
    assert [(o["since"], o["excursion"]) for o in raised["outside"]] == [
        (t(5).isoformat(), x["id"])
    ]
    [shown] = stale_listed(site)
    assert shown["severity"] == "critical"
    # Later rounds open nothing more.
    assert check(site, 200) == {"stale": 0, "excursions": 0, "cleared": 0}
    # The sensor comes back in range: the silence and the excursion end, the lots stay held.
    feed(site, "T-ROOM", 210, "6")
    assert excursions.list_excursions(site.db, site.actor, open_only=True) == []
    assert [d["reason"] for d in of(site, "sensor.recovered", "T-ROOM")] == ["in_range"]
    assert len(of(site, "sensor.resumed", "T-ROOM")) == 1
    assert site.held() == {"CHEESE/C-HELD", "MILK/M-ROOM"}


def test_a_grace_time_longer_than_the_silence_holds_only_once_it_has_passed(site: Site) -> None:
    sensors.update_sensor(site.db, site.actor, "T-ROOM", stale_minutes=30)
    [r] = sensors.list_ranges(site.db, site.actor)
    sensors.update_range(site.db, site.actor, r["id"], grace_minutes=60)
    feed(site, "T-ROOM", 0, "9")
    assert check(site, 30) == {"stale": 1, "excursions": 0, "cleared": 0}
    assert check(site, 59)["excursions"] == 0
    assert site.held() == {"CHEESE/C-HELD"}
    assert check(site, 60) == {"stale": 0, "excursions": 1, "cleared": 0}
    assert site.held() == {"CHEESE/C-HELD", "MILK/M-ROOM"}
    assert check(site, 90)["excursions"] == 0
    assert len(excursions.list_excursions(site.db, site.actor)) == 1


def test_the_default_period_and_a_sensors_own_and_changes_to_them(site: Site) -> None:
    feed(site, "T-DRY", 0, "15")
    feed(site, "T-ROOM", 0, "5")
    sensors.update_sensor(site.db, site.actor, "T-ROOM", stale_minutes=0)  # never stale
    for code in ("T-FRIDGE", "T-WH2", "H-ROOM"):
        sensors.update_sensor(site.db, site.actor, code, active=False)
    assert check(site, 45, default=45)["stale"] == 1  # T-DRY, by the default
    assert [s["code"] for s in sensors.list_sensors(site.db, site.actor) if s["stale"]] == ["T-DRY"]
    # Allowed longer now: the silence found is forgotten (no event), found again later.
    sensors.update_sensor(site.db, site.actor, "T-DRY", stale_minutes=90)
    assert check(site, 46, default=45) == {"stale": 0, "excursions": 0, "cleared": 1}
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"] is False
    assert check(site, 90, default=45)["stale"] == 1
    # Back to the default (None); switched off: not stale, and never found while off.
    sensors.update_sensor(site.db, site.actor, "T-DRY", stale_minutes=None)
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale_minutes"] is None
    sensors.update_sensor(site.db, site.actor, "T-DRY", active=False)
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"] is False
    assert check(site, 500, default=45)["stale"] == 0
    assert len(of(site, "sensor.stale", "T-DRY")) == 2
    with pytest.raises(InvalidInput) as e:
        sensors.update_sensor(site.db, site.actor, "T-DRY", stale_minutes=-1)
    assert e.value.code == "invalid_stale_minutes"


def test_a_sensor_switched_on_again_is_expected_from_then_not_from_its_old_reading(
    site: Site,
) -> None:
    now = datetime.now(UTC)
    old = [Reading("T-WH2", "5", now - timedelta(hours=3))]
    readings.ingest(site.db, site.actor.org_id, old, raw_days=RAW_DAYS, actor=site.actor)
    sensors.update_sensor(site.db, site.actor, "T-WH2", stale_minutes=60)
    sensors.update_sensor(site.db, site.actor, "T-WH2", active=False)
    sensors.update_sensor(site.db, site.actor, "T-WH2", active=True)
    after = datetime.now(UTC)
    stale = stale_sensors.check_stale(site.db, default_minutes=0, now=after + timedelta(minutes=59))
    assert stale["stale"] == 0
    late = after + timedelta(minutes=61)
    assert stale_sensors.check_stale(site.db, default_minutes=0, now=late)["stale"] == 1
    # A sensor registered now that never reports is stale after its period too.
    locations.create_location(site.db, site.actor, code="NEW", parent="WH2")
    sensors.create_sensor(
        site.db, site.actor, code="T-NEW", location="WH2/NEW", metric="temperature"
    )
    born = datetime.now(UTC)
    check_at = born + timedelta(minutes=61)
    assert stale_sensors.check_stale(site.db, default_minutes=60, now=check_at)["stale"] >= 1
    listed = {x["location"]: x for x in stale_listed(site)}
    assert "none since it was registered" in listed["WH2/NEW"]["message"]


def test_a_check_by_a_clock_behind_the_one_that_found_a_silence_leaves_it(site: Site) -> None:
    # Two processes whose clocks differ: the one behind must not forget what the other found,
    # or the one ahead finds it again and the silence is raised twice.
    sensors.update_sensor(site.db, site.actor, "T-DRY", stale_minutes=60)
    feed(site, "T-DRY", 0, "15")
    assert check(site, 60)["stale"] == 1
    assert check(site, 30) == {"stale": 0, "excursions": 0, "cleared": 0}
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"] is True
    assert check(site, 61) == {"stale": 0, "excursions": 0, "cleared": 0}
    assert len(of(site, "sensor.stale", "T-DRY")) == 1
    # Switched off, it is forgotten whatever the clock.
    sensors.update_sensor(site.db, site.actor, "T-DRY", active=False)
    assert sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"] is False


def test_another_organisations_silent_sensor_is_its_own(site: Site) -> None:
    other = make_org(site.db)
    locations.create_location(site.db, other.actor, code="WH1")
    sensors.create_sensor(
        site.db, other.actor, code="T-DRY", location="WH1", metric="temperature", stale_minutes=5
    )
    assert check(site, 10)["stale"] == 1
    mine = events.list_events(site.db, site.actor, types=["sensor.stale"], limit=100)["events"]
    theirs = events.list_events(site.db, other.actor, types=["sensor.stale"], limit=100)["events"]
    assert (len(mine), len(theirs)) == (0, 1)
    assert stale_listed(site) == []
    assert not sensors.get_sensor(site.db, site.actor, "T-DRY")["stale"]


def test_two_checks_at_once_find_a_silence_once(site: Site) -> None:
    if site.db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    sensors.update_sensor(site.db, site.actor, "T-ROOM", stale_minutes=30)
    feed(site, "T-ROOM", 0, "9")
    gate = threading.Barrier(4)
    found: list[dict[str, int]] = []

    def run() -> None:
        gate.wait()
        found.append(check(site, 40))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sum(f["stale"] for f in found) == 1
    assert sum(f["excursions"] for f in found) == 1
    assert len(of(site, "sensor.stale", "T-ROOM")) == 1
    assert len(excursions.list_excursions(site.db, site.actor)) == 1
