"""Valuation through the real posting path, one posting at a time, equals the engine run in
memory over the same movements: what is saved (positions, layers in their order, shortfalls) is
what the next posting loads, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from onhand.domain.quantities import FACTOR
from onhand.domain.valuation import Fact, ItemValuation, Method
from onhand.services import postings, valuation_settings, verify
from onhand.store.tables import locations, valuation_entries, valuation_positions
from onhand.store.unit_of_work import Database
from tests.conftest import make_org
from tests.integration.ledger_helpers import build_world, mv
from tests.integration.test_concurrency import race

SCOPE_OF = {"WH1/A/01": "WH1", "WH1/NEG": "WH1", "WH2/STOCK": "WH2", "@transit": "@transit"}
T0 = datetime(2026, 1, 5, tzinfo=UTC)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(1, 40), st.integers(1, 900)),
        st.tuples(st.just("sell"), st.integers(1, 40), st.just(0)),
        st.tuples(st.just("sell_short"), st.integers(1, 40), st.just(0)),
        st.tuples(st.just("ship"), st.integers(1, 20), st.just(0)),
        st.tuples(st.just("arrive"), st.integers(1, 20), st.just(0)),
        st.tuples(st.just("lose"), st.integers(1, 10), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def _run(db: Database, method: str, script: list[tuple[str, int, int]]) -> None:
    world = build_world(db, make_org(db).actor)
    if method != "fifo":
        valuation_settings.update_settings(db, world.actor, method=method)
    book = ItemValuation(method=Method(method), standard_cost=0)
    with db.reading() as uow:
        ids = {
            r.path: r.id
            for r in uow.conn.execute(
                select(locations.c.path, locations.c.id).where(locations.c.org_id == world.org_id)
            )
        }
    scope = {path: ids[root] for path, root in SCOPE_OF.items()}
    held = {"WH1/A/01": 0, "WH2/STOCK": 0, "@transit": 0}
    for n, (op, qty, cents) in enumerate(script):
        at = T0 + timedelta(hours=n)
        if op == "buy":
            line = mv("BOLT", "@supplier", "WH1/A/01", qty, at=at)
            line = replace(line, unit_cost=Decimal(cents) / 100)
            src, dst, value = None, "WH1/A/01", qty * cents * FACTOR // 100
        elif op == "sell" and held["WH1/A/01"] >= qty:
            line, src, dst, value = (
                mv("BOLT", "WH1/A/01", "@customer", qty, at=at),
                "WH1/A/01",
                None,
                None,
            )
        elif op == "sell_short":  # from the store that may go negative
            line, src, dst, value = (
                mv("BOLT", "WH1/NEG", "@customer", qty, at=at),
                "WH1/NEG",
                None,
                None,
            )
        elif op == "ship" and held["WH1/A/01"] >= qty:
            line, src, dst, value = (
                mv("BOLT", "WH1/A/01", "@transit", qty, at=at),
                "WH1/A/01",
                "@transit",
                None,
            )
        elif op == "arrive" and held["@transit"] >= qty:
            line, src, dst, value = (
                mv("BOLT", "@transit", "WH2/STOCK", qty, at=at),
                "@transit",
                "WH2/STOCK",
                None,
            )
        elif op == "lose" and held["WH2/STOCK"] >= qty:
            line, src, dst, value = (
                mv("BOLT", "WH2/STOCK", "@adjustment", qty, at=at),
                "WH2/STOCK",
                None,
                None,
            )
        else:
            continue
        (mid,) = postings.post_movements(db, world.actor, [line]).movement_ids
        for path, sign in ((src, -1), (dst, 1)):
            if path in held:
                held[path] += sign * qty
        book.post(
            Fact(
                movement_id=mid,
                at=at,
                qty=qty * FACTOR,
                source_scope=scope[src] if src else None,
                destination_scope=scope[dst] if dst else None,
                source_kind="supplier" if src is None else "internal",
                destination_kind="customer" if dst is None else "internal",
                value=value,
            )
        )
    with db.reading() as uow:
        stored = {
            r.scope_id: (r.qty, r.value)
            for r in uow.conn.execute(
                select(valuation_positions).where(valuation_positions.c.org_id == world.org_id)
            )
        }
    expected = {s: (p.qty, p.value) for s, p in book.positions.items()}
    assert stored == expected
    assert verify.verify(db, org_id=world.org_id).findings == []


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(method=st.sampled_from(["fifo", "lifo", "average"]), script=ops)
def test_valuation_through_postings_equals_the_engine_in_memory(
    db: Database, method: str, script: list[tuple[str, int, int]]
) -> None:
    _run(db, method, script)


def test_concurrent_sales_take_the_fifo_layers_once_each(db: Database) -> None:
    """Eight writers sell 20 each at once from 100 @ 1 then 100 @ 2: whatever the order, the
    160 sold cost 100 x 1 + 60 x 2 = 220 and the 40 left are worth 80."""
    world = build_world(db, make_org(db).actor)
    buy = [
        replace(mv("BOLT", "@supplier", "WH1/A/01", 100, at=T0), unit_cost=Decimal(1)),
        replace(mv("BOLT", "@supplier", "WH1/A/01", 100, at=T0), unit_cost=Decimal(2)),
    ]
    postings.post_movements(db, world.actor, buy)
    outcomes = race(
        8,
        lambda _: postings.post_movements(
            db, world.actor, [mv("BOLT", "WH1/A/01", "@customer", 20)]
        ),
    )
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    with db.reading() as uow:
        (pos,) = uow.conn.execute(
            select(valuation_positions).where(valuation_positions.c.org_id == world.org_id)
        ).all()
        sold = uow.conn.execute(
            select(func.sum(valuation_entries.c.expense)).where(
                valuation_entries.c.org_id == world.org_id, valuation_entries.c.kind == "issue"
            )
        ).scalar_one()
    assert (pos.qty, pos.value) == (40 * FACTOR, 80 * FACTOR)
    assert sold == 220 * FACTOR
    assert verify.verify(db, org_id=world.org_id).findings == []
