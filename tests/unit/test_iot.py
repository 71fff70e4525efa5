"""IoT rules without a database: values in thousandths, times in milliseconds, the excursion
state machine, topics and payloads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.errors import InvalidInput
from onhand.domain.iot import (
    MINUTE_MS,
    Bounds,
    Watch,
    check_reading_time,
    check_stale_minutes,
    excursion_by_silence,
    from_milli,
    from_ms,
    gateway_payload,
    is_stale,
    parse_time,
    parse_topic,
    sensor_payload,
    silent_since,
    step,
    to_milli,
    to_ms,
)

COLD = Bounds(low=2000, high=8000, grace_minutes=15)


def run(values: list[tuple[int, int]], bounds: Bounds = COLD) -> list[str | None]:
    """What each reading (minute, thousandths) made happen."""
    watch = None
    out = []
    for minute, value in values:
        watch, happened = step(watch, minute * MINUTE_MS, value, bounds)
        out.append(happened)
    return out


def test_an_excursion_needs_the_grace_time_outside_without_a_reading_inside_between() -> None:
    assert run([(0, 9000), (14, 9000), (15, 9000), (20, 9000)]) == [None, None, "excursion", None]
    assert run([(0, 9000), (10, 5000), (11, 9000), (25, 9000), (26, 9000)]) == [
        None, None, None, None, "excursion",
    ]  # fmt: skip
    assert run([(0, 9000), (16, 9000), (17, 5000), (18, 5000)]) == [
        None, "excursion", "recovered", None,
    ]  # fmt: skip
    assert run([(0, 1999)], Bounds(2000, None, 0)) == ["excursion"]
    assert run([(0, 2000), (1, 8000)], Bounds(2000, 8000, 0)) == [None, None]  # bounds are inside


def test_the_worst_reading_is_the_one_furthest_outside_on_either_side() -> None:
    watch = None
    for minute, value in ((0, 9000), (1, 12000), (2, -1000), (3, 10000)):
        watch, _ = step(watch, minute * MINUTE_MS, value, COLD)
    assert watch is not None
    assert watch.worst == 12000


@given(st.decimals(min_value=-100, max_value=150, places=3))
def test_values_round_trip_through_thousandths(value: Decimal) -> None:
    assert from_milli(to_milli(value, "temperature")) == value


@given(
    st.datetimes(
        timezones=st.just(UTC), min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)
    )
)
def test_times_round_trip_through_milliseconds(at: datetime) -> None:
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)
    assert from_ms(to_ms(at)) == at


@pytest.mark.parametrize(
    ("value", "code"),
    [("hot", "invalid_reading_value"), (float("nan"), "invalid_reading_value"),
     (True, "invalid_reading_value"), (None, "invalid_reading_value"), ("Infinity", "invalid_reading_value"),
     (-127, "implausible_reading"), (150.5, "implausible_reading")],
)  # fmt: skip
def test_values_that_are_not_readings_are_refused(value: object, code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        to_milli(value, "temperature")
    assert e.value.code == code


def test_humidity_is_a_percentage() -> None:
    assert to_milli("55.55", "humidity") == 55550
    with pytest.raises(InvalidInput):
        to_milli(101, "humidity")


def test_reading_times_need_a_zone_and_a_sane_clock() -> None:
    assert parse_time("2026-03-03T14:00:00Z") == datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert parse_time("2026-03-03T15:00:00+01:00") == datetime(2026, 3, 3, 14, tzinfo=UTC)
    for bad in ("2026-03-03T14:00:00", "yesterday", 1700000000, ""):
        with pytest.raises(InvalidInput):
            parse_time(bad)
    # Valid ISO 8601 with a zone, but outside the years 1 to 9999 once in UTC.
    for edge in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        with pytest.raises(InvalidInput) as e:
            parse_time(edge)
        assert e.value.code == "invalid_reading_time"
    now = datetime(2026, 3, 3, tzinfo=UTC)
    check_reading_time(now + timedelta(minutes=4), now, 30)
    with pytest.raises(InvalidInput, match="future"):
        check_reading_time(now + timedelta(minutes=6), now, 30)
    with pytest.raises(InvalidInput, match="older"):
        check_reading_time(now - timedelta(days=31), now, 30)


def test_topics_name_an_organisation_a_kind_and_a_device() -> None:
    t = parse_topic("onhand/acme/sensors/T-1", "onhand")
    assert (t.org, t.kind, t.code) == ("acme", "sensor", "T-1")
    assert parse_topic("onhand/acme/scans/GUN", "onhand").kind == "scanner"
    for bad in (
        "onhand/acme/sensors",
        "other/acme/sensors/T",
        "onhand/acme/doors/T",
        "onhand/acme/sensors/a b",
    ):
        with pytest.raises(InvalidInput):
            parse_topic(bad, "onhand")


def test_payloads_are_checked_for_shape() -> None:
    assert sensor_payload(b'{"value": 4.2}') == [(4.2, None)]
    assert sensor_payload(b'[{"value": "4", "at": "x"}]') == [("4", "x")]
    for bad in (b"", b"[]", b'{"v": 1}', b'{"value": 1, "extra": 2}', b"\xff", b"[1]"):
        with pytest.raises(InvalidInput):
            sensor_payload(bad)
    assert gateway_payload(b'{"reads": ["30"], "location": "WH1"}', "rfid")["location"] == "WH1"
    for bad, kind in ((b'{"reads": "30"}', "rfid"), (b'{"code": 5}', "scanner"), (b"[]", "rfid")):
        with pytest.raises(InvalidInput):
            gateway_payload(bad, kind)


def test_a_sensor_is_stale_after_its_allowed_silence_counted_from_its_newest_news() -> None:
    hour = 60 * MINUTE_MS
    # Silent since its newest reading, or since it was registered or switched on if later.
    assert silent_since(5 * hour, 2 * hour) == 5 * hour
    assert silent_since(2 * hour, 5 * hour) == 5 * hour
    assert silent_since(None, 3 * hour) == 3 * hour
    assert not is_stale(0, None, 60, hour - 1)
    assert is_stale(0, None, 60, hour)  # exactly the allowed silence: stale
    assert not is_stale(0, 30 * MINUTE_MS, 60, hour)  # switched on half an hour in
    assert not is_stale(0, None, 0, 100 * hour)  # 0: never stale
    assert check_stale_minutes(None) is None
    assert check_stale_minutes(0) == 0
    for bad in (-1, 7 * 24 * 60 + 1, True):
        with pytest.raises(InvalidInput):
            check_stale_minutes(bad)  # type: ignore[arg-type]


def test_silence_outside_a_range_is_an_excursion_once_the_grace_time_has_passed() -> None:
    watch = Watch(out_since=10 * MINUTE_MS, last_at=12 * MINUTE_MS, worst=9000, excursion=False)
    assert not excursion_by_silence(watch, COLD, 24 * MINUTE_MS)
    assert excursion_by_silence(watch, COLD, 25 * MINUTE_MS)
    assert not excursion_by_silence(replace(watch, excursion=True), COLD, 99 * MINUTE_MS)
