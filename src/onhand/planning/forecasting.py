"""Demand forecasting per series, with the method chosen by a rolling-origin backtest.

Each series is one item's demand per bucket (day, week or month), oldest first, zeros included.
Series are classified (Syntetos-Boylan, :func:`onhand.domain.replenishment.classify_demand`);
smooth and erratic series try seasonal naive, AutoETS and AutoTheta, intermittent and lumpy ones
seasonal naive, Croston SBA, TSB, ADIDA and IMAPA. All series of a group are fitted together by
one StatsForecast call (one long data frame), never model by model in a Python loop. The method
with the lowest backtest RMSE wins, and its final fit gives the forecast. Squared error is
minimised by the mean, which is what order quantities and safety stock need; absolute error (MAE,
and so MASE and WAPE) is minimised by the median, which for mostly-zero demand is 0, so choosing
by it would favour methods that forecast too little for intermittent items. Demand cannot be negative, so forecasts are floored at 0 in the backtest and
the result alike.

Series with no demand at all forecast 0, and series too short for the backtest fall back to the
mean of their history, each with a status and a note that say so.

A profile picks the candidates: "full" (above), "fast" (cheap smooth candidates: seasonal naive,
simple and seasonal exponential smoothing with optimised smoothing, for runs of thousands of
series), or "auto" (full up to :data:`AUTO_FULL_MAX_SERIES` series, fast above). The backend runs
the StatsForecast calls in this process ("local", with ``n_jobs`` processes) or on a Dask cluster
("dask": the same calls, each on a chunk of whole series, as tasks on the workers).
"""

from __future__ import annotations

import itertools
import math
import os
import socket
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    AutoTheta,
    CrostonSBA,
    SeasonalExponentialSmoothingOptimized,
    SeasonalNaive,
    SimpleExponentialSmoothingOptimized,
)

from onhand.domain.errors import InvalidInput, Unavailable
from onhand.domain.replenishment import (
    ADI_CUTOFF,
    CV2_CUTOFF,
    DemandPattern,
    DemandProfile,
    classify_demand,
)
from onhand.planning import accuracy

# Seasonal cycle of each bucket: a week of days, a year of weeks or months.
SEASON_LENGTHS: Mapping[str, int] = {"day": 7, "week": 52, "month": 12}
MAX_HORIZON = 1000
MAX_WINDOWS = 100
# A backtest's first training window needs one full season plus this many points (the seasonal
# naive forecast and the MASE scale need at least one season before them).
MIN_EXTRA_TRAINING = 3
BASELINE = "SeasonalNaive"
SMOOTH_METHODS = (BASELINE, "AutoETS", "AutoTheta")
INTERMITTENT_METHODS = (BASELINE, "CrostonSBA", "TSB", "ADIDA", "IMAPA")
# The fast profile's smooth candidates: each costs about what seasonal naive does (no model search),
# where AutoETS and AutoTheta cost hundreds of times more. The intermittent ones are cheap already.
FAST_SMOOTH_METHODS = (BASELINE, "SESOpt", "SeasESOpt")
FAST_INTERMITTENT_METHODS = INTERMITTENT_METHODS
PROFILES = ("full", "fast", "auto")
# "auto" runs the full profile up to this many series in one call, the fast one above.
AUTO_FULL_MAX_SERIES = 200
BACKENDS = ("local", "dask")
# The Dask scheduler's address when none is given (the variable onhand.config reads too).
DASK_ADDRESS_ENV = "ONHAND_PLANNING_DASK_ADDRESS"
DASK_CONNECT_TIMEOUT_S = 10
_ADI_CUTOFF = Fraction(str(ADI_CUTOFF))  # 1.32 exactly, as classify_demand compares it


