"""The running totals on valuation entries, written as postings arrive in any order of effective
time (back-dated ones rewrite those after them), give the KPI ledger exactly what a brute force
over the entries gives, for any period: levels, flows, the weighted value and stockout days.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from onhand.domain.errors import OnhandError
from onhand.domain.valuation import COGS_KINDS, Kind
from onhand.domain.valuation_totals import OUT_KINDS, SOLD_KINDS, day_number
from onhand.services import postings, valuation_reports, verify
from onhand.store import kpis
from onhand.store.tables import valuation_entries
from onhand.store.unit_of_work import Database
from tests.conftest import make_org
from tests.integration.ledger_helpers import build_world, mv

T0 = datetime(2026, 3, 2, tzinfo=UTC)
MOVES = {
    "buy": ("@supplier", "WH1/A/01"),
    "sell": ("WH1/A/01", "@customer"),
    "sell_short": ("WH1/NEG", "@customer"),
    "restock_short": ("@supplier", "WH1/NEG"),
    "return": ("@customer", "WH1/NEG"),
    "ship": ("WH1/A/01", "WH1/TRUCK"),
    "arrive": ("WH1/TRUCK", "WH2/STOCK"),
    "move": ("WH1/A/01", "WH2/STOCK"),
    "lose": ("WH2/STOCK", "@adjustment"),
}
script_st = st.lists(
    st.tuples(st.sampled_from(sorted(MOVES)), st.sampled_from([5, 10, 20]), st.integers(0, 20)),
    min_size=1,
    max_size=30,
)


def _post(db: Database, actor: Any, script: list[tuple[str, int, int]]) -> None:
    for n, (op, qty, day) in enumerate(script):
        src, dst = MOVES[op]
        at = T0 + timedelta(days=day, minutes=n)  # days in any order: back-dated postings
        line = mv("BOLT", src, dst, qty, at=at)
        if src == "@supplier":  # prices that change with the day: layers that differ
            line = replace(line, unit_cost=Decimal(day + 1) / 4)
        try:
            postings.post_movements(db, actor, [line])
        except OnhandError:  # not enough stock: refused, nothing changed
            continue


def _brute(entries: list[Any], start: date, end: date, cut: date) -> dict[str, int]:
    """The KPI ledger row of one item and scope, from its entries one by one."""
    s, t, c = day_number(start), day_number(end), day_number(cut)
    days = [(day_number(e.at), e) for e in entries]

    def level(before: int, field: str = "qty") -> int:
        return sum(getattr(e, field) for d, e in days if d < before)

    def flow(kinds: Any, lo: int, field: str = "qty") -> int:
        return sum(getattr(e, field) for d, e in days if lo <= d <= t and Kind(e.kind) in kinds)

    eod = {d: level(d + 1) for d in range(s, t + 1)}
    open_q = level(s)
    if open_q > 0:
        stocked, out = t - s + 1, sum(1 for d in eod if eod[d] <= 0)
    else:
        first = next((d for d in sorted(eod) if eod[d] > 0), None)
        stocked = 0 if first is None else t + 1 - first
        out = 0 if first is None else sum(1 for d in eod if d >= first and eod[d] <= 0)
    return {
        "open_q": open_q,
        "open_v": level(s, "value"),
        "close_q": level(t + 1),
        "close_v": level(t + 1, "value"),
        "cut_q": level(c),
        "weighted_v": sum(e.value * (t + 1 - d) for d, e in days if s <= d <= t),
        "cogs": flow(COGS_KINDS, s, "expense"),
        "sold": -flow(SOLD_KINDS, s),
        "received": flow({Kind.RECEIPT}, s),
        "tin": flow({Kind.TRANSFER_IN}, s),
        "outbound": -flow(OUT_KINDS, s),
        "recent_out": -flow(OUT_KINDS, c),
        "stocked_days": stocked,
        "stockout_days": out,
    }


def _check(db: Database, org_id: int, start: date, end: date, cut: date) -> None:
    with db.reading() as uow:
        rows = kpis.ledger(
            uow.conn,
            org_id,
            start=start,
            end=end,
            dead_from=cut,
            scopes=None,
            item_ids=None,
            category=None,
        )
        e = valuation_entries.c
        entries = uow.conn.execute(
            select(e.item_id, e.scope_id, e.kind, e.qty, e.value, e.expense, e.at)
            .where(e.org_id == org_id)
            .order_by(e.at, e.id)
        ).all()
    by_pair: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for r in entries:
        by_pair[(r.item_id, r.scope_id)].append(r)
    got = {(r.item_id, r.scope_id): {k: int(getattr(r, k)) for k in _FIELDS} for r in rows}
    want = {k: _brute(v, start, end, cut) for k, v in by_pair.items()}
    assert got == want


_FIELDS = (
    *("open_q", "open_v", "close_q", "close_v", "cut_q", "weighted_v", "cogs", "sold"),
    *("received", "tin", "outbound", "recent_out", "stocked_days", "stockout_days"),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    script=script_st,
    period=st.tuples(st.integers(-3, 22), st.integers(0, 25), st.integers(0, 25)),
)
def test_the_totals_give_the_kpi_ledger_of_a_brute_force(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    script: list[tuple[str, int, int]],
    period: tuple[int, int, int],
) -> None:
    world = build_world(db, make_org(db).actor)
    _post(db, world.actor, script)
    assert verify.verify(db, org_id=world.org_id).findings == []
    first, length, dead_days = period  # dead stock looks back from the end, as the KPIs do
    start = T0.date() + timedelta(days=first)
    end = start + timedelta(days=length)
    _check(db, world.org_id, start, end, end - timedelta(days=dead_days))
    # The cost of goods sold per day from the totals at the days' ends, and from the entries.
    kw: dict[str, Any] = {"start": start, "end": end, "period": "day", "by": "warehouse"}
    from_totals = valuation_reports.cost_of_goods_sold(db, world.actor, **kw)
    with monkeypatch.context() as m:
        m.setattr(valuation_reports, "MAX_BOUNDARIES", 0)
        assert valuation_reports.cost_of_goods_sold(db, world.actor, **kw) == from_totals


def test_verify_finds_a_total_altered_by_hand(db: Database) -> None:
    world = build_world(db, make_org(db).actor)
    _post(db, world.actor, [("buy", 10, 2), ("sell", 4, 3), ("buy", 5, 1)])
    assert verify.verify(db, org_id=world.org_id).findings == []
    e = valuation_entries.c
    with db.engine.begin() as conn:
        conn.execute(update(valuation_entries).where(e.kind == "issue").values(out_days=7))
    found = verify.verify(db, org_id=world.org_id).findings
    assert [f.check for f in found] == ["valuation"]
    assert "running totals of valuation entry" in found[0].message
