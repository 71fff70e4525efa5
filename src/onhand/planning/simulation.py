"""Replay daily demand through inventory policies and measure service and cost.

One call simulates m policies (or m demand streams) side by side: demand is a (periods, m) array
and the time loop steps through the days with numpy operations across the m columns. Each day,
in this order (docs/policy-simulation.md defines every measure):

1. orders due today arrive (an order placed at the end of day t with lead time L arrives at the
   start of day t + L + 1);
2. the day's demand is served from stock on hand; what is missing is backordered (served when
   stock arrives, never counted as served at once) or, with ``lost_sales``, lost;
3. the policy reviews the inventory position (on hand - backorders + on order) and orders:
   (s, Q) the smallest multiple of Q that lifts it above s when it is at or below s; (s, S) up
   to S when at or below s; (R, S) up to S every R days; JIT is (R = 1, S = 0).

Quantities are continuous (floats); lead times are whole days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from onhand.domain.errors import InvalidInput
from onhand.planning.policies import KINDS, PolicyLevels

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

DAYS_PER_YEAR = 365.0
MAX_PERIODS = 5_000_000
MAX_LEAD_TIME = 3650


@dataclass(frozen=True)
class SimPolicy:
    """m policies as arrays: kind, s, S, Q and the review period R in whole days (r_s)."""

    kind: NDArray[np.str_]
    reorder_point: Floats
    order_up_to: Floats
    order_quantity: Floats
    review_period: Ints

    @classmethod
    def from_levels(
        cls, kind: ArrayLike, levels: PolicyLevels, review_period: ArrayLike | None = None
    ) -> SimPolicy:
        """The policies whose levels :func:`onhand.planning.policies.policy_levels` set."""
        kinds = np.asarray(kind).astype(str)
        r = np.ones(kinds.shape[0]) if review_period is None else np.asarray(review_period)
        return cls(
            kind=kinds,
            reorder_point=np.asarray(levels.reorder_point, dtype=float),
            order_up_to=np.asarray(levels.order_up_to, dtype=float),
            order_quantity=np.asarray(levels.order_quantity, dtype=float),
            review_period=np.asarray(np.rint(r), dtype=np.int64),
        )


@dataclass(frozen=True)
class LeadTimeModel:
    """Lead times in whole days: constant (``sd`` 0), normal with mean and sd rounded to whole
    days >= 0, or drawn from ``observed`` lead times (when given, mean and sd are ignored)."""

    mean: float = 0.0
    sd: float = 0.0
    observed: tuple[float, ...] = ()

    def sample(self, periods: int, columns: int, rng: np.random.Generator) -> Ints:
        """One lead time per day and column (used by the order placed that day, if any)."""
        if self.observed:
            values = np.rint(np.asarray(self.observed, dtype=float)).astype(np.int64)
            return rng.choice(values, size=(periods, columns))
        if self.sd > 0:
            draws = rng.normal(self.mean, self.sd, size=(periods, columns))
            return np.maximum(np.rint(draws), 0).astype(np.int64)
        return np.full((periods, columns), round(self.mean), dtype=np.int64)

    def check(self) -> None:
        """Refuse negative, non-finite or absurdly long lead times."""
        values = [self.mean, self.sd, *self.observed]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise InvalidInput("lead times must be numbers of days", code="invalid_lead_time")
        if not all(math.isfinite(v) and 0 <= v <= MAX_LEAD_TIME for v in values):
            raise InvalidInput(
                f"lead times must be between 0 and {MAX_LEAD_TIME} days", code="invalid_lead_time"
            )


@dataclass(frozen=True)
class SimulationResult:
    """Measures per column (policy or series) over the measured days (after the warm-up).

    ``fill_rate`` units served from stock at once / units demanded (nan with no demand);
    ``cycle_service`` share of replenishment cycles (receipt to the day before the next
    receipt) in which all demand was served at once (nan with no complete cycle).
    """

    periods: int
    demand: Floats
    served: Floats
    units_short: Floats
    fill_rate: Floats
    cycles: Ints
    stockout_cycles: Ints
    cycle_service: Floats
    average_on_hand: Floats
    average_on_hand_value: Floats
    average_backorders: Floats
    backordered_units: Floats
    lost_units: Floats
    orders: Ints
    ordering_cost: Floats
    holding_cost: Floats
    total_cost: Floats
    stockout_days: Ints


def _columns(value: ArrayLike, m: int, name: str, code: str) -> Floats:
    try:
        arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (m,)).copy()
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} needs a number or one per column", code=code) from exc
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidInput(f"{name} must be finite numbers >= 0", code=code)
    return arr


def _demand(demand: ArrayLike) -> Floats:
    try:
        arr = np.asarray(demand, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("demand must be numbers", code="invalid_demand_series") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidInput(
            "demand must be a non-empty series (periods) or table (periods x columns)",
            code="invalid_demand_series",
        )
    if arr.shape[0] > MAX_PERIODS:
        raise InvalidInput(f"at most {MAX_PERIODS} periods", code="invalid_periods")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidInput("demand must be finite numbers >= 0", code="invalid_demand_series")
    return arr


def _check_policy(
    policy: SimPolicy, m: int
) -> tuple[NDArray[np.str_], Floats, Floats, Floats, Ints]:
    kind = np.asarray(policy.kind).astype(str)
    if kind.shape != (m,):
        raise InvalidInput(f"give one policy per column ({m})", code="length_mismatch")
    if not np.all(np.isin(kind, KINDS)):
        raise InvalidInput(
            f"policy kind must be one of {', '.join(KINDS)}", code="invalid_policy_kind"
        )
    s = np.broadcast_to(np.asarray(policy.reorder_point, dtype=float), (m,)).copy()
    big = np.broadcast_to(np.asarray(policy.order_up_to, dtype=float), (m,)).copy()
    q = np.broadcast_to(np.asarray(policy.order_quantity, dtype=float), (m,)).copy()
    r = np.broadcast_to(np.asarray(policy.review_period), (m,)).copy()
    sq, mm, rs = kind == "s_q", kind == "min_max", kind == "r_s"
    if not np.all(np.isfinite(s[sq | mm])):
        raise InvalidInput("s_q and min_max need a reorder point", code="invalid_reorder_point")
    if not np.all(np.isfinite(q[sq]) & (q[sq] > 0)):
        raise InvalidInput("s_q needs an order quantity > 0", code="invalid_order_quantity")
    if not np.all(np.isfinite(big[mm | rs])):
        raise InvalidInput("min_max and r_s need an order-up-to level", code="invalid_order_up_to")
    if np.any(big[mm] < s[mm]):
        raise InvalidInput("min_max needs S >= s", code="invalid_order_up_to")
    if not np.issubdtype(r.dtype, np.integer) or np.any(r[rs] < 1):
        raise InvalidInput(
            "r_s needs a review period of a whole number of days >= 1",
            code="invalid_review_period",
        )
    jit = kind == "jit"
    big = np.where(jit, 0.0, big)
    r = np.where(rs, r, 1).astype(np.int64)
    return kind, s, big, q, r


def simulate(
    demand: ArrayLike,
    policy: SimPolicy,
    *,
    lead_time: LeadTimeModel | int = 0,
    unit_cost: ArrayLike = 0.0,
    order_cost: ArrayLike = 0.0,
    carrying_rate: ArrayLike = 0.0,
    lost_sales: bool = False,
    initial_on_hand: ArrayLike | None = None,
    warmup: int = 0,
    seed: int = 0,
) -> SimulationResult:
    """Replay ``demand`` (periods, or periods x m) through m policies; see the module doc.

    ``lead_time``: whole days (int) or a :class:`LeadTimeModel` (random ones drawn with
    ``seed``). Costs: ``order_cost`` per order, holding ``unit_cost x carrying_rate`` per unit and
    year, prorated per day (365) on the stock on hand at the end of each day. The starting stock
    defaults to S (min_max, r_s), s + Q (s_q) or 0 (jit), with nothing on order. The first
    ``warmup`` days run but are not measured.
    """
    dem = _demand(demand)
    periods, m = dem.shape
    kind, s, big, q, r = _check_policy(policy, m)
    model = lead_time if isinstance(lead_time, LeadTimeModel) else None
    if model is None:
        if isinstance(lead_time, bool) or not isinstance(lead_time, int):
            raise InvalidInput("lead_time must be whole days", code="invalid_lead_time")
        model = LeadTimeModel(mean=float(lead_time))
    model.check()
    unit = _columns(unit_cost, m, "unit_cost", "invalid_cost")
    per_order = _columns(order_cost, m, "order_cost", "invalid_cost")
    rate = _columns(carrying_rate, m, "carrying_rate", "invalid_carrying_rate")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or not 0 <= warmup < periods:
        raise InvalidInput(
            "warmup must be a whole number of days, fewer than the periods", code="invalid_warmup"
        )
    sq, mm = kind == "s_q", kind == "min_max"
    periodic = ~(sq | mm)
    if initial_on_hand is None:
        start = np.where(sq, s + np.where(sq, q, 0.0), np.where(kind == "jit", 0.0, big))
    else:
        start = _columns(initial_on_hand, m, "initial_on_hand", "invalid_initial_stock")
    rng = np.random.default_rng(seed)
    leads = model.sample(periods, m, rng)
    pipeline = np.zeros((periods + int(leads.max()) + 2, m))
    cols = np.arange(m)
    safe_q = np.where(sq, q, 1.0)

    on_hand = start.astype(float).copy()  # net inventory: negative = backorders
    on_order = np.zeros(m)
    seen_receipt = np.zeros(m, dtype=bool)
    short_in_cycle = np.zeros(m, dtype=bool)
    totals = {k: np.zeros(m) for k in ("demand", "served", "short", "on_hand", "backorders")}
    cycles = np.zeros(m, dtype=np.int64)
    stockout_cycles = np.zeros(m, dtype=np.int64)
    orders = np.zeros(m, dtype=np.int64)
    stockout_days = np.zeros(m, dtype=np.int64)

    for t in range(periods):
        measuring = t >= warmup
        arriving = pipeline[t]
        got = arriving > 0
        on_hand += arriving
        on_order -= arriving
        if measuring:
            closing = got & seen_receipt
            cycles += closing
            stockout_cycles += closing & short_in_cycle
        short_in_cycle &= ~got
        seen_receipt |= got

        d = dem[t]
        served = np.minimum(d, np.maximum(on_hand, 0.0))
        short = d - served
        on_hand -= served if lost_sales else d
        short_in_cycle |= short > 0
        if measuring:
            totals["demand"] += d
            totals["served"] += served
            totals["short"] += short
            totals["on_hand"] += np.maximum(on_hand, 0.0)
            totals["backorders"] += np.maximum(-on_hand, 0.0)
            stockout_days += short > 0

        position = on_hand + on_order
        below = position <= s
        lots = np.floor((s - position) / safe_q) + 1.0
        qty = np.where(sq & below, lots * safe_q, 0.0)
        qty = np.where(mm & below, big - position, qty)
        qty = np.where(periodic & (t % r == 0), np.maximum(big - position, 0.0), qty)
        placed = qty > 0
        on_order += qty
        pipeline[t + 1 + leads[t], cols] += qty
        if measuring:
            orders += placed

    measured = periods - warmup
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(totals["demand"] > 0, totals["served"] / totals["demand"], np.nan)
        csl = np.where(cycles > 0, 1.0 - stockout_cycles / np.maximum(cycles, 1), np.nan)
    avg_on_hand = totals["on_hand"] / measured
    holding = totals["on_hand"] * unit * rate / DAYS_PER_YEAR
    ordering = orders * per_order
    return SimulationResult(
        periods=measured,
        demand=totals["demand"],
        served=totals["served"],
        units_short=totals["short"],
        fill_rate=fill,
        cycles=cycles,
        stockout_cycles=stockout_cycles,
        cycle_service=csl,
        average_on_hand=avg_on_hand,
        average_on_hand_value=avg_on_hand * unit,
        average_backorders=totals["backorders"] / measured,
        backordered_units=np.zeros(m) if lost_sales else totals["short"],
        lost_units=totals["short"] if lost_sales else np.zeros(m),
        orders=orders,
        ordering_cost=ordering,
        holding_cost=holding,
        total_cost=ordering + holding,
        stockout_days=stockout_days,
    )


# --- Demand generators -----------------------------------------------------------------------


def _gen_check(periods: int, columns: int) -> None:
    for name, value in (("periods", periods), ("columns", columns)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(f"{name} must be a whole number >= 1", code="invalid_periods")
    if periods * columns > MAX_PERIODS * 10:
        raise InvalidInput("too many periods x columns to generate", code="invalid_periods")


def _gen_number(value: float, name: str, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number", code="invalid_demand")
    if value < low:
        raise InvalidInput(f"{name} must be {low:g} or more, got {value}", code="invalid_demand")
    return float(value)


def normal_demand(
    mean: float,
    sd: float,
    periods: int,
    columns: int = 1,
    *,
    seed: int = 0,
    seasonal_amplitude: float = 0.0,
    season_length: float = 365.0,
) -> Floats:
    """Daily demand N(mean_t, sd) truncated at 0, shape (periods, columns), seeded.

    mean_t = mean (1 + amplitude sin(2 pi t / season_length)): 0 amplitude for none. Truncation
    raises the mean a little when sd is large against the mean (below 0.1 % at sd <= mean / 3).
    """
    _gen_check(periods, columns)
    mu = _gen_number(mean, "mean")
    sigma = _gen_number(sd, "sd")
    amp = _gen_number(seasonal_amplitude, "seasonal_amplitude")
    length = _gen_number(season_length, "season_length", 1.0)
    if amp > 1:
        raise InvalidInput("seasonal_amplitude must be between 0 and 1", code="invalid_demand")
    t = np.arange(periods, dtype=float)[:, None]
    level = mu * (1.0 + amp * np.sin(2.0 * np.pi * t / length))
    rng = np.random.default_rng(seed)
    return np.maximum(level + sigma * rng.standard_normal((periods, columns)), 0.0)


def intermittent_demand(
    interval: float,
    size_mean: float,
    size_cv: float,
    periods: int,
    columns: int = 1,
    *,
    seed: int = 0,
) -> Floats:
    """Intermittent daily demand: a demand on a day with probability 1 / interval (Bernoulli),
    of a gamma-distributed size with mean ``size_mean`` and coefficient of variation
    ``size_cv`` (0: always ``size_mean``). Shape (periods, columns), seeded."""
    _gen_check(periods, columns)
    adi = _gen_number(interval, "interval", 1.0)
    mu = _gen_number(size_mean, "size_mean")
    cv = _gen_number(size_cv, "size_cv")
    rng = np.random.default_rng(seed)
    occurs = rng.random((periods, columns)) < 1.0 / adi
    if cv == 0 or mu == 0:
        sizes = np.full((periods, columns), mu)
    else:
        shape = 1.0 / (cv * cv)
        sizes = rng.gamma(shape, mu / shape, size=(periods, columns))
    return np.where(occurs, sizes, 0.0)


def intermittent_moments(interval: float, size_mean: float, size_cv: float) -> tuple[float, float]:
    """Mean and standard deviation per day of :func:`intermittent_demand`'s demand.

    With p = 1 / interval: mean p mu, variance p (cv mu)^2 + p (1 - p) mu^2.
    """
    p = 1.0 / interval
    mean = p * size_mean
    var = p * (size_cv * size_mean) ** 2 + p * (1.0 - p) * size_mean**2
    return mean, math.sqrt(var)


def observed_lead_times(values: Sequence[float]) -> LeadTimeModel:
    """A lead-time model drawing from observed lead times (days)."""
    model = LeadTimeModel(observed=tuple(float(v) for v in values))
    if not model.observed:
        raise InvalidInput("give at least one observed lead time", code="invalid_lead_time")
    model.check()
    return model