class ForecastStatus(StrEnum):
    BACKTESTED = "backtested"
    NO_DEMAND = "no_demand"
    TOO_SHORT = "too_short"


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Backtest accuracy of one method on one series; None where a measure is undefined."""

    mae: float
    rmse: float
    mase: float | None
    wape: float | None
    bias: float | None
    points: int


@dataclass(frozen=True, slots=True)
class SeriesForecast:
    key: str
    status: ForecastStatus
    method: str
    pattern: DemandPattern | None
    adi: float | None
    cv2: float | None
    forecast: tuple[float, ...]
    accuracy: Accuracy | None
    # Root mean squared backtest error at each step ahead (1..horizon), over the windows: the
    # spread safety stock needs. None when the series was not backtested.
    error_rmse_by_step: tuple[float, ...] | None
    candidates: Mapping[str, Accuracy]
    note: str


@dataclass(frozen=True, slots=True)
class OverallAccuracy:
    """Accuracy over all backtested series: WAPE and bias weighted by volume, MASE as the mean."""

    series: int
    mase_mean: float | None
    wape: float | None
    bias: float | None


@dataclass(frozen=True, slots=True)
class ForecastRun:
    horizon: int
    season_length: int
    backtest_windows: int
    step_size: int
    series: dict[str, SeriesForecast]
    overall: OverallAccuracy
    # The seasonal naive method on the same series and windows, to compare against.
    baseline: OverallAccuracy
    counts: Mapping[str, int] = field(default_factory=dict)
    # The candidates used: "full" or "fast" ("auto" resolved).
    profile: str = "full"


def _positive_int(value: object, name: str, code: str, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{name} must be a whole number of at least 1, got {value!r}", code=code)
    if maximum is not None and value > maximum:
        raise InvalidInput(f"{name} must be at most {maximum}, got {value}", code=code)
    return value


def _alpha(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidInput(
            f"{name} must be above 0 and at most 1, got {value!r}", code="invalid_tsb_alpha"
        )
    return float(value)


def _demand_array(key: object, values: Sequence[float | int | Decimal]) -> np.ndarray:
    if not isinstance(key, str) or not key:
        raise InvalidInput(
            f"a series key must be a non-empty text, got {key!r}", code="invalid_demand_series"
        )
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or len(values) == 0:
        raise InvalidInput(
            f"series {key!r} must be a non-empty list of demand per period",
            code="invalid_demand_series",
        )
    # Plain ints and floats (the usual input) are checked as one array; anything else, or a bad
    # value, goes through the loop below, which names the period at fault.
    if set(map(type, values)) <= {int, float}:
        try:
            array = np.asarray(values, dtype=np.float64)
        except OverflowError:  # an int beyond the float range: the loop says which
            array = None
        if array is not None and np.isfinite(array).all() and (array >= 0).all():
            return array
    floats = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float | Decimal):
            raise InvalidInput(
                f"series {key!r}, period {i}: demand must be a number, got {v!r}",
                code="invalid_demand",
            )
        try:
            number = float(v)
        except (OverflowError, ValueError):  # an int beyond the float range, a signalling NaN
            number = math.inf
        if not math.isfinite(number) or number < 0:
            raise InvalidInput(
                f"series {key!r}, period {i}: demand must be a finite number of at least 0, got {v}",
                code="invalid_demand",
            )
        floats.append(number)
    return np.asarray(floats, dtype=np.float64)


def season_length_for(bucket: str) -> int:
    """The seasonal cycle of a bucket: 7 for days, 52 for weeks, 12 for months."""
    try:
        return SEASON_LENGTHS[bucket]
    except KeyError:
        raise InvalidInput(
            f"bucket must be one of day, week, month, got {bucket!r}", code="invalid_bucket"
        ) from None


def _ets_model(value: object) -> str:
    """An ETS model spec: error A/M/Z, trend N/A/M/Z, season N/A/M/Z (Z: let AutoETS choose)."""
    if (
        not isinstance(value, str)
        or len(value) != 3
        or value[0] not in "AMZ"
        or value[1] not in "NAMZ"
        or value[2] not in "NAMZ"
    ):
        raise InvalidInput(
            f"ets_model must be three letters (error A, M or Z; trend and season N, A, M or Z), got {value!r}",
            code="invalid_ets_model",
        )
    return value


def _models(methods: Sequence[str], settings: _Settings) -> list:
    season_length, alpha_d, alpha_p = settings.season_length, settings.alpha_d, settings.alpha_p
    makers = {
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season_length),
        "AutoETS": lambda: AutoETS(season_length=season_length, model=settings.ets_model),
        "AutoTheta": lambda: AutoTheta(season_length=season_length),
        "SESOpt": SimpleExponentialSmoothingOptimized,
        "SeasESOpt": lambda: SeasonalExponentialSmoothingOptimized(season_length=season_length),
        "CrostonSBA": CrostonSBA,
        "TSB": lambda: TSB(alpha_d=alpha_d, alpha_p=alpha_p),
        "ADIDA": ADIDA,
        "IMAPA": IMAPA,
    }
    return [makers[m]() for m in methods]


def _long_frame(keys: Sequence[str], arrays: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The long data frame StatsForecast fits at once: one row per series and period."""
    lengths = [arrays[k].size for k in keys]
    return pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(keys, dtype=object), lengths),
            "ds": np.concatenate([np.arange(n) for n in lengths]),
            "y": np.concatenate([arrays[k] for k in keys]),
        }
    )


