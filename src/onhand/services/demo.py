"""`onhand demo`: a realistic demo organisation with about a year of history.

Everything goes through the services the API uses (accounts, locations, items, postings), so the
demo's ledger is built under the same rules, locks and hash chains as real use. The history is a
day-by-day simulation (demo_sim.py) of the company drawn in demo_catalog.py, posted one week per
posting (split when it exceeds the batch limit) and backdated with effective_at.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor
from onhand.domain.counting import CountSettings, is_working_day
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.movements import MAX_BATCH
from onhand.domain.planning import RunRequest
from onhand.services import (
    accounts,
    count_classes,
    items,
    locations,
    planning_runs,
    postings,
    purchase_orders,
    sales_orders,
    suppliers,
    valuation_reports,
)
from onhand.services.common import utcnow
from onhand.services.count_plans import make_daily_plan
from onhand.services.demo_catalog import WAREHOUSES, location_specs, make_items
from onhand.services.demo_sim import Simulation
from onhand.services.postings import MovementInput
from onhand.store.unit_of_work import Database

MAX_ITEMS = 5000
MAX_DAYS = 3 * 366
DAYS_PER_POSTING = 7
# A replenishment run needs four weeks of history (RunRequest.history_days).
MIN_PLANNING_DAYS = 28
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DemoResult:
    """The demo organisation built, and how to get in."""

    org_id: int
    slug: str
    username: str
    password: str
    token: str
    other_users: list[str]
    warehouses: int
    locations: int
    items: int
    profiles: dict[str, int]
    days: int
    movements: int
    postings: int
    # The cycle counts planned for the first working day from ``today``.
    count_plan: str = ""
    # The replenishment run of the first warehouse on the history, in words.
    planning_run: str = ""
    valuation: str = ""


def build_demo(
    db: Database,
    *,
    slug: str = "demo",
    item_count: int = 300,
    days: int = 365,
    seed: int = 42,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Create the demo organisation and simulate ``days`` days of history up to yesterday.

    The same seed (and ``today``, which defaults to the current date) gives the same company
    and the same movements.
    """
    if not 10 <= item_count <= MAX_ITEMS:
        raise InvalidInput(f"items must be between 10 and {MAX_ITEMS}", code="invalid_demo")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", code="invalid_demo")
    rng = random.Random(seed)
    password = secrets.token_urlsafe(9)  # not from the seeded generator: it must not be guessable
    try:
        new = accounts.create_organisation(
            db,
            name="Demo Trading Co.",
            slug=slug,
            admin_username=slug,
            admin_password=password,
        )
    except Conflict as exc:
        if exc.code != "organisation_exists":
            raise
        raise Conflict(
            f"organisation {slug!r} already exists in this database: build the demo in a new "
            "database (--database-url) or under another name (--slug)",
            code="organisation_exists",
        ) from None
    actor = accounts.authenticate(db, new.token)
    specs = location_specs(WAREHOUSES)
    locations.create_locations(db, actor, specs)
    catalogue = make_items(rng, item_count)
    items.create_items(db, actor, [i.create for i in catalogue])
    others = [
        (f"{slug}-clerk", "clerk", ["WH3"]),
        (f"{slug}-auditor", "auditor", []),
    ]
    for username, role, warehouses in others:
        accounts.create_user(
            db, actor, username=username, password=password, role=role, warehouses=warehouses
        )
    today = today or utcnow().date()
    if today > utcnow().date():
        raise InvalidInput("the demo's history cannot end in the future", code="invalid_demo")
    start = today - timedelta(days=days)
    sim = Simulation(rng, catalogue, WAREHOUSES, start)
    moved, posted = 0, 0
    pending: list[MovementInput] = []
    for day in range(-1, days):
        pending += sim.opening(start) if day < 0 else sim.day(day)
        # A week per posting (whole days, in time order) amortises what every posting pays
        # once (item and lot look-ups, chain heads, the commit): twice as fast as daily ones.
        if (day + 1) % DAYS_PER_POSTING == 0 or day == days - 1:
            for n in range(0, len(pending), MAX_BATCH):
                chunk = pending[n : n + MAX_BATCH]
                key = f"demo:{seed}:{start}:{day}:{n // MAX_BATCH}"
                postings.post_movements(db, actor, chunk, idempotency_key=key)
                moved += len(chunk)
                posted += 1
            pending = []
        if progress is not None:
            progress(day + 1, days)
    _documents(db, actor, rng, catalogue, today)
    count_plan = _cycle_counts(db, actor, today)
    planning_run = _replenishment(db, actor, days)
    value = _valuation(db, actor, today)
    return DemoResult(
        org_id=new.org_id,
        slug=slug,
        username=slug,
        password=password,
        token=new.token,
        other_users=[
            f"{u} ({r}{', ' + ', '.join(w) + ' only' if w else ''})" for u, r, w in others
        ],
        warehouses=len(WAREHOUSES),
        locations=len(specs),
        items=len(catalogue),
        profiles=dict(Counter(i.profile.value for i in catalogue)),
        days=days,
        movements=moved,
        postings=posted,
        count_plan=count_plan,
        planning_run=planning_run,
        valuation=value,
    )


