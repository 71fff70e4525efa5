"""A location's sensors on its page in a real browser: a cold room's sensor with its last day
as a chart, its range, the excursion that put the room's lot on hold, and its silence since;
at phone and desktop width."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from onhand.services import (
    items,
    locations,
    lots,
    operators,
    postings,
    sensor_readings,
    sensors,
    stale_sensors,
)
from onhand.services.postings import MovementInput
from onhand.services.sensor_readings import Reading
from onhand.store.engine import make_engine
from onhand.store.unit_of_work import Database
from tests.browser.conftest import PHONE, Site, no_horizontal_scroll, screenshots, sign_in


def _cold_room(site: Site) -> str:
    """A cold room in the demo's first warehouse, with a lot, a sensor, a 2-8 °C range and six
    hours of readings ending 40 minutes above the range; its path."""
    db = Database(make_engine(site.database_url, sqlite_synchronous="NORMAL"))
    try:
        actor = operators.org_actor(db, "demo")
        warehouse = locations.list_warehouses(db, actor)[0]["path"]
        locations.create_location(db, actor, code="COLDROOM", parent=warehouse, name="Cold room")
        room = f"{warehouse}/COLDROOM"
        items.create_items(
            db, actor, [items.ItemCreate(sku="IOT-VAX", name="Vaccine", tracking="lot")]
        )
        postings.post_movements(
            db, actor, [MovementInput("IOT-VAX", "@supplier", room, Decimal(30), lot="V-1")]
        )
        sensors.create_sensor(db, actor, code="T-COLDROOM", location=room, metric="temperature")
        sensors.create_range(
            db,
            actor,
            metric="temperature",
            location=room,
            minimum=Decimal(2),
            maximum=Decimal(8),
            grace_minutes=30,
        )
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        batch = [
            Reading(
                "T-COLDROOM", "11" if m < 45 else str(4 + (m % 60) / 30), now - timedelta(minutes=m)
            )
            for m in range(360, 0, -5)
        ]
        sensor_readings.post_readings(db, actor, batch, raw_days=30)
        assert [x["on_hold"] for x in lots.list_lots(db, actor, sku="IOT-VAX")] == [True]
        # Then it went quiet: the event pump's check, with a clock two hours on, finds it stale.
        # (The site's own pump, whose clock is behind that one, leaves the silence it found.)
        later = now + timedelta(hours=2)
        assert stale_sensors.check_stale(db, default_minutes=60, now=later)["stale"] >= 1
        return room
    finally:
        db.dispose()


def test_a_locations_page_shows_its_sensors_day_and_an_open_excursion(
    page: Any, site: Site
) -> None:
    room = _cold_room(site)
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/locations/{room}")
    section = page.get_by_role("region", name="Sensors")
    alert = section.get_by_role("status")
    assert "T-COLDROOM" in alert.inner_text()
    assert "1 lot on hold" in alert.inner_text()
    card = section.locator("figure.sensor")
    assert "Range of " + room + ": 2 to 8 °C, 30 min grace" in card.inner_text()
    assert "Silent: no reading for longer than allowed" in card.inner_text()
    chart = card.get_by_role("img")
    label = chart.get_attribute("aria-label") or ""
    assert label.startswith("T-COLDROOM: 72 readings over the last 24 hours, from 4 to 11 °C")
    assert chart.locator("line.bound").count() == 2
    assert page.title() == f"{room} · onhand"
    assert len((chart.locator("polyline.avg").get_attribute("points") or "").split()) >= 6
    screenshots(page, "location-sensors")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