def _fit(methods: Sequence[str], settings: _Settings, n_jobs: int) -> StatsForecast:
    return StatsForecast(
        models=_models(methods, settings),
        freq=1,
        n_jobs=n_jobs,
    )


# Runs one StatsForecast method ("cross_validation" or "forecast") on a long frame, here or on
# a cluster, and answers the pandas frame it returns.
_Runner = Callable[[StatsForecast, str, pd.DataFrame, dict[str, object]], pd.DataFrame]


def _local(
    sf: StatsForecast, name: str, frame: pd.DataFrame, options: dict[str, object]
) -> pd.DataFrame:
    return getattr(sf, name)(df=frame, **options)


def _chunks(frame: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """The long frame cut into ``parts`` frames of whole series (each series' rows are adjacent)."""
    ids = frame["unique_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    bounds = [
        *starts[[g[0] for g in np.array_split(np.arange(starts.size), parts) if g.size]],
        len(frame),
    ]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]


def _probe(address: str) -> None:
    """Open and close a plain connection to a networked scheduler first: a Client that fails to
    connect lingers and blocks for its close timeout when it is collected, so refuse early."""
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme in ("tcp", "tls", "ws", "wss"):
        host, port = parse_host_port(location)
        socket.create_connection((host, port), timeout=DASK_CONNECT_TIMEOUT_S).close()


@contextmanager
def _session(backend: str, address: str | None) -> Iterator[_Runner]:
    """Where the StatsForecast calls run: here, or on the Dask scheduler at ``address``."""
    if backend == "local":
        yield _local
        return
    # Imported here so that local runs never pay for dask's import.
    from dask.distributed import Client

    try:
        _probe(address)
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise Unavailable(
            f"the Dask scheduler at {address!r} cannot be reached ({exc}); check "
            f"{DASK_ADDRESS_ENV} or use backend='local'",
            code="forecast_backend_unavailable",
        ) from None
    with client:
        # Two chunks per worker thread: work to share when one finishes early.
        threads = max(1, sum(client.nthreads().values()))

        def run(
            sf: StatsForecast, name: str, frame: pd.DataFrame, options: dict[str, object]
        ) -> pd.DataFrame:
            # Each task is the same StatsForecast call on a chunk of whole series: the workers
            # need statsforecast only (the bound method pickles by reference to its class).
            chunks = client.scatter(_chunks(frame, 2 * threads))
            method = getattr(sf, name)
            futures = [client.submit(method, df=chunk, **options, pure=False) for chunk in chunks]
            return pd.concat(client.gather(futures), ignore_index=True)

        yield run


@contextmanager
def _quiet() -> Iterator[None]:
    """The models' numeric warnings (a flat series, a zero variance) are expected and handled."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@dataclass(frozen=True, slots=True)
class _Settings:
    horizon: int
    season_length: int
    windows: int
    step_size: int
    alpha_d: float
    alpha_p: float
    ets_model: str
    refit_backtest: bool = True

    @property
    def test_span(self) -> int:
        return self.horizon + self.step_size * (self.windows - 1)

    @property
    def min_length(self) -> int:
        return self.season_length + MIN_EXTRA_TRAINING + self.test_span


@dataclass(frozen=True, slots=True)
class _Backtest:
    """Backtest of one group: per model, actual and forecast arrays of shape (series, points)."""

    keys: list[str]
    actual: np.ndarray
    forecasts: dict[str, np.ndarray]
    steps: np.ndarray  # step ahead (1..horizon) of each point, shape (points,)
    scale: np.ndarray


def _actuals(
    order: Sequence[str], arrays: Mapping[str, np.ndarray], settings: _Settings
) -> np.ndarray:
    """What each backtest window forecasts, per series: window w covers the horizon after origin
    n - test_span + w x step_size. Read from the input, so they are the demand exactly as given
    whatever StatsForecast's answer carries back."""
    span, h, step = settings.test_span, settings.horizon, settings.step_size
    rows = [
        np.concatenate([y[y.size - span + w * step :][:h] for w in range(settings.windows)])
        for y in (arrays[k] for k in order)
    ]
    return np.stack(rows) if rows else np.empty((0, settings.windows * h))


