"""The forecasting engine on synthetic series whose right answer is clear.

One run fits every kind of series together (statsforecast's AutoETS costs ~0.15 s per fit, so
the number of fits is kept small); the tests then read that run.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from onhand.domain.errors import InvalidInput
from onhand.domain.replenishment import DemandPattern
from onhand.planning.forecasting import (
    INTERMITTENT_METHODS,
    SMOOTH_METHODS,
    ForecastRun,
    ForecastStatus,
    forecast,
)

H, M, W = 4, 12, 3
TEST_SPAN = H + (W - 1)  # step size 1
N = 72


def _true_season(t: np.ndarray) -> np.ndarray:
    return 50 + 30 * np.sin(t * 2 * np.pi / M)


def _series() -> dict[str, list]:
    rng = np.random.default_rng(7)
    t = np.arange(N)
    seasonal = (_true_season(t) + rng.normal(0, 2, N)).round(1)
    rng = np.random.default_rng(3)
    intermittent = np.where(rng.random(120) < 0.2, rng.integers(8, 13, 120), 0).astype(float)
    return {
        "seasonal": seasonal.tolist(),
        "intermittent": intermittent.tolist(),
        "zero": [0] * 40,
        "short": [Decimal("3"), Decimal("0"), Decimal("5")],
        "constant": [4] * 40,
        # nothing before the backtest, then demand: MASE has no scale, nothing breaks
        "new_item": [0] * (40 - TEST_SPAN) + [5, 6, 4, 5, 7, 5],
    }


@pytest.fixture(scope="module")
def data() -> dict[str, list]:
    return _series()


@pytest.fixture(scope="module")
def run(data: dict[str, list]) -> ForecastRun:
    return forecast(data, horizon=H, season_length=M, backtest_windows=W)


def _backtest_points(y: list, h: int = H, windows: int = W) -> list[np.ndarray]:
    """The actual values each backtest window forecasts (origins one step apart)."""
    values = np.asarray([float(v) for v in y])
    first = len(values) - (h + windows - 1)
    return [values[first + k : first + k + h] for k in range(windows)]


def test_seasonal_series_picks_a_seasonal_model_and_beats_naive(
    run: ForecastRun, data: dict[str, list]
) -> None:
    result = run.series["seasonal"]
    assert result.status is ForecastStatus.BACKTESTED
    assert result.pattern is DemandPattern.SMOOTH
    assert result.method in SMOOTH_METHODS
    assert set(result.candidates) == set(SMOOTH_METHODS)
    # the naive method (last value carried forward) on the same windows, by hand
    y = np.asarray(data["seasonal"])
    first = N - TEST_SPAN
    naive_errors = [
        abs(y[first + k - 1] - v)
        for k, points in enumerate(_backtest_points(data["seasonal"]))
        for v in points
    ]
    assert result.accuracy is not None
    assert result.accuracy.mae < 0.5 * np.mean(naive_errors)
    assert result.accuracy.mase is not None
    assert result.accuracy.mase < 1.5
    assert result.accuracy.rmse <= result.candidates["SeasonalNaive"].rmse
    # the forecast follows the season it was given
    expected = _true_season(np.arange(N, N + H))
    assert np.allclose(result.forecast, expected, atol=6)


def test_intermittent_series_is_classified_and_picks_an_intermittent_method(
    run: ForecastRun,
) -> None:
    result = run.series["intermittent"]
    assert result.pattern is DemandPattern.INTERMITTENT
    assert result.adi is not None
    assert result.adi >= 1.32
    assert result.method in set(INTERMITTENT_METHODS) - {"SeasonalNaive"}
    assert set(result.candidates) == set(INTERMITTENT_METHODS)
    # a flat rate near the mean demand per period (about 0.2 x 10), not a copy of past spikes
    assert len(set(result.forecast)) == 1
    assert 1.0 < result.forecast[0] < 3.5


def test_all_zero_series_forecasts_zero_and_says_so(run: ForecastRun) -> None:
    result = run.series["zero"]
    assert result.status is ForecastStatus.NO_DEMAND
    assert result.forecast == (0.0,) * H
    assert result.accuracy is None
    assert result.pattern is None
    assert "no demand" in result.note


def test_short_series_falls_back_to_its_mean_and_says_so(run: ForecastRun) -> None:
    result = run.series["short"]
    assert result.status is ForecastStatus.TOO_SHORT
    assert result.method == "HistoricAverage"
    assert result.forecast == pytest.approx((8 / 3,) * H)
    assert result.accuracy is None
    assert result.error_rmse_by_step is None
    # 12 (a season) + 3 + 6 (the backtest's span) periods needed
    assert "fewer than the 21" in result.note


def test_constant_series_is_exact_and_has_no_mase(run: ForecastRun) -> None:
    result = run.series["constant"]
    assert result.status is ForecastStatus.BACKTESTED
    assert result.forecast == pytest.approx((4.0,) * H)
    assert result.accuracy is not None
    assert result.accuracy.mase is None  # a flat history has no seasonal naive error to scale by
    assert result.accuracy.wape == pytest.approx(0.0)


def test_series_without_history_before_the_backtest(run: ForecastRun) -> None:
    result = run.series["new_item"]
    assert result.status is ForecastStatus.BACKTESTED
    assert result.accuracy is not None
    assert result.accuracy.mase is None
    assert all(v >= 0 and math.isfinite(v) for v in result.forecast)


def test_error_spread_per_step_adds_up_to_the_rmse(run: ForecastRun) -> None:
    for key in ("seasonal", "intermittent", "constant"):
        result = run.series[key]
        assert result.error_rmse_by_step is not None
        assert result.accuracy is not None
        assert len(result.error_rmse_by_step) == H
        # each step has one error per window, so the steps' mean squares average to the MSE
        mean_square = np.mean(np.square(result.error_rmse_by_step))
        assert mean_square == pytest.approx(result.accuracy.rmse**2)


def test_overall_accuracy_aggregates_the_backtested_series(
    run: ForecastRun, data: dict[str, list]
) -> None:
    backtested = [k for k, r in run.series.items() if r.status is ForecastStatus.BACKTESTED]
    assert sorted(backtested) == ["constant", "intermittent", "new_item", "seasonal"]
    assert run.counts == {"backtested": 4, "no_demand": 1, "too_short": 1}
    demand = {k: sum(p.sum() for p in _backtest_points(data[k])) for k in backtested}
    assert all(d > 0 for d in demand.values())
    points = W * H
    abs_errors = sum(run.series[k].accuracy.mae * points for k in backtested)
    errors = sum(run.series[k].accuracy.bias * demand[k] for k in backtested)
    assert run.overall.series == 4
    assert run.overall.wape == pytest.approx(abs_errors / sum(demand.values()))
    assert run.overall.bias == pytest.approx(errors / sum(demand.values()))
    mases = [run.series[k].accuracy.mase for k in backtested]
    defined = [m for m in mases if m is not None]
    assert len(defined) == 2
    assert run.overall.mase_mean == pytest.approx(sum(defined) / 2)
    baseline_abs = sum(run.series[k].candidates["SeasonalNaive"].mae * points for k in backtested)
    assert run.baseline.wape == pytest.approx(baseline_abs / sum(demand.values()))
    assert run.overall.wape < run.baseline.wape


def test_bucket_sets_the_season_and_nothing_is_fitted_for_short_series() -> None:
    run = forecast({"a": [1, 2, 3]}, horizon=2, bucket="month")
    assert run.season_length == 12
    assert run.series["a"].status is ForecastStatus.TOO_SHORT
    assert forecast({"a": [1]}, horizon=1, bucket="day").season_length == 7
    assert forecast({"a": [1]}, horizon=1).season_length == 52  # weeks by default
    assert forecast({"a": [1]}, horizon=1, season_length=4, bucket="day").season_length == 4


def test_no_series_gives_an_empty_run() -> None:
    run = forecast({}, horizon=3, season_length=4)
    assert run.series == {}
    assert run.overall.series == 0
    assert run.overall.wape is None


@pytest.mark.parametrize(
    ("series", "options", "code"),
    [
        ({"a": [1, -1]}, {}, "invalid_demand"),
        ({"a": [1, float("nan")]}, {}, "invalid_demand"),
        ({"a": [1, float("inf")]}, {}, "invalid_demand"),
        ({"a": [1, True]}, {}, "invalid_demand"),
        ({"a": [1, "2"]}, {}, "invalid_demand"),
        ({"a": [1, Decimal("NaN")]}, {}, "invalid_demand"),
        ({"a": [1, Decimal("sNaN")]}, {}, "invalid_demand"),
        ({"a": [1, 10**400]}, {}, "invalid_demand"),
        ({"a": [1, Decimal("1e400")]}, {}, "invalid_demand"),
        ({"a": []}, {}, "invalid_demand_series"),
        ({"a": "12"}, {}, "invalid_demand_series"),
        ({"": [1]}, {}, "invalid_demand_series"),
        ([1, 2], {}, "invalid_demand_series"),
        ({"a": [1]}, {"horizon": 0}, "invalid_horizon"),
        ({"a": [1]}, {"horizon": 2.5}, "invalid_horizon"),
        ({"a": [1]}, {"horizon": 10**6}, "invalid_horizon"),
        ({"a": [1]}, {"season_length": 0}, "invalid_season_length"),
        ({"a": [1]}, {"bucket": "year"}, "invalid_bucket"),
        ({"a": [1]}, {"backtest_windows": 0}, "invalid_backtest"),
        ({"a": [1]}, {"step_size": -1}, "invalid_backtest"),
        ({"a": [1]}, {"n_jobs": 0}, "invalid_n_jobs"),
        ({"a": [1]}, {"tsb_alpha_d": 0}, "invalid_tsb_alpha"),
        ({"a": [1]}, {"tsb_alpha_p": 1.5}, "invalid_tsb_alpha"),
        ({"a": [1]}, {"ets_model": "ZZ"}, "invalid_ets_model"),
        ({"a": [1]}, {"ets_model": "NZZ"}, "invalid_ets_model"),
        ({"a": [1]}, {"ets_model": 3}, "invalid_ets_model"),
    ],
)
def test_bad_input_is_refused_with_a_code(series: object, options: dict, code: str) -> None:
    kwargs = {"horizon": 2, "season_length": 4, **options}
    with pytest.raises(InvalidInput) as refused:
        forecast(series, **kwargs)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert refused.value.message  # a sentence for a person


def test_two_processes_give_the_same_answer() -> None:
    rng = np.random.default_rng(5)
    sparse = {
        f"i{k}": np.where(rng.random(60) < 0.3, rng.integers(1, 9, 60), 0).tolist()
        for k in range(6)
    }
    one = forecast(sparse, horizon=3, season_length=4, n_jobs=1)
    two = forecast(sparse, horizon=3, season_length=4, n_jobs=2)
    assert one.counts == {"backtested": 6, "no_demand": 0, "too_short": 0}
    for key in sparse:
        assert two.series[key].method == one.series[key].method
        assert two.series[key].forecast == pytest.approx(one.series[key].forecast)
        assert two.series[key].accuracy == one.series[key].accuracy
