"""Demand history against a replay in Python: random movements (sales, scrap, returns,
transfers, adjustments, transit, out of order in time) of one item, posted through the real
services; the database's grouped answer must equal a plain replay of the accepted movements, for
a warehouse, an area and another warehouse, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onhand.domain.errors import InsufficientStock
from onhand.services import demand
from onhand.store.unit_of_work import Database
from tests.conftest import make_org
from tests.integration.ledger_helpers import build_world, mv, post

STOCK = ["WH1/RECV", "WH1/A/01", "WH1/A/02", "WH1/NEG", "WH1/TRUCK", "WH2/STOCK"]
OUTWARD = ["@customer", "@scrap"]
OTHER = ["@supplier", "@adjustment", "@transit"]
START, END = date(2026, 2, 23), date(2026, 3, 8)  # two ISO weeks, across a month's end

Move = tuple[str, str, int, datetime]


@st.composite
def a_move(draw: st.DrawFn) -> Move:
    kind = draw(st.sampled_from(["in", "in", "out", "back", "transfer", "other"]))
    stock = draw(st.sampled_from(STOCK))
    if kind == "in":
        pair = ("@supplier", stock)
    elif kind == "out":
        pair = (stock, draw(st.sampled_from(OUTWARD)))
    elif kind == "back":
        pair = (draw(st.sampled_from(OUTWARD)), stock)
    elif kind == "transfer":
        pair = (stock, draw(st.sampled_from([p for p in STOCK if p != stock])))
    else:
        other = draw(st.sampled_from(OTHER[1:]))
        pair = (stock, other) if draw(st.booleans()) else (other, stock)
    day = START + timedelta(days=draw(st.integers(-3, 16)))
    hour = draw(st.sampled_from([0, 9, 23]))
    at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return pair[0], pair[1], draw(st.integers(1, 3)), at


def in_scope(path: str, scope: str) -> bool:
    return path in STOCK and (path == scope or path.startswith(scope + "/"))


def replay(moves: list[Move], scope: str) -> tuple[dict[date, int], set[date]]:
    """Net demand per day and the out-of-stock days of [START, END], movement by movement."""
    qty: dict[date, int] = defaultdict(int)
    change: dict[datetime, int] = defaultdict(int)
    for src, dst, q, at in moves:
        change[at] += q * in_scope(dst, scope) - q * in_scope(src, scope)
        if START <= at.date() <= END:
            if in_scope(src, scope) and dst in OUTWARD:
                qty[at.date()] += q
            if src in OUTWARD and in_scope(dst, scope):
                qty[at.date()] -= q
    balance = sum(d for at, d in change.items() if at.date() < START)
    out: set[date] = set()
    day = START
    while day <= END:
        low = balance
        for at in sorted(a for a in change if a.date() == day):
            balance += change[at]
            low = min(low, balance)
        if low <= 0:
            out.add(day)
        day += timedelta(days=1)
    return qty, out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(a_move(), min_size=1, max_size=25))
def test_the_database_answers_what_a_replay_of_the_movements_says(
    db: Database, moves: list[Move]
) -> None:
    world = build_world(db, make_org(db).actor)
    accepted = []
    for src, dst, q, at in moves:
        try:
            post(world, mv("BOLT", src, dst, q, at=at))
        except InsufficientStock:
            continue
        accepted.append((src, dst, q, at))
    for scope in ("WH1", "WH1/A", "WH2"):
        qty, out = replay(accepted, scope)
        got = demand.demand_history(db, world.actor, "BOLT", scope, "day", START, END)
        assert {x["start"]: x["qty"] for x in got["series"] if x["qty"]} == {
            d: Decimal(q) for d, q in qty.items() if q
        }
        assert {x["start"] for x in got["series"] if x["out_of_stock"]} == out
        weekly = demand.demand_history(db, world.actor, "BOLT", scope, "week", START, END)
        assert [x["qty"] for x in weekly["series"]] == [
            Decimal(sum(q for d, q in qty.items() if d < START + timedelta(7))),
            Decimal(sum(q for d, q in qty.items() if d >= START + timedelta(7))),
        ]
        assert [x["stockout_days"] for x in weekly["series"]] == [
            sum(1 for d in out if d < START + timedelta(7)),
            sum(1 for d in out if d >= START + timedelta(7)),
        ]