def _backtest(
    keys: list[str],
    arrays: Mapping[str, np.ndarray],
    methods: Sequence[str],
    settings: _Settings,
    n_jobs: int,
    run: _Runner = _local,
) -> _Backtest:
    frame = _long_frame(keys, arrays)
    sf = _fit(methods, settings, n_jobs)
    # Without refitting, each model is fitted at the first origin only and then updated with the
    # later windows' data (statsforecast's `forward`): only models that have it can do that.
    refit = settings.refit_backtest or not all(hasattr(m, "forward") for m in sf.models)
    with _quiet():
        cv = run(
            sf,
            "cross_validation",
            frame,
            {
                "h": settings.horizon,
                "n_windows": settings.windows,
                "step_size": settings.step_size,
                "refit": refit,
            },
        )
    cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable")
    order = sorted(keys)
    points = settings.windows * settings.horizon
    if len(cv) != len(order) * points:
        raise RuntimeError(f"backtest returned {len(cv)} rows, expected {len(order) * points}")
    shape = (len(order), points)
    held_out = settings.test_span
    actual = _actuals(order, arrays, settings).reshape(shape)
    forecasts = {
        m: np.clip(cv[m].to_numpy(dtype=np.float64), 0, None).reshape(shape) for m in methods
    }
    steps = np.tile(np.arange(1, settings.horizon + 1), settings.windows)
    # MASE's scale comes from the history before the first backtest origin, which every window sees.
    scale = np.asarray(
        [
            accuracy.seasonal_naive_scale(arrays[k][:-held_out], settings.season_length)
            for k in order
        ]
    )
    return _Backtest(order, actual, forecasts, steps, scale)


def _none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _accuracies(bt: _Backtest, method: str) -> list[Accuracy]:
    f = bt.forecasts[method]
    maes = np.asarray(accuracy.mae(bt.actual, f))
    rmses = np.asarray(accuracy.rmse(bt.actual, f))
    mases = np.asarray(accuracy.mase(bt.actual, f, bt.scale))
    wapes = np.asarray(accuracy.wape(bt.actual, f))
    biases = np.asarray(accuracy.bias(bt.actual, f))
    points = bt.actual.shape[1]
    return [
        Accuracy(
            float(maes[i]),
            float(rmses[i]),
            _none(mases[i]),
            _none(wapes[i]),
            _none(biases[i]),
            points,
        )
        for i in range(len(bt.keys))
    ]


