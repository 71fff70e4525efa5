"""The valuation engine against textbook perpetual-inventory examples and hand calculations.

Textbook cases name their source. Houston Electronics is the example of Weygandt, Kimmel and
Kieso, *Accounting Principles*, appendix 6A (illustrations 6A-2 to 6A-4, perpetual FIFO, LIFO
and moving average); its moving-average figures ($6,233 cost of goods sold, $5,767 ending
inventory, $12.816 a unit) were checked in a reproduction of the illustration. The "March"
exercise (100 @ $50, 400 @ $55, ...) is a perpetual FIFO / LIFO / average exercise whose worked
answers were checked in public course material. Every other case is a hand calculation written
out in its comment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import FACTOR
from onhand.domain.valuation import (
    COGS_KINDS,
    Entry,
    Fact,
    ItemValuation,
    Kind,
    Method,
    allocate,
    check_method,
    share,
)

WH, WH2, TRANSIT = 1, 2, 3
DAY0 = datetime(2026, 1, 1, tzinfo=UTC)


def cents(value: str | int) -> int:
    return int(Decimal(value) * FACTOR)


class Book:
    """A small driver: numbered movements, all at one warehouse unless told otherwise."""

    def __init__(self, method: Method, standard: str = "0") -> None:
        self.v = ItemValuation(method=Method(method), standard_cost=cents(standard))
        self.n = 0
        self.entries: list[Entry] = []

    def _fact(self, qty: int, src: int | None, dst: int | None, **kw: object) -> int:
        self.n += 1
        fact = Fact(
            movement_id=self.n,
            at=DAY0 + timedelta(days=self.n),
            qty=qty * FACTOR,
            source_scope=src,
            destination_scope=dst,
            source_kind=str(kw.pop("source_kind", "internal")),
            destination_kind=str(kw.pop("destination_kind", "internal")),
            **kw,  # type: ignore[arg-type]
        )
        self.entries += self.v.post(fact)
        return self.n

    def buy(self, qty: int, unit: str, at: int = WH) -> int:
        value = qty * cents(unit)
        return self._fact(qty, None, at, source_kind="supplier", value=value)

    def sell(self, qty: int, at: int = WH) -> int:
        return self._fact(qty, at, None, destination_kind="customer")

    def lose(self, qty: int, at: int = WH) -> int:
        return self._fact(qty, at, None, destination_kind="adjustment")

    def move(self, qty: int, src: int, dst: int) -> int:
        return self._fact(qty, src, dst)

    def value(self, scope: int = WH) -> Decimal:
        return Decimal(self.v.positions[scope].value) / FACTOR

    def cogs(self) -> Decimal:
        return Decimal(sum(e.expense for e in self.entries if e.kind in COGS_KINDS)) / FACTOR

    def last_issue(self) -> Decimal:
        return Decimal(-self.entries[-1].value) / FACTOR


def houston(method: Method) -> Book:
    """Jan 1 100 @ $10, Apr 15 200 @ $11, Aug 24 300 @ $12, Sep 10 sell 550, Nov 27 400 @ $13."""
    b = Book(method)
    b.buy(100, "10")
    b.buy(200, "11")
    b.buy(300, "12")
    b.sell(550)
    b.buy(400, "13")
    return b


def test_houston_electronics_perpetual_fifo() -> None:
    b = houston(Method.FIFO)
    # 100 @ 10 + 200 @ 11 + 250 @ 12 = 6,200; left 50 @ 12 + 400 @ 13 = 5,800.
    assert b.cogs() == Decimal("6200")
    assert b.value() == Decimal("5800")


def test_houston_electronics_perpetual_lifo() -> None:
    b = houston(Method.LIFO)
    # 300 @ 12 + 200 @ 11 + 50 @ 10 = 6,300; left 50 @ 10 + 400 @ 13 = 5,700.
    assert b.cogs() == Decimal("6300")
    assert b.value() == Decimal("5700")


def test_houston_electronics_moving_average_matches_the_book_to_the_dollar() -> None:
    b = houston(Method.AVERAGE)
    # 6,800 / 600 = 11.333...; 550 of them 6,233.33; 50 left 566.67 + 5,200 = 5,766.67.
    assert round(b.cogs()) == 6233
    assert round(b.value()) == 5767
    assert b.cogs() == Decimal("6233.333333")
    assert b.value() + b.cogs() == Decimal("12000")  # nothing lost to rounding
    unit = b.value() / 450
    assert round(unit, 3) == Decimal("12.815")  # the book rounds 12.8148 up to 12.816 via $5,767


def march_exercise(method: Method) -> Book:
    """Mar 1 100 @ 50, Mar 5 400 @ 55, Mar 9 sell 420, Mar 18 120 @ 60, Mar 25 200 @ 62,
    Mar 29 sell 160."""
    b = Book(method)
    b.buy(100, "50")
    b.buy(400, "55")
    b.sell(420)
    b.buy(120, "60")
    b.buy(200, "62")
    b.sell(160)
    return b


@pytest.mark.parametrize(
    ("method", "cogs", "ending"),
    [
        (Method.FIFO, "31800", "14800"),  # 22,600 + 9,200; 40 @ 60 + 200 @ 62
        (Method.LIFO, "32920", "13680"),  # 23,000 + 9,920; 80 @ 50 + 120 @ 60 + 40 @ 62
        (Method.AVERAGE, "32248", "14352"),  # 420 @ 54 + 160 @ 59.80; 240 @ 59.80
    ],
)
def test_march_exercise(method: Method, cogs: str, ending: str) -> None:
    b = march_exercise(method)
    assert b.cogs() == Decimal(cogs)
    assert b.value() == Decimal(ending)


def test_a_count_loss_in_the_middle_of_the_layers_takes_the_oldest_under_fifo() -> None:
    b = Book(Method.FIFO)
    b.buy(100, "10")
    b.buy(200, "11")
    b.lose(30)  # 30 @ 10 = 300, shrinkage, not cost of goods sold
    assert b.entries[-1].kind is Kind.ADJUSTMENT
    assert b.entries[-1].expense == cents("300")
    b.sell(150)  # 70 @ 10 + 80 @ 11 = 1,580
    assert b.last_issue() == Decimal("1580")
    assert b.value() == Decimal("1320")  # 120 @ 11
    assert b.cogs() == Decimal("1580")


def test_a_count_gain_comes_in_at_the_current_unit_cost() -> None:
    b = Book(Method.AVERAGE)
    b.buy(10, "4")
    b.buy(10, "6")
    b._fact(5, None, WH, source_kind="adjustment")  # found 5 at the average 5.00
    assert b.entries[-1].kind is Kind.ADJUSTMENT
    assert b.entries[-1].value == cents("25")
    assert b.entries[-1].expense == -cents("25")  # a gain
    assert b.value() == Decimal("125")


def test_a_customer_return_comes_back_at_the_cost_it_was_sold_at() -> None:
    b = Book(Method.FIFO)
    b.buy(10, "4")
    b.buy(10, "6")
    b.sell(12)  # 10 @ 4 + 2 @ 6 = 52
    back = share(cents("52"), 3, 12)  # 3 of the 12 come back: 13
    b._fact(3, None, WH, source_kind="customer", value=back)
    assert b.entries[-1].kind is Kind.CUSTOMER_RETURN
    assert b.entries[-1].value == cents("13")
    assert b.cogs() == Decimal("39")  # 52 - 13
    assert b.value() == Decimal("61")  # 8 @ 6 + 3 returned


def test_a_return_to_the_supplier_reverses_its_own_receipt_first() -> None:
    b = Book(Method.FIFO)
    b.buy(10, "4")
    bad = b.buy(10, "6")
    b._fact(4, WH, None, destination_kind="supplier", reverses=bad)
    assert b.entries[-1].kind is Kind.SUPPLIER_RETURN
    assert b.entries[-1].value == -cents("24")  # the returned 4 @ 6, not the oldest @ 4
    assert b.entries[-1].expense == 0
    assert b.value() == Decimal("76")


def test_a_landed_cost_after_receipt_splits_between_stock_and_cost_of_goods_sold() -> None:
    b = Book(Method.FIFO)
    receipt = b.buy(100, "10")
    b.sell(40)
    # Freight of 50 arrives later: 60 still here take 30, the 40 sold take 20.
    b.entries += b.v.add_cost(receipt, 100 * FACTOR, cents("50"), DAY0, origin_scope=WH)
    assert b.value() == Decimal("630")
    assert b.cogs() == Decimal("420")
    b.sell(60)
    assert b.last_issue() == Decimal("630")  # the freight leaves with the goods


def test_a_landed_cost_under_average_raises_the_average() -> None:
    b = Book(Method.AVERAGE)
    receipt = b.buy(100, "10")
    b.buy(100, "12")
    b.entries += b.v.add_cost(receipt, 100 * FACTOR, cents("100"), DAY0, origin_scope=WH)
    assert b.value() == Decimal("2300")
    b.sell(50)
    assert b.last_issue() == Decimal("575")


def test_standard_cost_books_the_difference_as_a_purchase_price_variance() -> None:
    b = Book(Method.STANDARD, standard="10")
    receipt = b.buy(100, "10.50")
    ppv = [e for e in b.entries if e.kind is Kind.PPV]
    assert [e.expense for e in ppv] == [cents("50")]
    assert b.value() == Decimal("1000")
    b.sell(30)
    assert b.last_issue() == Decimal("300")
    b.entries += b.v.add_cost(receipt, 100 * FACTOR, cents("20"), DAY0, origin_scope=WH)
    assert b.value() == Decimal("700")  # freight is a variance, not stock
    assert sum(e.expense for e in b.entries if e.kind is Kind.PPV) == cents("70")


def test_changing_the_standard_cost_revalues_the_stock_held() -> None:
    b = Book(Method.STANDARD, standard="10")
    b.buy(100, "10")
    b.sell(40)
    entries = b.v.revalue(Method.STANDARD, cents("12"), DAY0)
    assert [(e.kind, e.value, e.expense) for e in entries] == [
        (Kind.REVALUATION, cents("120"), -cents("120"))
    ]
    assert b.value() == Decimal("720")


def test_switching_average_to_fifo_revalues_to_the_open_layers() -> None:
    b = Book(Method.AVERAGE)
    b.buy(10, "4")
    b.buy(10, "6")
    b.sell(10)  # average: 50; layers (consumed oldest first): 10 @ 6 left
    assert b.value() == Decimal("50")
    entries = b.v.revalue(Method.FIFO, 0, DAY0)
    assert [e.value for e in entries] == [cents("10")]
    assert b.value() == Decimal("60")


def test_a_transfer_moves_value_and_keeps_the_age_of_the_stock() -> None:
    b = Book(Method.FIFO)
    first = b.buy(10, "4")
    b.buy(10, "6")
    b.move(15, WH, TRANSIT)
    out, into = b.entries[-2:]
    assert (out.kind, out.value, into.kind, into.value) == (
        Kind.TRANSFER_OUT,
        -cents("70"),
        Kind.TRANSFER_IN,
        cents("70"),
    )
    assert out.expense == into.expense == 0
    layers = b.v.positions[TRANSIT].layers
    assert [(x.origin, x.qty // FACTOR) for x in layers] == [(first, 10), (first + 1, 5)]
    assert layers[0].received_at == DAY0 + timedelta(days=first)
    b.move(15, TRANSIT, WH2)
    assert b.value(WH2) == Decimal("70")
    assert b.value(TRANSIT) == 0
    assert b.cogs() == 0


def test_a_move_inside_a_warehouse_values_nothing() -> None:
    b = Book(Method.FIFO)
    b.buy(10, "4")
    b.move(5, WH, WH)
    assert len(b.entries) == 1


def test_stock_sold_short_is_settled_by_the_next_receipt() -> None:
    b = Book(Method.FIFO)
    b.buy(10, "4")
    b.sell(15)  # 10 @ 4 + 5 short, estimated at the last cost 4: 60
    assert b.last_issue() == Decimal("60")
    assert b.value() == Decimal("-20")
    b.buy(20, "5")  # 5 settle the shortfall at 5 (estimate 4): settlement 5 more of COGS
    settlement = [e for e in b.entries if e.kind is Kind.SETTLEMENT]
    assert [(e.value, e.expense) for e in settlement] == [(-cents("5"), cents("5"))]
    assert b.value() == Decimal("75")  # 15 @ 5
    assert b.cogs() == Decimal("65")  # 10 @ 4 + 5 @ 5


def test_an_issue_with_nothing_known_takes_the_catalogue_cost() -> None:
    b = Book(Method.FIFO, standard="3")
    b.sell(2)
    assert b.last_issue() == Decimal("6")


def test_an_unknown_method_is_refused_with_its_name() -> None:
    with pytest.raises(InvalidInput, match="valuation method 'hifo'") as err:
        check_method("hifo")
    assert err.value.code == "invalid_valuation_method"


steps = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "lose", "move", "back"]),
        st.integers(min_value=1, max_value=50),
        st.integers(min_value=0, max_value=2000),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(method=st.sampled_from(list(Method)), script=steps)
def test_entries_always_add_up_to_the_book_value_and_quantity(
    method: Method, script: list[tuple[str, int, int]]
) -> None:
    """Whatever happens, each scope's value is the sum of its entries, its quantity the sum of
    their quantities, its layers hold its stock, and no layer goes below zero."""
    b = Book(method, standard="7.5")
    for op, qty, cost in script:
        if op == "buy":
            b.buy(qty, str(Decimal(cost) / 100))
        elif op == "sell":
            b.sell(qty)
        elif op == "lose":
            b.lose(qty)
        elif op == "move":
            b.move(qty, WH, WH2)
        else:
            b.move(qty, WH2, WH)
    for scope, pos in b.v.positions.items():
        mine = [e for e in b.entries if e.scope == scope]
        assert pos.value == sum(e.value for e in mine)
        assert pos.qty == sum(e.qty for e in mine)
        assert pos.qty == sum(x.qty for x in pos.layers) - pos.short_qty
        assert all(x.qty > 0 for x in pos.layers)
        assert pos.short_qty == max(0, -pos.qty)
        if method in (Method.FIFO, Method.LIFO):
            assert pos.value == pos.layer_value()


def test_allocation_splits_exactly_by_the_largest_remainder() -> None:
    # 100 by 1:1:1 = 33.33 each: the first takes the spare unit.
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    # 10 by 2:3:5 is exact.
    assert allocate(10, [2, 3, 5]) == [2, 3, 5]
    # 7 by 1:2 = 2.33 and 4.67: the larger remainder (the second) takes the spare unit.
    assert allocate(7, [1, 2]) == [2, 5]
    assert allocate(0, [1, 2]) == [0, 0]
    assert allocate(5, [0, 3]) == [0, 5]
    with pytest.raises(ValueError, match="not all zero"):
        allocate(5, [0, 0])


@given(
    amount=st.integers(min_value=0, max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(
        lambda w: sum(w) > 0
    ),
)
def test_allocation_always_adds_up_and_is_within_one_unit_of_the_exact_share(
    amount: int, weights: list[int]
) -> None:
    shares = allocate(amount, weights)
    assert sum(shares) == amount
    total = sum(weights)
    for s, w in zip(shares, weights, strict=True):
        assert abs(s * total - amount * w) < total
