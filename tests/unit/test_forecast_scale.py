"""Forecasting at scale: the speed profiles and the Dask backend.

The Dask tests start a local cluster of 2 threaded workers in the test (no server to install) and
compare its answers with the local backend's on the same few dozen series (a few seconds).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest

from onhand.domain.errors import InvalidInput, Unavailable
from onhand.domain.replenishment import DemandPattern, classify_demand
from onhand.planning.forecasting import (
    AUTO_FULL_MAX_SERIES,
    DASK_ADDRESS_ENV,
    FAST_INTERMITTENT_METHODS,
    FAST_SMOOTH_METHODS,
    INTERMITTENT_METHODS,
    SMOOTH_METHODS,
    ForecastRun,
    ForecastStatus,
    forecast,
)

H, M, W = 3, 12, 3


def _series(smooth: int = 12, intermittent: int = 24, length: int = 60) -> dict[str, list]:
    """Seasonal smooth series and sparse intermittent ones, both classes present."""
    rng = np.random.default_rng(1)
    t = np.arange(length)
    series: dict[str, list] = {}
    for i in range(smooth):
        shape = 50 + 20 * np.sin(2 * np.pi * t / M + i)
        series[f"s{i:02d}"] = (shape + rng.normal(0, 3, length)).round(1).tolist()
    for i in range(intermittent):
        series[f"i{i:02d}"] = np.where(
            rng.random(length) < 0.3, rng.integers(1, 9, length), 0
        ).tolist()
    return series


@pytest.fixture(scope="module")
def data() -> dict[str, list]:
    return _series()


@pytest.fixture(scope="module")
def fast(data: dict[str, list]) -> ForecastRun:
    return forecast(data, horizon=H, season_length=M, backtest_windows=W, profile="fast")


def test_fast_profile_tries_the_cheap_candidates(fast: ForecastRun, data: dict[str, list]) -> None:
    assert fast.profile == "fast"
    assert fast.counts == {"backtested": len(data), "no_demand": 0, "too_short": 0}
    for key, result in fast.series.items():
        assert result.status is ForecastStatus.BACKTESTED
        expected = FAST_SMOOTH_METHODS if key.startswith("s") else FAST_INTERMITTENT_METHODS
        assert tuple(result.candidates) == expected
        assert result.method in expected
        assert len(result.forecast) == H
        assert min(result.forecast) >= 0
        assert result.error_rmse_by_step is not None
        assert len(result.error_rmse_by_step) == H
        # the winner has the lowest backtest RMSE of the candidates
        assert result.accuracy is not None
        assert result.accuracy.rmse == min(a.rmse for a in result.candidates.values())


def test_fast_profile_beats_seasonal_naive_on_seasonal_series(fast: ForecastRun) -> None:
    # seasonal naive repeats last year's noise; smoothing the season removes part of it
    smooth = [r for k, r in fast.series.items() if k.startswith("s")]
    assert {r.method for r in smooth} <= {"SeasonalNaive", "SeasESOpt", "SESOpt"}
    assert any(r.method == "SeasESOpt" for r in smooth)
    assert fast.overall.mase_mean is not None
    assert fast.baseline.mase_mean is not None
    assert fast.overall.mase_mean < fast.baseline.mase_mean


def test_full_is_the_default_profile() -> None:
    series = _series(smooth=1, intermittent=1)
    run = forecast(series, horizon=H, season_length=M)
    assert run.profile == "full"
    assert tuple(run.series["s00"].candidates) == SMOOTH_METHODS
    assert tuple(run.series["i00"].candidates) == INTERMITTENT_METHODS


def test_auto_profile_is_full_for_small_runs_and_fast_above_the_threshold() -> None:
    small = forecast(_series(smooth=1, intermittent=0), horizon=H, season_length=M, profile="auto")
    assert small.profile == "full"
    assert tuple(small.series["s00"].candidates) == SMOOTH_METHODS
    # too-short series are not fitted, so the choice of profile is all that is measured here
    many = {f"k{i}": [1, 2, 3] for i in range(AUTO_FULL_MAX_SERIES + 1)}
    big = forecast(many, horizon=H, season_length=M, profile="auto")
    assert big.profile == "fast"
    assert big.counts["too_short"] == AUTO_FULL_MAX_SERIES + 1
    exactly = dict(list(many.items())[:AUTO_FULL_MAX_SERIES])
    assert forecast(exactly, horizon=H, season_length=M, profile="auto").profile == "full"


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"profile": "quick"}, "invalid_forecast_profile"),
        ({"profile": None}, "invalid_forecast_profile"),
        ({"profile": 1}, "invalid_forecast_profile"),
        ({"profile": "FAST"}, "invalid_forecast_profile"),
        ({"backend": "ray"}, "invalid_forecast_backend"),
        ({"backend": None}, "invalid_forecast_backend"),
        ({"backend": "dask"}, "invalid_dask_address"),
        ({"backend": "dask", "dask_address": "  "}, "invalid_dask_address"),
        ({"backend": "dask", "dask_address": 8786}, "invalid_dask_address"),
    ],
)
def test_bad_profile_or_backend_is_refused_with_a_code(
    options: dict, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DASK_ADDRESS_ENV, raising=False)
    series = {"a": [1.0, 2.0, 3.0]}
    with pytest.raises(InvalidInput) as refused:
        forecast(series, horizon=2, season_length=4, **options)
    assert refused.value.code == code
    assert refused.value.message  # a sentence for a person
    assert series == {"a": [1.0, 2.0, 3.0]}


def test_an_unreachable_scheduler_is_unavailable_not_a_crash() -> None:
    # a bound socket that does not listen: connecting to it is refused at once
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        with pytest.raises(Unavailable) as refused:
            forecast(
                _series(smooth=0, intermittent=1),
                horizon=H,
                season_length=M,
                backend="dask",
                dask_address=f"tcp://127.0.0.1:{port}",
            )
    assert refused.value.code == "forecast_backend_unavailable"
    assert "cannot be reached" in refused.value.message


def test_an_address_that_is_not_one_is_unavailable() -> None:
    with pytest.raises(Unavailable) as refused:
        forecast(
            _series(smooth=0, intermittent=1),
            horizon=H,
            season_length=M,
            backend="dask",
            dask_address="scheduler-without-port",
        )
    assert refused.value.code == "forecast_backend_unavailable"


def test_nothing_to_fit_needs_no_scheduler() -> None:
    # no demand and too-short series are answered without contacting the (absent) cluster
    run = forecast(
        {"zero": [0, 0, 0], "short": [1, 2]},
        horizon=2,
        season_length=4,
        backend="dask",
        dask_address="tcp://127.0.0.1:1",
    )
    assert run.counts == {"backtested": 0, "no_demand": 1, "too_short": 1}


# The Dask backend --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


def _assert_same(local: ForecastRun, remote: ForecastRun) -> None:
    # Each series is fitted by the same StatsForecast code on a worker, alone or with others:
    # the answers are the same numbers, not merely close ones.
    assert remote.counts == local.counts
    assert remote.profile == local.profile
    for key, here in local.series.items():
        assert remote.series[key] == here, key
    assert remote.overall == local.overall
    assert remote.baseline == local.baseline


def test_dask_backend_gives_the_local_answer_fast_profile(
    cluster_address: str, fast: ForecastRun, data: dict[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the address from the environment, as a deployment would set it
    monkeypatch.setenv(DASK_ADDRESS_ENV, cluster_address)
    remote = forecast(
        data, horizon=H, season_length=M, backtest_windows=W, profile="fast", backend="dask"
    )
    assert remote.counts["backtested"] == len(data)
    _assert_same(fast, remote)


def test_dask_backend_gives_the_local_answer_full_profile(cluster_address: str) -> None:
    series = _series(smooth=3, intermittent=3)
    local = forecast(series, horizon=H, season_length=M, backtest_windows=W)
    remote = forecast(
        series,
        horizon=H,
        season_length=M,
        backtest_windows=W,
        backend="dask",
        dask_address=cluster_address,
    )
    assert {r.method for r in local.series.values()} & {"AutoETS", "AutoTheta"}
    _assert_same(local, remote)


def test_classes_are_those_of_classify_demand_on_and_near_the_cutoffs() -> None:
    # forecast() classifies in floats and sends what lies near a cut-off to the exact function;
    # too-short series are classified but not fitted, so this costs no model fit.
    rng = np.random.default_rng(9)
    series: dict[str, list] = {
        "cv2_on_cutoff": [17, 3],  # ((17 - 3) / 20)^2 = 0.49 exactly: variable
        "cv2_below": [17, 3.0001],
        "adi_on_cutoff": [0] * 8 + [5] * 25,  # 33 / 25 = 1.32 exactly: intermittent
        "adi_below": [0] * 7 + [5] * 25,
        "one_value": [0, 0, 7],
        "decimals": [0.1, 0.2, 0.30000000000000004, 0, 0.7],
    }
    for i in range(200):
        length = int(rng.integers(1, 40))
        hits = rng.random(length) < rng.uniform(0.2, 1)
        values = np.where(hits, rng.gamma(rng.uniform(0.5, 5), 10, length).round(2), 0)
        values[-1] = max(values[-1], 1.0)  # never all zero
        series[f"r{i}"] = values.tolist()
    run = forecast(series, horizon=40, season_length=52)
    assert run.counts["too_short"] == len(series)
    for key, values in series.items():
        exact = classify_demand(values)
        result = run.series[key]
        assert result.pattern is exact.pattern, key
        assert result.adi == exact.adi
        assert result.cv2 == pytest.approx(exact.cv2, rel=1e-9, abs=1e-12)
    assert run.series["cv2_on_cutoff"].pattern is DemandPattern.ERRATIC
    assert run.series["cv2_below"].pattern is DemandPattern.SMOOTH
    assert run.series["adi_on_cutoff"].pattern is DemandPattern.INTERMITTENT
    assert run.series["adi_below"].pattern is DemandPattern.SMOOTH


def test_fast_profile_leaves_out_seasonal_es_without_two_seasons_of_training() -> None:
    # 2 years of weeks: the first backtest window has less than 2 seasons, where seasonal ES
    # forecasts what seasonal naive does; with 3 years it is a candidate
    rng = np.random.default_rng(4)
    t = np.arange(156)
    year = 40 + 15 * np.sin(2 * np.pi * t / 52)
    series = {
        "two_years": (year[:104] + rng.normal(0, 2, 104)).round(1).tolist(),
        "three_years": (year + rng.normal(0, 2, 156)).round(1).tolist(),
    }
    run = forecast(series, horizon=4, bucket="week", profile="fast")
    assert tuple(run.series["two_years"].candidates) == ("SeasonalNaive", "SESOpt")
    assert tuple(run.series["three_years"].candidates) == FAST_SMOOTH_METHODS


def test_backtest_without_refit_changes_only_the_updatable_group() -> None:
    series = _series(smooth=2, intermittent=2)
    refit = forecast(series, horizon=H, season_length=M, backtest_windows=W)
    once = forecast(series, horizon=H, season_length=M, backtest_windows=W, refit_backtest=False)
    for key in ("i00", "i01"):  # Croston and the others cannot be updated: refitted as before
        assert once.series[key] == refit.series[key]
    for key in ("s00", "s01"):
        assert tuple(once.series[key].candidates) == SMOOTH_METHODS
        # seasonal naive updated with new data is seasonal naive refitted
        assert (
            once.series[key].candidates["SeasonalNaive"]
            == (refit.series[key].candidates["SeasonalNaive"])
        )
        # the final forecast is always a fit on the whole history
        if once.series[key].method == refit.series[key].method:
            assert once.series[key].forecast == refit.series[key].forecast


@pytest.mark.parametrize("value", ["no", 0, None])
def test_refit_backtest_must_be_a_boolean(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        forecast({"a": [1.0]}, horizon=1, season_length=4, refit_backtest=value)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_backtest"
    assert "refit_backtest" in refused.value.message