def _valuation(db: Database, actor: Actor, today: date) -> str:
    """The stock's value and the last 30 days' cost of goods sold, in words."""
    held = valuation_reports.inventory_value(db, actor, by="warehouse")
    sold = valuation_reports.cost_of_goods_sold(
        db, actor, start=today - timedelta(days=29), end=today, period="month"
    )
    currency = held["currency"]
    return (
        f"stock worth {held['total_value']:,} {currency}, cost of goods sold in the "
        f"last 30 days {sold['total']:,} {currency} (onhand valuation value --by warehouse)"
    )


def _replenishment(db: Database, actor: Actor, days: int) -> str:
    """Plan the first warehouse on the demo's history: its run, in words."""
    if days < MIN_PLANNING_DAYS:
        return f"not run: {days} days of history are fewer than {MIN_PLANNING_DAYS}"
    wh = WAREHOUSES[0].code
    run = planning_runs.run_replenishment(
        db, actor, RunRequest(warehouse=wh, history_days=min(days, 728))
    )
    return (
        f"{run['number']} of {wh}: {run['items']} items, {run['suggestions']} suggested orders "
        f"(onhand plan show {run['number']})"
    )


def _cycle_counts(db: Database, actor: Actor, today: date) -> str:
    """Classify the items on the history (ABC/XYZ) and plan the cycle counts of the first
    working day from ``today``: what the plan's count documents hold, in words."""
    count_classes.classify_items(db, actor, as_of=today)
    day = today
    while not is_working_day(day, CountSettings().working_days):
        day += timedelta(days=1)
    plan = make_daily_plan(db, actor, day=day)
    numbers = ", ".join(d["number"] for d in plan["documents"])
    n = len(plan["documents"])
    return f"{n} count document{'' if n == 1 else 's'} for {day.isoformat()}: {numbers}"


def _documents(
    db: Database, actor: Actor, rng: random.Random, catalogue: list[Any], today: date
) -> None:
    """Open documents on top of the history: warehouse settings, a supplier with its terms,
    purchase orders on their way and sales orders waiting to be picked."""
    for n, wh in enumerate(WAREHOUSES, start=1):
        sales_orders.set_warehouse_settings(
            db, actor, wh.code, outbound=f"{wh.code}/OUT", priority=10 * n
        )
    suppliers.create_supplier(
        db,
        actor,
        suppliers.SupplierCreate(
            code="NORDWAREN", name="Nordwaren GmbH", lead_time_days=9, lead_time_sd_days=2
        ),
    )
    untracked = [i for i in catalogue if i.create.tracking == "none"]
    if not untracked:
        return
    for item in rng.sample(untracked, min(20, len(untracked))):
        suppliers.set_supplier_item(
            db,
            actor,
            "NORDWAREN",
            item.create.sku,
            suppliers.SupplierItemSet(price=item.create.unit_cost, preferred=True),
        )
    wh = WAREHOUSES[0].code
    for _ in range(3):
        lines = [
            purchase_orders.PoLineInput(
                sku=i.create.sku,
                quantity=Decimal(rng.randint(2, 20) * 10),
                expected_date=today + timedelta(days=rng.randint(3, 20)),
            )
            for i in rng.sample(untracked, min(4, len(untracked)))
        ]
        po = purchase_orders.create_po(
            db,
            actor,
            purchase_orders.PoCreate(supplier="NORDWAREN", receive_to=f"{wh}/RECV", lines=lines),
        )
        purchase_orders.order_po(db, actor, po["number"])
    for n in range(5):
        lines = [
            sales_orders.SoLineInput(sku=i.create.sku, quantity=Decimal(rng.randint(1, 6)))
            for i in rng.sample(untracked, min(3, len(untracked)))
        ]
        sales_orders.create_order(
            db,
            actor,
            sales_orders.SoCreate(
                customer=f"Customer {n + 1}",
                warehouse=wh,
                requested_date=today + timedelta(days=rng.randint(1, 7)),
                lines=lines,
            ),
        )
