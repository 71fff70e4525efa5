"""What a replenishment run suggests, for many item-locations at once (numpy arrays).

The inventory position is what is physically usable plus what is on its way in, less what is
already promised to customers (reserved or backordered): on hand + on order - committed. A
policy triggers on the position, not on on-hand stock, so an order already placed is never
ordered twice:

- (s, Q): when the position is at or below s, order the smallest multiple of Q that lifts it
  above s;
- (s, S) (min/max): when the position is at or below s, order up to S;
- (R, S): at each review (each run is one), order up to S;
- JIT: hold no stock: order exactly what is committed beyond stock and orders on their way.

The projected stock at arrival is the position less the demand expected over the lead time: what
would be left when an order placed now arrives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

DAYS_PER_YEAR = 365.0


def daily_demand(
    forecasts: np.ndarray, bucket_days: float, protection_days: np.ndarray
) -> np.ndarray:
    """Mean demand per day over each series' protection interval (lead time + review period),
    from forecasts per bucket of shape (n, horizon): the buckets that interval covers, the last
    one pro rata; beyond the horizon the last bucket's rate carries on."""
    n, horizon = forecasts.shape
    if horizon == 0:
        return np.zeros(n)
    per_day = forecasts / bucket_days
    covered = np.maximum(protection_days, 1e-9) / bucket_days  # buckets, fractional
    edges = np.arange(horizon, dtype=np.float64)
    weights = np.clip(covered[:, None] - edges[None, :], 0.0, 1.0)
    beyond = np.maximum(covered - horizon, 0.0)
    total = (per_day * weights).sum(axis=1) + per_day[:, -1] * beyond
    return total / covered


def economic_order_quantity(
    demand_per_day: np.ndarray,
    order_cost: np.ndarray,
    unit_cost: np.ndarray,
    carrying_rate: np.ndarray,
) -> np.ndarray:
    """EOQ sqrt(2 D K / h) with D per year and h = unit cost x carrying rate; NaN where it is
    undefined (no holding cost or no demand), for the caller to fall back on."""
    annual = demand_per_day * DAYS_PER_YEAR
    h = unit_cost * carrying_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.sqrt(2.0 * annual * order_cost / h)
    return np.where((h > 0) & (annual > 0) & (order_cost > 0), q, np.nan)


def order_quantities(
    kind: Sequence[str] | np.ndarray,
    position: np.ndarray,
    reorder_point: np.ndarray,
    order_up_to: np.ndarray,
    order_quantity: np.ndarray,
) -> np.ndarray:
    """What each policy orders at this position (0: nothing), before rounding to units, the
    supplier's minimum and pack size."""
    kind = np.asarray(kind)
    at_or_below = position <= reorder_point
    with np.errstate(invalid="ignore"):
        multiples = np.floor((reorder_point - position) / order_quantity) + 1.0
    s_q = np.where(at_or_below & (order_quantity > 0), multiples * order_quantity, 0.0)
    min_max = np.where(at_or_below, order_up_to - position, 0.0)
    r_s = order_up_to - position
    jit = -position
    out = np.select(
        [kind == "s_q", kind == "min_max", kind == "r_s", kind == "jit"],
        [s_q, min_max, r_s, jit],
        default=0.0,
    )
    return np.maximum(np.nan_to_num(out, nan=0.0), 0.0)


def _n(value: float) -> str:
    """A level in words: whole numbers without decimals, others to 2 places."""
    if math.isnan(value):
        return "-"
    rounded = round(value, 2)
    return f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.2f}"


def reason(
    kind: str,
    *,
    position: float,
    on_hand: float,
    on_order: float,
    committed: float,
    reorder_point: float,
    order_up_to: float,
    safety_stock: float,
    lead_time_demand: float,
    projected: float,
    quantity: float,
) -> str:
    """Why a line orders what it does, in words a planner can check against the numbers."""
    where = (
        f"position {_n(position)} (on hand {_n(on_hand)} + on order {_n(on_order)}"
        f" - committed {_n(committed)}), projected {_n(projected)} at arrival"
    )
    if kind == "jit":
        if quantity > 0:
            return f"order on demand: {_n(quantity)} committed beyond stock; {where}"
        return f"order on demand: nothing committed beyond stock; {where}"
    if kind == "r_s":
        level = f"order-up-to level {_n(order_up_to)} (safety stock {_n(safety_stock)})"
        if quantity > 0:
            return f"review: {level}, {where}: order {_n(quantity)}"
        return f"review: {level}, {where}: at or above it, nothing to order"
    level = (
        f"reorder point {_n(reorder_point)} (lead-time demand {_n(lead_time_demand)}"
        f" + safety stock {_n(safety_stock)})"
    )
    if quantity <= 0:
        return f"{level}; {where}: above it, nothing to order"
    if kind == "min_max":
        return f"{level}; {where}: order up to {_n(order_up_to)}: {_n(quantity)}"
    return f"{level}; {where}: order {_n(quantity)}"
