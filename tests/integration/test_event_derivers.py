"""lot.expiring: raised once per lot in stock and expiry date, however many lots wait (the
sweep works through them in batches), for lots in stock locations only, again when a lot is
re-dated."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from onhand.services import event_derivers, events, items, locations, lots, postings
from onhand.services.common import utcnow
from onhand.services.postings import MovementInput
from onhand.store import events as outbox
from onhand.store import tables as t
from onhand.store.exception_sets import levels
from onhand.store.unit_of_work import Database
from tests.conftest import Org, make_org


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


def test_the_pairs_watched_for_a_reorder_crossing_are_those_the_exceptions_give_a_point(
    db: Database,
) -> None:
    """watched_pairs (run by every posting) keeps exactly the pairs to which the exceptions'
    levels give a reorder point: a policy's min, else the line of the warehouse's newest
    finished run; a max alone, an older run, an unfinished run or another org do not count."""
    org, other = make_org(db), make_org(db)
    for o in (org, other):
        for wh in ("W1", "W2"):
            locations.create_location(db, o.actor, code=wh)
        items.create_items(
            db, o.actor, [items.ItemCreate(sku=f"I{n}", name="x") for n in range(1, 6)]
        )
    with db.reading() as uow:
        ids = {(r.org_id, r.sku): r.id for r in uow.conn.execute(select(t.items))}
        houses = {(r.org_id, r.code): r.id for r in uow.conn.execute(select(t.locations))}
    now = utcnow()

    def item(sku: str, o: Org = org) -> int:
        return ids[(o.org_id, sku)]

    def wh(code: str, o: Org = org) -> int:
        return houses[(o.org_id, code)]

    def policy(sku: str, code: str, lo: int | None, hi: int | None, o: Org = org) -> dict[str, Any]:
        return {"org_id": o.org_id, "item_id": item(sku, o), "warehouse_id": wh(code, o),
                "kind": "min_max", "min_qty": lo, "max_qty": hi, "updated_at": now}  # fmt: skip

    def run(code: str, status: str, lines: dict[str, int | None], o: Org = org) -> None:
        row = {"org_id": o.org_id, "number": f"R{uuid.uuid4().hex[:8]}", "warehouse_id": wh(code, o),
               "status": status, "parameters": "{}", "stage": "done", "progress_done": 0,
               "progress_total": 0, "item_count": 0, "suggestion_count": 0, "created_at": now}  # fmt: skip
        with db.writing() as uow:
            run_id = uow.conn.execute(insert(t.planning_runs).values(row)).inserted_primary_key[0]
            for sku, rop in lines.items():
                uow.conn.execute(insert(t.planning_lines).values(
                    org_id=o.org_id, run_id=run_id, item_id=item(sku, o), method="naive",
                    forecast="[]", demand_per_day=0, demand_sd_per_day=0, lead_time_days=0,
                    lead_time_sd_days=0, policy="rop", service_type="cycle", service_level=0,
                    safety_stock=0, reorder_point=rop, on_hand=0, on_order=0, reserved=0,
                    backordered=0, projected=0, source="none", suggested_qty=0, qty=0,
                    status="none", reason="", edited=False))  # fmt: skip
            uow.commit()

    with db.writing() as uow:
        uow.conn.execute(insert(t.replenishment_policies), [
            policy("I1", "W1", 5, 10),  # a min: watched
            policy("I2", "W1", None, 10),  # a max alone, and no run line: not watched
            policy("I2", "W2", None, 10),  # a max alone, but the newest run has a point
            policy("I5", "W1", 1, None, o=other),  # another org's policy
        ])  # fmt: skip
        uow.commit()
    run("W1", "done", {"I3": 3})  # older: its point no longer counts
    run("W1", "done", {"I3": None, "I5": 6})  # newest finished run of W1
    run("W1", "failed", {"I4": 4})  # not finished
    run("W2", "done", {"I3": 9})  # older run of W2
    run("W2", "done", {"I2": 7, "I4": 2})  # newest finished run of W2
    run("W2", "running", {"I3": 1})

    asked = [(item(s), wh(w)) for s in ("I1", "I2", "I3", "I4", "I5") for w in ("W1", "W2")]
    with db.reading() as uow:
        got = outbox.watched_pairs(uow.conn, org.org_id, asked)
        lv = levels(org.org_id, frozenset({wh("W1"), wh("W2")}), None)
        rows = uow.conn.execute(select(lv.c.item_id, lv.c.warehouse_id, lv.c.reorder_point))
        with_point = sorted(
            (r.item_id, r.warehouse_id) for r in rows if r.reorder_point is not None
        )
        some = outbox.watched_pairs(
            uow.conn, org.org_id, [(item("I1"), wh("W2")), (item("I4"), wh("W2"))]
        )
    expected = [(item("I1"), wh("W1")), (item("I2"), wh("W2")), (item("I4"), wh("W2")),
                (item("I5"), wh("W1"))]  # fmt: skip
    assert got == sorted(expected) == with_point
    assert some == [(item("I4"), wh("W2"))]  # only pairs asked about
