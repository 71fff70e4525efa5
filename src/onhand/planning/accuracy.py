"""Forecast accuracy measures: MASE, WAPE and bias, on numpy arrays.

Errors are ``forecast - actual``, so a positive bias means over-forecasting. Every function takes
1-D arrays (one series) or 2-D arrays (one series per row, reduced along the last axis), so a
backtest of many series is measured in a few vectorised calls. A measure whose denominator is zero
(no demand, or a history without change) is undefined and comes back as NaN; callers report it as
"not available" rather than as a number.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Floats = NDArray[np.float64]


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[Floats, Floats]:
    y = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if y.shape != f.shape:
        raise ValueError(f"actual {y.shape} and forecast {f.shape} differ in shape")
    return y, f


def _ratio(numerator: Floats, denominator: Floats) -> Floats | np.float64:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )
    return result if result.ndim else np.float64(result)


def mae(actual: ArrayLike, forecast: ArrayLike) -> Floats | np.float64:
    """Mean absolute error along the last axis."""
    y, f = _pair(actual, forecast)
    return np.mean(np.abs(f - y), axis=-1)


def rmse(actual: ArrayLike, forecast: ArrayLike) -> Floats | np.float64:
    """Root mean squared error along the last axis."""
    y, f = _pair(actual, forecast)
    return np.sqrt(np.mean((f - y) ** 2, axis=-1))


def seasonal_naive_scale(history: ArrayLike, season_length: int) -> float:
    """In-sample MAE of the seasonal naive forecast (y[t] predicted by y[t - m]): MASE's scale.

    With ``season_length`` 1 this is the naive (random walk) scale. NaN when the history is not
    longer than one season (no difference to take).
    """
    y = np.asarray(history, dtype=np.float64)
    if season_length < 1:
        raise ValueError("season_length must be at least 1")
    if y.size <= season_length:
        return float("nan")
    return float(np.mean(np.abs(y[season_length:] - y[:-season_length])))


def mase(actual: ArrayLike, forecast: ArrayLike, scale: ArrayLike) -> Floats | np.float64:
    """Mean absolute scaled error: MAE divided by the in-sample seasonal naive MAE (``scale``).

    Below 1 the forecast beats what the seasonal naive method does in sample. NaN when the scale is
    zero or NaN.
    """
    s = np.asarray(scale, dtype=np.float64)
    return _ratio(np.asarray(mae(actual, forecast)), np.nan_to_num(s, nan=0.0))


def wape(actual: ArrayLike, forecast: ArrayLike) -> Floats | np.float64:
    """Weighted absolute percentage error: sum |forecast - actual| / sum actual (demand >= 0)."""
    y, f = _pair(actual, forecast)
    return _ratio(np.sum(np.abs(f - y), axis=-1), np.sum(y, axis=-1))


def bias(actual: ArrayLike, forecast: ArrayLike) -> Floats | np.float64:
    """Relative bias: sum (forecast - actual) / sum actual; positive means over-forecasting."""
    y, f = _pair(actual, forecast)
    return _ratio(np.sum(f - y, axis=-1), np.sum(y, axis=-1))
