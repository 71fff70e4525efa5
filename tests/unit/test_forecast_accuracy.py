"""The accuracy measures on hand-checked numbers, and the properties they must keep."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.planning.accuracy import bias, mae, mase, rmse, seasonal_naive_scale, wape

ACTUAL = [2, 0, 4, 6]
# errors forecast - actual: +1, +1, -2, 0
FORECAST = [3, 1, 2, 6]


def test_mae_rmse_wape_bias_by_hand() -> None:
    assert mae(ACTUAL, FORECAST) == pytest.approx(1.0)  # (1 + 1 + 2 + 0) / 4
    assert rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt(1.5))  # (1 + 1 + 4 + 0) / 4
    assert wape(ACTUAL, FORECAST) == pytest.approx(4 / 12)  # |errors| 4 over demand 12
    assert bias(ACTUAL, FORECAST) == pytest.approx(0.0)  # +1 +1 -2 +0 = 0


def test_bias_sign_says_over_or_under_forecast() -> None:
    assert bias(ACTUAL, [4, 2, 4, 6]) == pytest.approx(4 / 12)  # 2 + 2 too many
    assert bias(ACTUAL, [0, 0, 4, 6]) == pytest.approx(-2 / 12)  # 2 too few


def test_seasonal_naive_scale_by_hand() -> None:
    history = [1, 3, 2, 5, 4]
    # season 1: |3-1|, |2-3|, |5-2|, |4-5| = 2, 1, 3, 1 -> 7 / 4
    assert seasonal_naive_scale(history, 1) == pytest.approx(1.75)
    # season 2: |2-1|, |5-3|, |4-2| = 1, 2, 2 -> 5 / 3
    assert seasonal_naive_scale(history, 2) == pytest.approx(5 / 3)
    # not longer than a season: nothing to difference
    assert math.isnan(seasonal_naive_scale(history, 5))
    with pytest.raises(ValueError, match="season_length"):
        seasonal_naive_scale(history, 0)


def test_mase_divides_mae_by_the_scale() -> None:
    assert mase(ACTUAL, FORECAST, 1.75) == pytest.approx(1 / 1.75)
    assert math.isnan(mase(ACTUAL, FORECAST, 0.0))
    assert math.isnan(mase(ACTUAL, FORECAST, float("nan")))


def test_undefined_without_demand() -> None:
    assert math.isnan(wape([0, 0], [1, 0]))
    assert math.isnan(bias([0, 0], [1, 0]))
    assert mae([0, 0], [1, 0]) == pytest.approx(0.5)


def test_rows_are_series() -> None:
    actual = np.array([ACTUAL, [1, 1, 1, 1]])
    forecast = np.array([FORECAST, [1, 1, 1, 3]])
    assert np.allclose(mae(actual, forecast), [1.0, 0.5])
    assert np.allclose(wape(actual, forecast), [4 / 12, 2 / 4])
    assert np.allclose(bias(actual, forecast), [0.0, 2 / 4])
    assert np.allclose(mase(actual, forecast, [2.0, 0.25]), [0.5, 2.0])
    # a zero scale or demand makes that row undefined, not the others
    result = mase(actual, forecast, [0.0, 0.25])
    assert math.isnan(result[0])
    assert result[1] == pytest.approx(2.0)


def test_shapes_must_match() -> None:
    with pytest.raises(ValueError, match="shape"):
        mae([1, 2], [1, 2, 3])


demand = st.lists(st.integers(0, 1000), min_size=3, max_size=30)


@given(demand, st.integers(1, 50), st.integers(1, 5))
def test_scale_free(values: list[int], factor: int, shift: int) -> None:
    """Measuring in dozens instead of units changes none of the scaled measures."""
    y = np.asarray(values, dtype=float)
    f = np.roll(y, shift)
    scale = seasonal_naive_scale(y, 1)
    for measure in (wape, bias):
        a, b = measure(y, f), measure(y * factor, f * factor)
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)
    a = mase(y, f, scale)
    b = mase(y * factor, f * factor, seasonal_naive_scale(y * factor, 1))
    assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


@given(demand, demand)
def test_bounds_for_non_negative_forecasts(values: list[int], other: list[int]) -> None:
    """WAPE is never negative and bias never below -1 (forecasting nothing) when demand >= 0."""
    n = min(len(values), len(other))
    y, f = np.asarray(values[:n], float), np.asarray(other[:n], float)
    if y.sum() > 0:
        assert wape(y, f) >= 0
        assert bias(y, f) >= -1 - 1e-12
        assert bias(y, np.zeros(n)) == pytest.approx(-1.0)
    assert rmse(y, f) >= mae(y, f) - 1e-9
