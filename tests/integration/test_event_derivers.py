"""lot.expiring: raised once per lot in stock and expiry date, however many lots wait (the
sweep works through them in batches), for lots in stock locations only, again when a lot is
re-dated."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from onhand.services import event_derivers, events, items, locations, lots, postings
from onhand.services.common import utcnow
from onhand.services.postings import MovementInput
from onhand.store.unit_of_work import Database
from tests.conftest import make_org


def test_each_lot_about_to_expire_is_raised_once_in_batches_however_many(db: Database) -> None:
    org = make_org(db)
    a = org.actor
    locations.create_location(db, a, code="WH1")
    items.create_items(db, a, [items.ItemCreate(sku="MILK", name="Milk", tracking="lot")])
    today = utcnow().date()

    def receive(lot: str, expiry: date, to: str = "WH1", quantity: str = "1") -> None:
        line = MovementInput(sku="MILK", from_location="@supplier", to_location=to,
                             quantity=Decimal(quantity), lot=lot, expiry_date=expiry)  # fmt: skip
        postings.post_movements(db, a, [line])

    # Long expired and never used up: they must not crowd out the lots expiring now.
    for n in range(5):
        receive(f"OLD-{n}", today - timedelta(days=100 + n))
    receive("SOON", today + timedelta(days=10))
    receive("LATER", today + timedelta(days=31))  # outside the 30 days
    receive("GONE", today + timedelta(days=5))
    postings.post_movements(db, a, [MovementInput(sku="MILK", from_location="WH1",
                                                  to_location="@customer", quantity=Decimal(1),
                                                  lot="GONE")])  # fmt: skip

    assert event_derivers.sweep_expiring(db, batch=2) == 6
    assert event_derivers.sweep_expiring(db, batch=2) == 0  # once per lot and date
    told = events.list_events(db, a, types=["lot.expiring"])["events"]
    assert sorted(e["data"]["lot"] for e in told) == sorted(
        [*(f"OLD-{n}" for n in range(5)), "SOON"]
    )
    soon = next(e for e in told if e["data"]["lot"] == "SOON")
    assert (soon["data"]["days_left"], soon["data"]["on_hand"]) == (10, "1")

    lots.update_lot(db, a, sku="MILK", code="SOON", expiry_date=today + timedelta(days=3))
    assert event_derivers.sweep_expiring(db) == 1  # re-dated: told again
    last = events.list_events(db, a, types=["lot.expiring"])["events"][-1]
    assert (last["data"]["lot"], last["data"]["days_left"]) == ("SOON", 3)
