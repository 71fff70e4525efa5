"""Stockout censoring (onhand.planning.censoring), on numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from onhand.domain.errors import InvalidInput
from onhand.planning.censoring import uncensored


def test_partial_buckets_are_scaled_and_wholly_out_ones_take_the_mean_in_stock_rate() -> None:
    # Four weeks: in stock all week (7 sold), 3 days in stock (3 sold), out all week (nothing
    # sold), in stock (14 sold). In-stock days 7 + 3 + 0 + 7 = 17 with 7 + 3 + 14 = 24 sold:
    # 24/17 a day, so the empty week reads 7 * 24/17 = 168/17, not 0.
    qty = np.array([[7.0, 3.0, 0.0, 14.0]])
    days = np.array([7, 7, 7, 7])
    out = np.array([[0, 4, 7, 0]])
    adjusted, weight = uncensored(qty, days, out)
    assert adjusted[0] == pytest.approx([7.0, 7.0, 168 / 17, 14.0])  # 3 * 7/3 = 7
    assert weight[0] == pytest.approx([1.0, 3 / 7, 0.0, 1.0])


def test_each_row_uses_its_own_rate_and_partial_edge_buckets_their_own_days() -> None:
    # Buckets of 3, 7 and 5 days (a range that starts and ends mid-week).
    days = np.array([3, 7, 5])
    qty = np.array(
        [
            [6.0, 0.0, 5.0],  # in stock 3 + 0 + 5 = 8 days, 11 sold: 11/8 a day; 7 * 11/8
            [0.0, 2.0, 0.0],  # 1 in-stock day of 7 (2 sold): 14; the others wholly out: 2 a day
            [0.0, 0.0, 0.0],  # never in stock: nothing to go on, kept as observed
        ]
    )
    out = np.array([[0, 7, 0], [3, 6, 5], [3, 7, 5]])
    adjusted, weight = uncensored(qty, days, out)
    assert adjusted[0] == pytest.approx([6.0, 77 / 8, 5.0])
    assert adjusted[1] == pytest.approx([6.0, 14.0, 10.0])
    assert adjusted[2] == pytest.approx([0.0, 0.0, 0.0])
    assert weight[1] == pytest.approx([0.0, 1 / 7, 0.0])
    assert not weight[2].any()


def test_an_imputed_bucket_never_reads_below_what_was_sold_in_it() -> None:
    # A day bucket in which the item sold out counts as out of stock; its 9 sold stay, above the
    # in-stock rate of (1 + 1) / 2 = 1 a day.
    qty = np.array([[1.0, 9.0, 1.0]])
    days = np.array([1, 1, 1])
    adjusted, weight = uncensored(qty, days, np.array([[0, 1, 0]]))
    assert adjusted[0] == pytest.approx([1.0, 9.0, 1.0])
    assert weight[0] == pytest.approx([1.0, 0.0, 1.0])


def test_net_returns_never_impute_negative_demand() -> None:
    # More came back than went out while in stock: the rate is floored at 0.
    qty = np.array([[-2.0, 0.0]])
    adjusted, _ = uncensored(qty, np.array([7, 7]), np.array([[0, 7]]))
    assert adjusted[0] == pytest.approx([-2.0, 0.0])


@pytest.mark.parametrize(
    ("qty", "days", "out"),
    [
        (np.zeros(3), np.array([1, 1, 1]), np.zeros(3, dtype=int)),  # not 2-D
        (np.zeros((1, 2)), np.array([7]), np.zeros((1, 2), dtype=int)),  # days of another shape
        (np.zeros((1, 2)), np.array([7, 7]), np.array([[0, 8]])),  # more out days than days
        (np.zeros((1, 2)), np.array([7, 0]), np.array([[0, 0]])),  # an empty bucket
        (np.array([[1.0, np.nan]]), np.array([7, 7]), np.array([[0, 0]])),
    ],
)
def test_inconsistent_arrays_are_refused(
    qty: np.ndarray, days: np.ndarray, out: np.ndarray
) -> None:
    with pytest.raises(InvalidInput) as err:
        uncensored(qty, days, out)
    assert err.value.code == "invalid_demand_matrix"
