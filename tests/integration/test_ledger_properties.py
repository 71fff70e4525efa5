"""The ledger's invariants as properties: random sequences of valid and invalid postings,
reversals and retries against the real service layer on a real database.

A small in-test model predicts, for each posting, whether it must be accepted and why it may be
refused, and the balances it leaves. After every step: a refused posting changed nothing at
all, an accepted one changed the balances exactly as the model says; and `verify` (conservation,
balances = replay of the ledger, hash chains) stays clean.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from onhand.domain.errors import NotFound, OnhandError
from onhand.domain.quantities import decimals_of, from_micro
from onhand.services import items as item_service
from onhand.services import postings, verify
from onhand.services.postings import MovementInput
from onhand.store.tables import balances, items, locations, lots, serials
from onhand.store.unit_of_work import Database
from tests.conftest import make_org
from tests.integration.ledger_helpers import ITEMS, LOCATIONS, World, build_world, snapshot

STOCK_PATHS = ["WH1", "WH1/RECV", "WH1/A/01", "WH1/A/02", "WH1/NEG", "WH1/TRUCK", "WH2/STOCK"]
PARTNERS = ["@supplier", "@customer", "@adjustment", "@scrap"]
ALL_PATHS = [*STOCK_PATHS, *PARTNERS, "@transit"]
# Locations whose balance may not go below zero: stock that may not go negative.
GUARDED = {p for p, (_kind, negative) in LOCATIONS.items() if not negative} | {"@transit"}
# Where a serial that is nowhere yet may come from (kinds that do not hold stock).
SERIAL_SOURCES = set(PARTNERS)
JUNE, JULY = date(2030, 6, 1), date(2030, 7, 1)
# Outcomes of the postings of one test run, by error code: the run must exercise both sides.
STATS: Counter[str] = Counter()

Key = tuple[str, str, str | None, str | None]  # sku, location, lot, serial


# --- what to post ------------------------------------------------------------------------------


@st.composite
def a_line(draw: st.DrawFn) -> MovementInput:
    kind = draw(
        st.sampled_from(["receipt"] * 3 + ["transfer", "sale"] * 2 + ["adjust", "transit", "junk"])
    )
    stock = st.sampled_from(STOCK_PATHS)
    if kind == "receipt":
        source, destination = "@supplier", draw(stock)
    elif kind == "transfer":
        source, destination = draw(stock), draw(stock)
    elif kind == "sale":
        source, destination = draw(stock), draw(st.sampled_from(["@customer", "@scrap"]))
    elif kind == "adjust":
        pair = ("@adjustment", draw(stock))
        source, destination = pair if draw(st.booleans()) else pair[::-1]
    elif kind == "transit":
        pair = (draw(stock), "@transit")
        source, destination = pair if draw(st.booleans()) else pair[::-1]
    else:
        source = draw(st.sampled_from([*ALL_PATHS, "WH9/NOPE"]))
        destination = draw(st.sampled_from([*ALL_PATHS, "WH9/NOPE"]))
    sku = draw(st.sampled_from([*ITEMS, "NOPE"] if kind == "junk" else list(ITEMS)))
    tracking = ITEMS[sku][2] if sku in ITEMS else "none"
    if tracking == "serial":
        quantity = draw(st.sampled_from([Decimal(1)] * 6 + [Decimal(2), Decimal("0.5")]))
    else:
        shape = draw(st.integers(0, 19))
        if shape < 14:
            quantity = Decimal(draw(st.integers(1, 12)))
        elif shape < 18:  # up to 4 decimals: sometimes more than the unit allows
            quantity = Decimal(draw(st.integers(1, 999))).scaleb(-draw(st.integers(1, 4)))
        else:
            quantity = draw(st.sampled_from([Decimal(0), Decimal(-2), Decimal("1.00")]))
    lot = draw(
        st.sampled_from(["L1", "L2"] * 5 + [None])
        if tracking == "lot"
        else st.sampled_from([None] * 19 + ["L1"])
    )
    serial = draw(
        st.sampled_from(["S1", "S2", "S3"] * 3 + [None])
        if tracking == "serial"
        else st.sampled_from([None] * 19 + ["S1"])
    )
    # Only lot L2 is ever given an expiry, so the model knows every lot's expiry.
    expiry = draw(st.sampled_from([JUNE] * 4 + [JULY])) if lot == "L2" else None
    return MovementInput(
        sku=sku,
        from_location=source,
        to_location=destination,
        quantity=quantity,
        lot=lot,
        serial=serial,
        expiry_date=expiry,
    )


@st.composite
def a_receipt(draw: st.DrawFn) -> MovementInput:
    """A receipt or a found unit that is valid on its own (a serial may be in stock already)."""
    sku = draw(st.sampled_from(list(ITEMS)))
    tracking = ITEMS[sku][2]
    lot = draw(st.sampled_from(["L1", "L2"])) if tracking == "lot" else None
    return MovementInput(
        sku=sku,
        from_location=draw(st.sampled_from(["@supplier", "@supplier", "@adjustment"])),
        to_location=draw(st.sampled_from(STOCK_PATHS)),
        quantity=Decimal(1) if tracking == "serial" else Decimal(draw(st.integers(1, 20))),
        lot=lot,
        serial=draw(st.sampled_from(["S1", "S2", "S3", "S4"])) if tracking == "serial" else None,
        expiry_date=JUNE if lot == "L2" else None,
    )


a_posting = st.one_of(
    st.lists(a_line(), min_size=1, max_size=1),
    st.lists(a_line(), min_size=1, max_size=1),
    st.lists(a_line(), min_size=2, max_size=4),
)


# --- the model --------------------------------------------------------------------------------


@dataclass
class Model:
    balances: defaultdict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    serial_at: dict[str, str] = field(default_factory=dict)
    lot_expiry: dict[str, date | None] = field(default_factory=dict)

    def judge(self, lines: list[MovementInput]) -> tuple[set[str], dict[Key, Decimal]]:
        """The reasons the posting may be refused for (empty: it must be accepted) and its
        net effect on the balances."""
        reasons: set[str] = set()
        for line in lines:
            reasons |= _line_reasons(line)
        expiries: dict[str, set[date]] = defaultdict(set)
        for line in lines:
            if line.lot and line.expiry_date:
                expiries[line.lot].add(line.expiry_date)
        for lot, given in expiries.items():
            known = self.lot_expiry.get(lot)
            if len(given | ({known} if known else set())) > 1:
                reasons.add("lot_expiry_mismatch")
        deltas: defaultdict[Key, Decimal] = defaultdict(Decimal)
        for line in lines:
            lot = line.lot if line.sku in ITEMS and ITEMS[line.sku][2] == "lot" else None
            serial = line.serial if line.sku in ITEMS and ITEMS[line.sku][2] == "serial" else None
            deltas[(line.sku, line.from_location, lot, serial)] -= line.quantity
            deltas[(line.sku, line.to_location, lot, serial)] += line.quantity
        for key, delta in deltas.items():
            if delta < 0 and key[1] in GUARDED and self.balances[key] + delta < 0:
                reasons.add("insufficient_stock")
        where = dict(self.serial_at)
        for line in lines:
            if line.serial and line.sku == "PHONE":
                at = where.get(line.serial)
                if at != line.from_location and not (
                    at is None and line.from_location in SERIAL_SOURCES
                ):
                    reasons.add("serial_not_at_location")
                where[line.serial] = line.to_location
        return reasons, {k: v for k, v in deltas.items() if v}

    def apply(self, lines: list[MovementInput], deltas: dict[Key, Decimal]) -> None:
        for key, delta in deltas.items():
            self.balances[key] += delta
        for line in lines:
            if line.serial:
                self.serial_at[line.serial] = line.to_location
            if line.lot and line.lot not in self.lot_expiry:
                self.lot_expiry[line.lot] = next(
                    (x.expiry_date for x in lines if x.lot == line.lot and x.expiry_date), None
                )

    def nonzero(self) -> dict[Key, Decimal]:
        return {k: v for k, v in self.balances.items() if v}


def _line_reasons(line: MovementInput) -> set[str]:
    out: set[str] = set()
    if line.sku not in ITEMS:
        return {"sku_not_found"}
    _uom, precision, tracking, _shelf = ITEMS[line.sku]
    if {line.from_location, line.to_location} - set(ALL_PATHS):
        out.add("location_not_found")
    if line.from_location == line.to_location:
        out.add("same_location")
    q = line.quantity
    if q <= 0:
        out.add("quantity_not_positive")
    elif decimals_of(q) > precision:
        out.add("quantity_precision")
    if tracking == "lot" and not line.lot:
        out.add("lot_required")
    if tracking != "lot" and line.lot:
        out.add("lot_not_tracked")
    if tracking == "serial" and not line.serial:
        out.add("serial_required")
    if tracking == "serial" and line.serial and q > 0 and q != 1:
        out.add("serial_quantity")
    if tracking != "serial" and line.serial:
        out.add("serial_not_tracked")
    return out


def stored_balances(db: Database, org_id: int, prefix: str) -> dict[Key, Decimal]:
    """Non-zero balances of one example's items by names, as the model keeps them."""
    q = (
        select(locations.c.path, items.c.sku, lots.c.code, serials.c.serial, balances.c.qty)
        .select_from(balances)
        .join(items, items.c.id == balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .outerjoin(lots, lots.c.id == balances.c.lot_id)
        .outerjoin(serials, serials.c.id == balances.c.serial_id)
        .where(balances.c.org_id == org_id, balances.c.qty != 0)
        .where(items.c.sku.startswith(prefix))
    )
    with db.reading() as uow:
        return {
            (r.sku.removeprefix(prefix), r.path, r.code, r.serial): from_micro(r.qty)
            for r in uow.conn.execute(q)
        }


# --- the machine ------------------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    """One example: fresh items (a SKU prefix of their own) in an organisation shared by all
    examples of the test, so that each example does not pay for a new organisation."""

    db: Database  # set by the test before running
    world: World
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        LedgerMachine.examples += 1
        self.prefix = f"E{LedgerMachine.examples}-"
        item_service.create_items(
            self.db,
            self.w.actor,
            [
                item_service.ItemCreate(
                    sku=self.prefix + sku,
                    name=sku,
                    uom=uom,
                    precision=precision,
                    tracking=tracking,
                    shelf_life_days=shelf,
                )
                for sku, (uom, precision, tracking, shelf) in ITEMS.items()
            ],
        )
        self.model = Model()
        self.accepted: list[tuple[int, MovementInput]] = []  # movement id, what it moved
        self.keyed: dict[str, tuple[list[MovementInput], postings.PostingResult]] = {}
        self.reversed: dict[int, postings.PostingResult] = {}
        self.steps = 0

    @property
    def w(self) -> World:
        return self.world

    def _real(self, lines: list[MovementInput]) -> list[MovementInput]:
        """The lines with this example's SKUs (an unknown SKU stays unknown)."""
        return [replace(x, sku=self.prefix + x.sku) if x.sku in ITEMS else x for x in lines]

    def _snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return snapshot(self.db, self.w.org_id)

    def _attempt(self, lines: list[MovementInput], key: str | None) -> None:
        reasons, deltas = self.model.judge(lines)
        before = self._snapshot()
        try:
            result = postings.post_movements(
                self.db, self.w.actor, self._real(lines), idempotency_key=key
            )
        except OnhandError as exc:
            refusal = exc
        else:
            refusal = None
        STATS[refusal.code if refusal else "accepted"] += 1
        if refusal is not None:
            assert reasons, f"refused a valid posting: {refusal.code}: {refusal.message}"
            assert refusal.code in reasons, f"{refusal.code} ({refusal.message}) not in {reasons}"
            assert self._snapshot() == before, "a refused posting changed something"
            return
        assert not reasons, f"accepted a posting the model refuses for {reasons}"
        assert not result.replayed
        assert len(result.movement_ids) == len(lines)
        self.model.apply(lines, deltas)
        self.accepted.extend(zip(result.movement_ids, lines, strict=True))
        if key is not None:
            self.keyed[key] = (lines, result)
        self._check_balances()

    def _check_balances(self) -> None:
        want = self.model.nonzero()
        assert stored_balances(self.db, self.w.org_id, self.prefix) == want

    @rule(lines=a_posting, keyed=st.booleans())
    def post(self, lines: list[MovementInput], keyed: bool) -> None:
        self.steps += 1
        key = f"{self.prefix}k-{self.steps}" if keyed else None
        self._attempt(lines, key)

    @rule(lines=st.lists(a_receipt(), min_size=1, max_size=3))
    def receive(self, lines: list[MovementInput]) -> None:
        self.steps += 1
        self._attempt(lines, None)

    def _on_hand(self) -> list[Key]:
        return sorted(
            (k for k, v in self.model.balances.items() if v > 0 and k[1] in STOCK_PATHS),
            key=str,
        )

    @precondition(lambda self: bool(self._on_hand()))
    @rule(data=st.data())
    def move_stock_on_hand(self, data: st.DataObject) -> None:
        """Transfers, sales and scrap of stock the model says is there (sometimes a bit more)."""
        lines = []
        for _ in range(data.draw(st.integers(1, 3))):
            key = data.draw(st.sampled_from(self._on_hand()))
            sku, source, lot, serial = key
            have = self.model.balances[key]
            quantity = data.draw(st.sampled_from([have, min(have, Decimal(1)), have + 1]))
            destination = data.draw(
                st.sampled_from([*STOCK_PATHS, "@customer", "@scrap", "@transit"])
            )
            known = self.model.lot_expiry.get(lot) if lot else None
            lines.append(
                MovementInput(
                    sku=sku,
                    from_location=source,
                    to_location=destination,
                    quantity=quantity,
                    lot=lot,
                    serial=serial,
                    expiry_date=data.draw(st.sampled_from([None, known])),
                )
            )
        self.steps += 1
        self._attempt(lines, f"{self.prefix}m-{self.steps}")

    @precondition(lambda self: bool(self.keyed))
    @rule(data=st.data())
    def retry_with_the_same_key_and_payload(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.keyed)))
        lines, first = self.keyed[key]
        before = self._snapshot()
        again = postings.post_movements(
            self.db, self.w.actor, self._real(lines), idempotency_key=key
        )
        assert again.replayed
        assert (again.posting_id, again.movement_ids) == (first.posting_id, first.movement_ids)
        assert self._snapshot() == before

    @precondition(lambda self: bool(self.keyed))
    @rule(data=st.data(), other=a_posting)
    def retry_with_the_same_key_and_another_payload(
        self, data: st.DataObject, other: list[MovementInput]
    ) -> None:
        key = data.draw(st.sampled_from(sorted(self.keyed)))
        if other == self.keyed[key][0]:
            return
        before = self._snapshot()
        with pytest.raises(OnhandError) as info:
            postings.post_movements(self.db, self.w.actor, self._real(other), idempotency_key=key)
        # A payload that is refused for its own sake may say so first; never a double post.
        assert info.value.code in {"idempotency_key_reused", *self.model.judge(other)[0]}
        assert self._snapshot() == before

    @precondition(lambda self: bool(self.accepted))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        movement_id, line = data.draw(st.sampled_from(self.accepted))
        before = self._snapshot()
        if movement_id in self.reversed:
            # Retried: the default key answers with the first reversal.
            again = postings.reverse_movement(self.db, self.w.actor, movement_id)
            assert again.replayed
            assert again.movement_ids == self.reversed[movement_id].movement_ids
            assert self._snapshot() == before
            return
        back = MovementInput(
            sku=line.sku,
            from_location=line.to_location,
            to_location=line.from_location,
            quantity=line.quantity,
            lot=line.lot,
            serial=line.serial,
        )
        reasons, deltas = self.model.judge([back])
        try:
            result = postings.reverse_movement(self.db, self.w.actor, movement_id)
        except OnhandError as exc:
            refusal = exc
        else:
            refusal = None
        STATS["reversal " + (refusal.code if refusal else "accepted")] += 1
        if refusal is not None:
            assert refusal.code in reasons, f"{refusal.code} ({refusal.message}) not in {reasons}"
            assert self._snapshot() == before
            return
        assert not reasons, f"accepted a reversal the model refuses for {reasons}"
        self.model.apply([back], deltas)
        self.reversed[movement_id] = result
        self.accepted.append((result.movement_ids[0], back))
        self._check_balances()

    @rule()
    def reverse_an_unknown_movement(self) -> None:
        before = self._snapshot()
        with pytest.raises(NotFound):
            postings.reverse_movement(self.db, self.w.actor, 10**12)
        assert self._snapshot() == before

    @invariant()
    def the_ledger_verifies(self) -> None:
        # Every few steps: verify reads the whole organisation's ledger.
        if self.steps % 4 == 0:
            report = verify.verify(self.db, org_id=self.w.org_id)
            assert report.findings == []

    def teardown(self) -> None:
        report = verify.verify(self.db, org_id=self.w.org_id)
        assert report.findings == []


def test_random_postings_keep_every_invariant(db: Database, database_url: str) -> None:
    LedgerMachine.db = db
    STATS.clear()
    LedgerMachine.world = build_world(db, make_org(db).actor)
    examples = 30 if database_url.startswith("sqlite") else 15
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # The whole database (every organisation the examples made) verifies, checkpoints too.
    verify.checkpoint(db)
    assert verify.verify(db).findings == []
    refused = sum(n for code, n in STATS.items() if "accepted" not in code)
    # Guards against a generator that stopped exercising one side (typically 3-6 per example).
    assert STATS["accepted"] >= examples, STATS
    assert refused >= examples // 2, STATS
    assert STATS["reversal accepted"] > 0, STATS