def _overall(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> OverallAccuracy:
    if actual.size == 0:
        return OverallAccuracy(series=0, mase_mean=None, wape=None, bias=None)
    mases = np.asarray(accuracy.mase(actual, forecast, scale))
    defined = mases[~np.isnan(mases)]
    flat_y, flat_f = actual.ravel(), forecast.ravel()
    return OverallAccuracy(
        series=actual.shape[0],
        mase_mean=float(defined.mean()) if defined.size else None,
        wape=_none(float(accuracy.wape(flat_y, flat_f))),
        bias=_none(float(accuracy.bias(flat_y, flat_f))),
    )


def _final_forecasts(
    chosen: Mapping[str, str],
    arrays: Mapping[str, np.ndarray],
    settings: _Settings,
    n_jobs: int,
    run: _Runner = _local,
) -> dict[str, tuple[float, ...]]:
    """Fit each chosen method once, on all the series that chose it together."""
    by_method: dict[str, list[str]] = {}
    for key, method in chosen.items():
        by_method.setdefault(method, []).append(key)
    result: dict[str, tuple[float, ...]] = {}
    for method, keys in by_method.items():
        with _quiet():
            fc = run(
                _fit([method], settings, n_jobs),
                "forecast",
                _long_frame(keys, arrays),
                {"h": settings.horizon},
            )
        fc = fc.sort_values(["unique_id", "ds"], kind="stable")
        values = np.clip(np.nan_to_num(fc[method].to_numpy(dtype=np.float64), nan=0.0), 0, None)
        for i, key in enumerate(sorted(keys)):
            result[key] = tuple(
                float(v) for v in values[i * settings.horizon : (i + 1) * settings.horizon]
            )
    return result


@dataclass(frozen=True, slots=True)
class _Choice:
    """What the backtest chose for one series."""

    method: str
    accuracy: Accuracy
    error_rmse_by_step: tuple[float, ...]
    candidates: dict[str, Accuracy]


def _choose(
    bt: _Backtest, methods: Sequence[str], horizon: int
) -> tuple[dict[str, _Choice], np.ndarray]:
    """The method with the lowest backtest RMSE per series, and its backtest forecasts."""
    per_method = {m: _accuracies(bt, m) for m in methods}
    rmses = np.vstack([np.asarray(accuracy.rmse(bt.actual, bt.forecasts[m])) for m in methods])
    # A NaN (a model that failed on the series) never wins; the first listed wins a tie.
    best = np.argmin(np.nan_to_num(rmses, nan=np.inf), axis=0)
    picked = np.stack([bt.forecasts[methods[b]][i] for i, b in enumerate(best)])
    squared = (picked - bt.actual) ** 2
    by_step = np.sqrt(
        np.stack([squared[:, bt.steps == s].mean(axis=1) for s in range(1, horizon + 1)], axis=1)
    )
    choices = {
        key: _Choice(
            methods[best[i]],
            per_method[methods[best[i]]][i],
            tuple(float(v) for v in by_step[i]),
            {m: per_method[m][i] for m in methods},
        )
        for i, key in enumerate(bt.keys)
    }
    return choices, picked


def _candidates(
    profile: str, intermittent: bool, length: int, settings: _Settings
) -> tuple[str, ...]:
    """The methods a series tries. In the fast profile, seasonal ES is left out of a series whose
    first backtest window has less than two seasons of history: with one observation per season
    position it forecasts exactly what seasonal naive does (e.g. 104 weeks, season 52), so it
    could never win the backtest and would only cost its fit."""
    if profile == "full":
        return INTERMITTENT_METHODS if intermittent else SMOOTH_METHODS
    if intermittent:
        return FAST_INTERMITTENT_METHODS
    if length - settings.test_span < 2 * settings.season_length:
        return tuple(m for m in FAST_SMOOTH_METHODS if m != "SeasESOpt")
    return FAST_SMOOTH_METHODS


def _classify(y: np.ndarray) -> DemandProfile:
    """:func:`classify_demand`'s class, computed in floats (it works in exact fractions, about
    1 ms per series of 104 floats: 13 s for 10,000). ADI is compared exactly (a ratio of counts);
    a CV^2 within float error of its cut-off goes to the exact function, so the class is the one
    it gives. ADI and CV^2 are returned as floats, as it returns them."""
    sizes = y[y > 0]
    adi = Fraction(y.size, sizes.size)
    mean = float(sizes.mean())
    cv2 = float(np.mean((sizes - mean) ** 2)) / (mean * mean)
    if abs(cv2 - CV2_CUTOFF) <= 1e-9:
        return classify_demand(y.tolist())
    intermittent, variable = adi >= _ADI_CUTOFF, cv2 >= CV2_CUTOFF
    if intermittent:
        pattern = DemandPattern.LUMPY if variable else DemandPattern.INTERMITTENT
    else:
        pattern = DemandPattern.ERRATIC if variable else DemandPattern.SMOOTH
    return DemandProfile(adi=float(adi), cv2=cv2, pattern=pattern)


def _profile(value: object) -> str:
    if not isinstance(value, str) or value not in PROFILES:
        raise InvalidInput(
            f"profile must be one of {', '.join(PROFILES)}, got {value!r}",
            code="invalid_forecast_profile",
        )
    return value


def _backend(value: object, address: object) -> tuple[str, str | None]:
    """The backend and, for Dask, the scheduler's address (the argument, else the environment)."""
    if not isinstance(value, str) or value not in BACKENDS:
        raise InvalidInput(
            f"backend must be one of {', '.join(BACKENDS)}, got {value!r}",
            code="invalid_forecast_backend",
        )
    if value == "local":
        return value, None
    if address is None:
        address = os.environ.get(DASK_ADDRESS_ENV) or None
    if not isinstance(address, str) or not address.strip():
        raise InvalidInput(
            "the dask backend needs the scheduler's address (e.g. tcp://scheduler:8786), as "
            f"dask_address or in {DASK_ADDRESS_ENV}, got {address!r}",
            code="invalid_dask_address",
        )
    return value, address.strip()


def _settings(
    horizon: object, season_length: object, bucket: str, backtest_windows: object, step_size: object,
    n_jobs: object, tsb_alpha_d: object, tsb_alpha_p: object, ets_model: object,
    refit_backtest: object = True,
) -> _Settings:  # fmt: skip
    bucket_season = season_length_for(bucket)  # checks the bucket even when a season is given
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or (n_jobs < 1 and n_jobs != -1):
        raise InvalidInput(
            f"n_jobs must be -1 (all cores) or at least 1, got {n_jobs!r}", code="invalid_n_jobs"
        )
    return _Settings(
        horizon=_positive_int(horizon, "horizon", "invalid_horizon", MAX_HORIZON),
        season_length=(
            bucket_season
            if season_length is None
            else _positive_int(season_length, "season_length", "invalid_season_length", MAX_HORIZON)
        ),
        windows=_positive_int(
            backtest_windows, "backtest_windows", "invalid_backtest", MAX_WINDOWS
        ),
        step_size=_positive_int(step_size, "step_size", "invalid_backtest", MAX_HORIZON),
        alpha_d=_alpha(tsb_alpha_d, "tsb_alpha_d"),
        alpha_p=_alpha(tsb_alpha_p, "tsb_alpha_p"),
        ets_model=_ets_model(ets_model),
        refit_backtest=_flag(refit_backtest, "refit_backtest", "invalid_backtest"),
    )


def _flag(value: object, name: str, code: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false, got {value!r}", code=code)
    return value


def forecast(
    series: Mapping[str, Sequence[float | int | Decimal]],
    *,
    horizon: int,
    season_length: int | None = None,
    bucket: str = "week",
    backtest_windows: int = 3,
    step_size: int = 1,
    n_jobs: int = 1,
    tsb_alpha_d: float = 0.1,
    tsb_alpha_p: float = 0.1,
    ets_model: str = "ZZZ",
    profile: str = "full",
    backend: str = "local",
    dask_address: str | None = None,
    refit_backtest: bool = True,
) -> ForecastRun:
    """Forecast every series ``horizon`` buckets ahead with the method its backtest prefers.

    ``series`` maps a key (e.g. a SKU) to its demand per bucket, oldest first. The season length
    defaults to the bucket's (:data:`SEASON_LENGTHS`). The backtest has ``backtest_windows``
    forecast origins, ``step_size`` buckets apart, each forecasting ``horizon`` buckets. Bad input
    raises :class:`InvalidInput` (codes ``invalid_horizon``, ``invalid_season_length``,
    ``invalid_bucket``, ``invalid_backtest``, ``invalid_n_jobs``, ``invalid_tsb_alpha``,
    ``invalid_ets_model``, ``invalid_demand_series``, ``invalid_demand``,
    ``invalid_forecast_profile``, ``invalid_forecast_backend``, ``invalid_dask_address``).
    ``ets_model`` narrows AutoETS's search ("AZZ", additive errors only, fits about 4x faster
    than "ZZZ").

    ``profile`` picks the candidates: "full" (seasonal naive, AutoETS, AutoTheta for smooth
    series), "fast" (seasonal naive, SES and, given two seasons before the first backtest origin,
    seasonal ES, with optimised smoothing: for thousands of series), or "auto" (full up to :data:`AUTO_FULL_MAX_SERIES` series, fast above); the
    intermittent candidates are the same in all. ``backend="dask"`` runs the fits on the Dask
    scheduler at ``dask_address`` (default: the environment variable
    ``ONHAND_PLANNING_DASK_ADDRESS``); an unreachable scheduler raises :class:`Unavailable`
    (``forecast_backend_unavailable``). ``n_jobs`` applies to the local backend only.

    ``refit_backtest=False`` fits each model once, at the first backtest origin, and only updates
    it with the later windows' data: about 4x faster for AutoETS and AutoTheta. It applies to
    groups whose candidates can all be updated (the full profile's smooth series); the others are
    refitted at every origin as by default.
    """
    settings = _settings(
        horizon, season_length, bucket, backtest_windows, step_size, n_jobs, tsb_alpha_d,
        tsb_alpha_p, ets_model, refit_backtest,
    )  # fmt: skip
    chosen_profile = _profile(profile)
    backend, address = _backend(backend, dask_address)
    if not isinstance(series, Mapping):
        raise InvalidInput(
            "series must map each key to its demand per period", code="invalid_demand_series"
        )
    arrays = {key: _demand_array(key, values) for key, values in series.items()}
    if chosen_profile == "auto":
        chosen_profile = "full" if len(arrays) <= AUTO_FULL_MAX_SERIES else "fast"

    results: dict[str, SeriesForecast] = {}
    # Series that try the same candidates are fitted together, one StatsForecast call per group.
    groups: dict[tuple[str, ...], list[str]] = {}
    profiles = {}
    for key, y in arrays.items():
        if not y.any():
            results[key] = SeriesForecast(
                key, ForecastStatus.NO_DEMAND, "Zero", None, None, None,
                (0.0,) * settings.horizon, None, None, {},
                "no demand in the history: the forecast is 0",
            )  # fmt: skip
            continue
        profile = _classify(y)
        profiles[key] = profile
        if y.size < settings.min_length:
            mean = float(y.mean())
            results[key] = SeriesForecast(
                key, ForecastStatus.TOO_SHORT, "HistoricAverage", profile.pattern, profile.adi,
                profile.cv2, (mean,) * settings.horizon, None, None, {},
                f"{y.size} periods are fewer than the {settings.min_length} the backtest needs: "
                "the forecast is the mean of the history, not backtested",
            )  # fmt: skip
            continue
        intermittent = profile.pattern in (DemandPattern.INTERMITTENT, DemandPattern.LUMPY)
        groups.setdefault(_candidates(chosen_profile, intermittent, y.size, settings), []).append(
            key
        )

    choices: dict[str, _Choice] = {}
    all_actual, all_chosen, all_baseline, all_scale = [], [], [], []
    finals: dict[str, tuple[float, ...]] = {}
    # No cluster is contacted when nothing needs a backtest (no demand, too short, no series).
    # On Dask the workers are the parallelism: each task runs in one process.
    jobs = n_jobs if backend == "local" else 1
    with _session(backend if groups else "local", address) as run:
        for methods, keys in groups.items():
            bt = _backtest(keys, arrays, methods, settings, jobs, run)
            group_choices, picked = _choose(bt, methods, settings.horizon)
            choices.update(group_choices)
            all_actual.append(bt.actual)
            all_chosen.append(picked)
            all_baseline.append(bt.forecasts[BASELINE])
            all_scale.append(bt.scale)
        finals = _final_forecasts(
            {k: c.method for k, c in choices.items()}, arrays, settings, jobs, run
        )
    for key, choice in choices.items():
        profile = profiles[key]
        results[key] = SeriesForecast(
            key, ForecastStatus.BACKTESTED, choice.method, profile.pattern, profile.adi,
            profile.cv2, finals[key], choice.accuracy, choice.error_rmse_by_step,
            choice.candidates,
            f"{choice.method} had the lowest backtest RMSE of {', '.join(choice.candidates)}",
        )  # fmt: skip

    def combined(parts: list[np.ndarray]) -> np.ndarray:
        return np.vstack(parts) if parts else np.empty((0, 0))

    actual, scale = combined(all_actual), np.concatenate(all_scale) if all_scale else np.empty(0)
    counts = {
        status.value: sum(1 for r in results.values() if r.status == status)
        for status in ForecastStatus
    }
    return ForecastRun(
        horizon=settings.horizon,
        season_length=settings.season_length,
        backtest_windows=settings.windows,
        step_size=settings.step_size,
        series={key: results[key] for key in arrays},
        overall=_overall(actual, combined(all_chosen), scale),
        baseline=_overall(actual, combined(all_baseline), scale),
        counts=counts,
        profile=chosen_profile,
    )
