"""Policy levels (reorder point, order-up-to level, safety stock) for many item-locations at once.

Every array has one entry per item-location; demand is per period (a day), lead times and review
periods in the same periods. The math is vectorised: a bisection over whole arrays, never a
Python loop per item.

**Daily review.** The replenishment run looks at the inventory position once a day, after the
day's demand, and an order placed at the end of day t with lead time L arrives at the start of
day t + L + 1. The textbook continuous-review formulas (``onhand.domain.replenishment``) assume
the position is seen the moment it reaches s; with a daily look it is already below s by the
*undershoot*, and for a short lead time or a large daily demand that costs several points of fill
rate. The levels here are therefore set with the exact per-period shortage of the daily-review
policy, written with first and second order loss functions of the demand over L and L + 1 days
(see docs/policy-simulation.md for the derivation):

- (s, Q), ordering the smallest multiple of Q that lifts the position above s: the position
  after a review is uniform on (s, s + Q], so the expected units short per day are
  ``([G2_{L+1}(s) - G2_{L+1}(s+Q)] - [G2_L(s) - G2_L(s+Q)]) / Q`` and the fill rate is one minus
  that over the mean daily demand. The share of replenishment cycles with a stockout is
  ``(G1_{L+1}(s) - G1_L(s)) / d`` (exact when one Q covers a day's demand).
- (s, S): the position after a review is S with probability p0 (the day of an order and the
  days without demand after it) and spread evenly over (s, S) otherwise; p0 comes from renewal
  theory on the sizes of the non-zero daily demands (``1 / (Q/mu + mu2 / (2 mu^2))``), which is
  why the demand interval (ADI) is an input. Cycle service as for (s, Q).
- (R, S): every R days the position is S, so the units short over a review cycle are
  ``G1_{R+L}(S) - G1_L(S)`` against R d demanded; the cycle service level is P(X_{R+L} <= S).

G1(y) = E[(X - y)+] and G2(y) = E[((X - y)+)^2] / 2. The demand over n days, X_n, has mean
d n and variance n sigma_d^2 + d^2 sigma_LT^2 (``domain.replenishment.lead_time_demand``). It is
modelled as **normal** for smooth demand (the usual normal loss function) and, for intermittent
demand with a known demand interval, as a **compound**: a demand on a day with probability
1 / ADI, of a gamma size, so that X_n is a binomial mixture of gammas with its point mass at 0
(no demand in the lead time) and the skew of a slow mover, which a normal (mass below 0, thin
upper tail) or a single gamma (no mass at 0; it over-protected lumpy demand by 1 to 2 points in
simulation) only imitate. Intermittent rows without an interval fall back to one **gamma** with
the same mean and variance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaincc, ndtr

from onhand.domain.errors import InvalidInput
from onhand.domain.planning import POLICY_KINDS, SERVICE_TYPES


@cache
def _stats() -> Any:
    """scipy.stats, imported on first use: it takes seconds, and the API loads this module."""
    import scipy.stats

    return scipy.stats


Floats = NDArray[np.float64]

# One list of policy kinds and service types, the domain's (what a planner may set).
KINDS = POLICY_KINDS
_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


def _nsf(z: Floats) -> Floats:
    """Standard normal survival function 1 - Phi(z) (the special function: no stats overhead)."""
    return ndtr(-z)


def _npdf(z: Floats) -> Floats:
    return np.exp(-0.5 * z * z) / _SQRT_2PI


def _gsf(shape: Floats, y: Floats, theta: Floats) -> Floats:
    """P(Gamma(shape, theta) > y) for y >= 0: the regularised upper incomplete gamma."""
    return gammaincc(shape, np.maximum(y, 0.0) / theta)


# Bisection steps: each halves the bracket, so 200 reach the float resolution of any bracket.
_STEPS = 200


def _empty() -> Floats:
    return np.zeros(0)


@dataclass(frozen=True)
class PolicyInputs:
    """What the levels of n item-locations depend on, as arrays of length n (see module doc).

    ``kind``: "s_q" (reorder point s, order a multiple of Q), "min_max" (s, S with S = s + Q),
    "r_s" (every review period, order up to S) or "jit" (no stock). ``order_quantity`` is Q for
    s_q and min_max (ignored otherwise); ``review_period`` is R for r_s (ignored otherwise).
    ``demand_interval`` is the average number of days between days with demand (ADI, >= 1; 1
    when omitted); only (s, S) uses it.
    """

    kind: NDArray[np.str_]
    demand_mean: Floats
    demand_sd: Floats
    lead_time_mean: Floats
    lead_time_sd: Floats
    review_period: Floats
    order_quantity: Floats
    service_type: NDArray[np.str_]
    service_level: Floats
    intermittent: NDArray[np.bool_]
    demand_interval: Floats | None = None


@dataclass(frozen=True)
class PolicyLevels:
    """The levels, one entry per item-location.

    ``reorder_point`` s (nan for r_s), ``order_up_to`` S (min_max, r_s; nan for s_q; 0 for jit),
    ``order_quantity`` Q (s_q, min_max; nan otherwise), ``safety_stock`` = the level minus
    ``protection_mean`` (mean demand over L, or R + L for r_s), ``protection_sd`` its standard
    deviation, ``method`` "normal", "gamma", "jit" or "no_demand", and the model's own
    ``expected_fill_rate`` and ``expected_cycle_service`` at these levels.
    """

    reorder_point: Floats
    order_up_to: Floats
    order_quantity: Floats
    safety_stock: Floats
    protection_mean: Floats
    protection_sd: Floats
    method: NDArray[np.str_]
    expected_fill_rate: Floats = field(default_factory=_empty)
    expected_cycle_service: Floats = field(default_factory=_empty)


# --- Demand over n days: normal or gamma, vectorised ------------------------------------------


@dataclass(frozen=True)
class PeriodDemand:
    """Demand over a number of days per item: mean, variance and which rows are gamma."""

    mean: Floats
    var: Floats
    gamma: NDArray[np.bool_]

    @property
    def sd(self) -> Floats:
        """Standard deviation."""
        return np.sqrt(self.var)

    def _parts(self) -> tuple[NDArray[np.bool_], NDArray[np.bool_], Floats, Floats]:
        # A row with no variance is a point mass at its mean; the others are normal or gamma
        # (shape a = mean^2 / var, scale = var / mean), with safe stand-ins where unused.
        fixed = self.var <= 0
        gam = self.gamma & ~fixed & (self.mean > 0)
        mean = np.where(gam, self.mean, 1.0)
        var = np.where(gam, self.var, 1.0)
        return fixed, gam, mean * mean / var, var / mean

    def loss1(self, y: Floats) -> Floats:
        """G1(y) = E[(X - y)+], the expected amount by which X exceeds y."""
        fixed, gam, a, theta = self._parts()
        sd = np.where(fixed, 1.0, self.sd)
        z = (y - self.mean) / sd
        normal = sd * (_npdf(z) - z * _nsf(z))
        yp = np.maximum(y, 0.0)
        g = a * theta * _gsf(a + 1, yp, theta) - yp * _gsf(a, yp, theta)
        g = np.where(y < 0, self.mean - y, g)
        out = np.where(gam, g, normal)
        out = np.where(fixed, np.maximum(self.mean - y, 0.0), out)
        return np.maximum(out, 0.0)

    def loss2(self, y: Floats) -> Floats:
        """G2(y) = E[((X - y)+)^2] / 2, the second order loss function (integral of G1 over y)."""
        fixed, gam, a, theta = self._parts()
        sd = np.where(fixed, 1.0, self.sd)
        z = (y - self.mean) / sd
        normal = 0.5 * sd * sd * ((z * z + 1.0) * _nsf(z) - z * _npdf(z))
        yp = np.maximum(y, 0.0)
        g = 0.5 * (
            a * (a + 1) * theta * theta * _gsf(a + 2, yp, theta)
            - 2.0 * yp * a * theta * _gsf(a + 1, yp, theta)
            + yp * yp * _gsf(a, yp, theta)
        )
        d = self.mean - y
        g = np.where(y < 0, 0.5 * (self.var + d * d), g)
        out = np.where(gam, g, normal)
        out = np.where(fixed, 0.5 * np.maximum(d, 0.0) ** 2, out)
        return np.maximum(out, 0.0)

    def cdf(self, y: Floats) -> Floats:
        """P(X <= y)."""
        fixed, gam, a, theta = self._parts()
        sd = np.where(fixed, 1.0, self.sd)
        out = np.where(
            gam, _stats().gamma.cdf(y, a, scale=theta), _stats().norm.cdf((y - self.mean) / sd)
        )
        return np.where(fixed, (self.mean <= y).astype(float), out)

    def ppf(self, p: Floats) -> Floats:
        """The p-quantile of X."""
        fixed, gam, a, theta = self._parts()
        normal = self.mean + self.sd * _stats().norm.ppf(p)
        out = np.where(gam, _stats().gamma.ppf(p, a, scale=theta), normal)
        return np.where(fixed, self.mean, out)


def period_demand(
    demand_mean: Floats,
    demand_sd: Floats,
    days: Floats,
    days_sd: Floats,
    gamma: NDArray[np.bool_],
) -> PeriodDemand:
    """Demand over a (possibly random) number of days: mean d n, var n sd^2 + d^2 sd_n^2.

    The same formula as :func:`onhand.domain.replenishment.lead_time_demand`, on arrays.
    """
    mean = demand_mean * days
    var = days * demand_sd**2 + demand_mean**2 * days_sd**2
    return PeriodDemand(mean=mean, var=var, gamma=gamma)


class CompoundDemand:
    """Demand over a random number of days as a compound: each day has demand with probability
    p = 1 / ADI, of a gamma-distributed size (mean mu, shape alpha). Given K days with demand the
    total is Gamma(K alpha, theta) (0 when K = 0), so X is a mixture over K with weights
    ``weights[:, k]`` = P(K = k): exact for Bernoulli-gamma demand, and with the point mass at 0
    and the skew that intermittent demand has, which a single normal or gamma only imitates.
    """

    def __init__(self, weights: Floats, alpha: Floats, theta: Floats) -> None:
        self.weights = weights
        self.alpha = alpha
        self.theta = theta
        k = np.arange(weights.shape[1], dtype=float)[None, :]
        self._shape = np.maximum(k * alpha[:, None], 1e-300)
        size = alpha * theta
        self.mean = (weights * k).sum(axis=1) * size
        second = (weights * (k * alpha[:, None] * (k * alpha[:, None] + 1.0))).sum(axis=1)
        self.var = np.maximum(second * theta * theta - self.mean**2, 0.0)

    @property
    def sd(self) -> Floats:
        """Standard deviation."""
        return np.sqrt(self.var)

    def _sf(self, y: Floats, extra: int) -> Floats:
        # P(Gamma(k alpha + extra, theta) > y) per component; the k = 0 component is 0 (a point
        # mass at 0), which only the first term of each loss function sees, times k = 0.
        return _gsf(self._shape + extra, y[:, None], self.theta[:, None])

    def loss1(self, y: Floats) -> Floats:
        """G1(y) = E[(X - y)+]."""
        yp = np.maximum(y, 0.0)
        k_mean = self._shape * self.theta[:, None]
        comp = k_mean * self._sf(yp, 1) - yp[:, None] * self._sf(yp, 0)
        comp[:, 0] = 0.0
        g = (self.weights * comp).sum(axis=1)
        return np.maximum(np.where(y < 0, self.mean - y, g), 0.0)

    def loss2(self, y: Floats) -> Floats:
        """G2(y) = E[((X - y)+)^2] / 2."""
        yp = np.maximum(y, 0.0)
        a, th = self._shape, self.theta[:, None]
        comp = 0.5 * (
            a * (a + 1.0) * th * th * self._sf(yp, 2)
            - 2.0 * yp[:, None] * a * th * self._sf(yp, 1)
            + (yp * yp)[:, None] * self._sf(yp, 0)
        )
        comp[:, 0] = 0.0
        g = (self.weights * comp).sum(axis=1)
        d = self.mean - y
        return np.maximum(np.where(y < 0, 0.5 * (self.var + d * d), g), 0.0)

    def cdf(self, y: Floats) -> Floats:
        """P(X <= y)."""
        comp = 1.0 - self._sf(np.maximum(y, 0.0), 0)
        comp[:, 0] = 1.0
        return np.where(y < 0, 0.0, np.clip((self.weights * comp).sum(axis=1), 0.0, 1.0))

    def ppf(self, p: Floats) -> Floats:
        """The p-quantile of X (by bisection on the cdf)."""
        hi = self.mean + 40.0 * self.sd + 1.0
        return _solve(lambda y: -self.cdf(y), np.zeros_like(hi), hi, -p)


# Lead-time days considered for the compound model: mean +- this many standard deviations.
_LT_SPAN = 6.0
MAX_COMPOUND_DAYS = 2000


def compound_demand(
    demand_mean: Floats,
    demand_sd: Floats,
    interval: Floats,
    days: Floats,
    days_sd: Floats,
    extra: Floats,
) -> CompoundDemand:
    """The compound (Bernoulli occurrence, gamma size) demand over ``days`` (random: normal with
    ``days_sd``, rounded to whole days >= 0 like the simulator; a fractional constant is split
    between the two whole days around it) plus ``extra`` whole days.

    From the daily mean d, sd and ADI: p = 1 / ADI, size mean mu = d / p and size variance
    (sd^2 - p (1 - p) mu^2) / p, floored at a CV of 1 % (sizes nearly constant).
    """
    p = 1.0 / interval
    mu = demand_mean / p
    size_var = (demand_sd**2 - p * (1.0 - p) * mu * mu) / p
    size_var = np.maximum(size_var, (0.01 * mu) ** 2)
    alpha = mu * mu / size_var
    theta = size_var / mu
    low = np.maximum(np.floor(days - _LT_SPAN * days_sd), 0.0)
    high = np.ceil(days + _LT_SPAN * days_sd)
    top = int(np.max(high + extra)) if high.size else 0
    if top > MAX_COMPOUND_DAYS:
        raise InvalidInput(
            f"lead time and review period are too long (over {MAX_COMPOUND_DAYS} days)",
            code="invalid_lead_time",
        )
    n = days.shape[0]
    weights = np.zeros((n, top + 1))
    k = np.arange(top + 1, dtype=float)[None, :]
    spread = days_sd > 0
    safe_sd = np.where(spread, days_sd, 1.0)
    frac = days - np.floor(days)
    for lt in range(int(np.min(low)) if n else 0, int(np.max(high)) + 1 if n else 0):
        # P(rounded lead time = lt): the normal mass in [lt - 0.5, lt + 0.5), all below 0.5 at 0.
        upper = _stats().norm.cdf((lt + 0.5 - days) / safe_sd)
        lower = np.where(lt == 0, 0.0, _stats().norm.cdf((lt - 0.5 - days) / safe_sd))
        w_random = np.where((lt >= low) & (lt <= high), upper - lower, 0.0)
        w_fixed = np.where(lt == np.floor(days), 1.0 - frac, 0.0) + np.where(
            (lt == np.floor(days) + 1) & (frac > 0), frac, 0.0
        )
        w = np.where(spread, w_random, w_fixed)
        if not np.any(w > 0):
            continue
        weights += w[:, None] * _stats().binom.pmf(k, (lt + extra)[:, None], p[:, None])
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-300)
    return CompoundDemand(weights, alpha, theta)


# --- Shortage and cycle service of each policy under daily review -----------------------------


def _sq_short(lt: PeriodDemand, lt1: PeriodDemand, s: Floats, q: Floats) -> Floats:
    """Expected units short per day of (s, nQ): position after review uniform on (s, s+Q]."""
    upper = s + q
    spread = (lt1.loss2(s) - lt1.loss2(upper)) - (lt.loss2(s) - lt.loss2(upper))
    return np.maximum(spread / q, 0.0)


def _ss_atom(q: Floats, d: Floats, sd: Floats, interval: Floats) -> Floats:
    """Share of days an (s, S) policy's position sits at S after the review (renewal theory).

    With p = 1 / ADI the chance of demand on a day, the non-zero daily demands have mean
    mu = d / p and second moment mu2 = (sd^2 + d^2) / p; the expected number of them in Q is
    about Q / mu + mu2 / (2 mu^2) - 1, and the position rests at S for one of those steps.
    """
    mu = d * interval
    mu2 = (sd * sd + d * d) * interval
    steps = q / mu + mu2 / (2.0 * mu * mu)
    return np.clip(1.0 / np.maximum(steps, 1.0), 0.0, 1.0)


def _ss_short(lt: PeriodDemand, lt1: PeriodDemand, s: Floats, q: Floats, atom: Floats) -> Floats:
    """Expected units short per day of (s, S = s + Q): an atom at S plus an even spread."""
    big = s + q
    at_max = lt1.loss1(big) - lt.loss1(big)
    spread = ((lt1.loss2(s) - lt1.loss2(big)) - (lt.loss2(s) - lt.loss2(big))) / q
    return np.maximum(atom * at_max + (1.0 - atom) * spread, 0.0)


def _cycle_risk(lt: PeriodDemand, lt1: PeriodDemand, s: Floats, d: Floats) -> Floats:
    """Share of replenishment cycles with a stockout for a reorder point s under daily review.

    The position that triggers an order is s less the undershoot, and the cycle runs short when
    the lead-time demand exceeds it: (G1_{L+1}(s) - G1_L(s)) / d.
    """
    return np.clip((lt1.loss1(s) - lt.loss1(s)) / d, 0.0, 1.0)


def _rs_short(lt: PeriodDemand, prot: PeriodDemand, big: Floats, r: Floats) -> Floats:
    """Expected units short per day of (R, S): (G1_{R+L}(S) - G1_L(S)) / R."""
    return np.maximum((prot.loss1(big) - lt.loss1(big)) / r, 0.0)


def _solve(f: Callable[[Floats], Floats], lo: Floats, hi: Floats, target: Floats) -> Floats:
    """The x in [lo, hi] with f(x) = target for a decreasing f, on whole arrays.

    False position with the Illinois modification (an end kept twice has its value halved), and
    a plain bisection every fourth step, so it converges fast on the smooth loss functions and
    never slower than bisection. Stops when every row is within 1e-10 of the target (a service
    level) or its bracket is below float resolution.
    """
    lo, hi = lo.copy(), hi.copy()
    f_lo, f_hi = f(lo) - target, f(hi) - target
    kept = np.zeros(lo.shape, dtype=np.int8)  # +1: lo moved last, -1: hi moved last
    x = 0.5 * (lo + hi)
    for step in range(_STEPS):
        gap = f_lo - f_hi
        secant = lo + f_lo * (hi - lo) / np.where(gap > 0, gap, 1.0)
        x = 0.5 * (lo + hi) if step % 4 == 3 else np.where(gap > 0, secant, 0.5 * (lo + hi))
        x = np.clip(x, lo, hi)
        fx = f(x) - target
        up = fx > 0  # still above the target: the root is to the right
        f_hi = np.where(up & (kept == 1), 0.5 * f_hi, f_hi)
        f_lo = np.where(~up & (kept == -1), 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(up, x, lo), np.where(up, fx, f_lo)
        hi, f_hi = np.where(up, hi, x), np.where(up, f_hi, fx)
        kept = np.where(up, 1, -1).astype(np.int8)
        tiny = hi - lo <= 1e-12 * np.maximum(1.0, np.abs(hi))
        if np.all((np.abs(fx) <= 1e-10) | tiny):
            break
    return x


# --- Validation ------------------------------------------------------------------------------


def _array(value: object, n: int | None, name: str, code: str) -> Floats:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be numbers", code=code) from exc
    if arr.ndim != 1:
        raise InvalidInput(f"{name} must be a one-dimensional array", code=code)
    if n is not None and arr.shape[0] != n:
        raise InvalidInput(
            f"{name} has {arr.shape[0]} entries, expected {n} (one per item-location)",
            code="length_mismatch",
        )
    return arr


def _check(ok: NDArray[np.bool_], message: str, code: str) -> None:
    if not np.all(ok):
        first = int(np.argmin(ok))
        raise InvalidInput(f"{message} (entry {first})", code=code)


@dataclass(frozen=True)
class _Checked:
    kind: NDArray[np.str_]
    d: Floats
    sd: Floats
    lt: Floats
    lt_sd: Floats
    r: Floats
    q: Floats
    fill: NDArray[np.bool_]
    level: Floats
    intermittent: NDArray[np.bool_]
    interval: Floats


def _validate(inputs: PolicyInputs) -> _Checked:
    kind = np.asarray(inputs.kind).astype(str)
    if kind.ndim != 1:
        raise InvalidInput("kind must be a one-dimensional array", code="invalid_policy_kind")
    n = kind.shape[0]
    _check(
        np.isin(kind, KINDS),
        f"policy kind must be one of {', '.join(KINDS)}",
        "invalid_policy_kind",
    )
    d = _array(inputs.demand_mean, n, "demand_mean", "invalid_demand")
    sd = _array(inputs.demand_sd, n, "demand_sd", "invalid_demand")
    lt = _array(inputs.lead_time_mean, n, "lead_time_mean", "invalid_lead_time")
    lt_sd = _array(inputs.lead_time_sd, n, "lead_time_sd", "invalid_lead_time")
    r = _array(inputs.review_period, n, "review_period", "invalid_review_period")
    q = _array(inputs.order_quantity, n, "order_quantity", "invalid_order_quantity")
    level = _array(inputs.service_level, n, "service_level", "invalid_service_level")
    stype = np.asarray(inputs.service_type).astype(str)
    if stype.shape != (n,):
        raise InvalidInput("service_type needs one entry per item-location", code="length_mismatch")
    inter = np.asarray(inputs.intermittent)
    if inter.shape != (n,) or inter.dtype != np.bool_:
        raise InvalidInput(
            "intermittent must be one true/false per item-location", code="invalid_intermittent"
        )
    if inputs.demand_interval is None:
        interval = np.ones(n)
    else:
        interval = _array(inputs.demand_interval, n, "demand_interval", "invalid_demand_interval")
    stocked = kind != "jit"
    _check(np.isfinite(d) & (d >= 0), "demand_mean must be a finite number >= 0", "invalid_demand")
    _check(np.isfinite(sd) & (sd >= 0), "demand_sd must be a finite number >= 0", "invalid_demand")
    _check(
        ~stocked | (np.isfinite(lt) & (lt >= 0) & np.isfinite(lt_sd) & (lt_sd >= 0)),
        "lead times must be finite numbers >= 0",
        "invalid_lead_time",
    )
    _check(
        (kind != "r_s") | (np.isfinite(r) & (r > 0)),
        "review_period must be greater than zero for r_s",
        "invalid_review_period",
    )
    needs_q = (kind == "s_q") | (kind == "min_max")
    _check(
        ~needs_q | (np.isfinite(q) & (q > 0)),
        "order_quantity must be greater than zero for s_q and min_max",
        "invalid_order_quantity",
    )
    _check(
        ~stocked | np.isin(stype, SERVICE_TYPES),
        f"service_type must be one of {', '.join(SERVICE_TYPES)}",
        "invalid_service_type",
    )
    _check(
        ~stocked | (np.isfinite(level) & (level > 0) & (level < 1)),
        "service_level must be strictly between 0 and 1 (e.g. 0.95)",
        "invalid_service_level",
    )
    _check(
        np.isfinite(interval) & (interval >= 1),
        "demand_interval (days between demands) must be 1 or more",
        "invalid_demand_interval",
    )
    return _Checked(
        kind, d, sd, lt, lt_sd, r, q, stype == "fill_rate", level, inter.astype(bool), interval
    )


# --- The levels --------------------------------------------------------------------------------


Demand = PeriodDemand | CompoundDemand


def _over(c: _Checked, idx: NDArray[np.intp], compound: bool, extra: Floats) -> Demand:
    """The demand model of rows ``idx`` over the lead time plus ``extra`` days."""
    if compound:
        return compound_demand(
            c.d[idx], c.sd[idx], c.interval[idx], c.lt[idx], c.lt_sd[idx], np.rint(extra)
        )
    return period_demand(c.d[idx], c.sd[idx], c.lt[idx] + extra, c.lt_sd[idx], c.intermittent[idx])


def _reorder_levels(
    c: _Checked, idx: NDArray[np.intp], out: dict[str, Floats], compound: bool
) -> None:
    """s (and S = s + Q) for the s_q and min_max rows in ``idx``."""
    if idx.size == 0:
        return
    d, sd, q, level = c.d[idx], c.sd[idx], c.q[idx], c.level[idx]
    zero = np.zeros(idx.size)
    lt = _over(c, idx, compound, zero)
    lt1 = _over(c, idx, compound, zero + 1.0)
    # The caller groups rows so that kind and service type are the same for all of idx: each
    # bisection step then evaluates one model, not both branches of a where.
    minmax = bool(c.kind[idx[0]] == "min_max")
    fill = bool(c.fill[idx[0]])
    atom = _ss_atom(q, d, sd, c.interval[idx]) if minmax else None

    def short(s: Floats) -> Floats:
        if atom is not None:
            return _ss_short(lt, lt1, s, q, atom)
        return _sq_short(lt, lt1, s, q)

    def risk(s: Floats) -> Floats:
        return short(s) / d if fill else _cycle_risk(lt, lt1, s, d)

    width = lt1.mean + q + 40.0 * lt1.sd + 1.0
    s = _solve(risk, lt.mean - width, lt1.mean + 40.0 * lt1.sd + d + 1.0, 1.0 - level)
    out["reorder_point"][idx] = s
    out["order_up_to"][idx] = s + q if minmax else np.nan
    out["order_quantity"][idx] = q
    out["safety_stock"][idx] = s - lt.mean
    out["protection_mean"][idx] = lt.mean
    out["protection_sd"][idx] = lt.sd
    out["expected_fill_rate"][idx] = 1.0 - short(s) / d
    out["expected_cycle_service"][idx] = 1.0 - _cycle_risk(lt, lt1, s, d)


def _order_up_to_levels(
    c: _Checked, idx: NDArray[np.intp], out: dict[str, Floats], compound: bool
) -> None:
    """S for the r_s rows in ``idx``."""
    if idx.size == 0:
        return
    d, r, level = c.d[idx], c.r[idx], c.level[idx]
    lt = _over(c, idx, compound, np.zeros(idx.size))
    prot = _over(c, idx, compound, r)
    fill = bool(c.fill[idx[0]])  # one service type per call (see _reorder_levels)

    def short_share(big: Floats) -> Floats:
        return _rs_short(lt, prot, big, r) / d

    hi = prot.mean + 40.0 * prot.sd + 1.0
    big = _solve(short_share, -hi, hi, 1.0 - level) if fill else prot.ppf(level)
    out["order_up_to"][idx] = big
    out["safety_stock"][idx] = big - prot.mean
    out["protection_mean"][idx] = prot.mean
    out["protection_sd"][idx] = prot.sd
    out["expected_fill_rate"][idx] = 1.0 - short_share(big)
    out["expected_cycle_service"][idx] = prot.cdf(big)


def policy_levels(inputs: PolicyInputs) -> PolicyLevels:
    """Reorder points, order-up-to levels and safety stock that meet each row's service target
    under a daily review (see the module doc for the model and docs/policy-simulation.md)."""
    c = _validate(inputs)
    n = c.kind.shape[0]
    out = {
        name: np.full(n, np.nan)
        for name in (
            "reorder_point",
            "order_up_to",
            "order_quantity",
            "safety_stock",
            "protection_mean",
            "protection_sd",
            "expected_fill_rate",
            "expected_cycle_service",
        )
    }
    # Intermittent rows with a known demand interval use the compound model, the others a
    # gamma (intermittent) or normal (smooth) demand over the lead time.
    compound = c.intermittent & (c.interval > 1)
    method = np.where(compound, "compound", np.where(c.intermittent, "gamma", "normal"))
    method = method.astype("<U9")
    jit = c.kind == "jit"
    # No demand at all: nothing to protect; levels 0 so nothing is ordered ahead of demand.
    idle = ~jit & (c.d <= 0)
    for name, value in (
        ("reorder_point", 0.0),
        ("order_up_to", 0.0),
        ("safety_stock", 0.0),
        ("protection_mean", 0.0),
        ("protection_sd", 0.0),
    ):
        out[name][jit | idle] = value
    out["reorder_point"][(jit | idle) & (c.kind == "r_s")] = np.nan
    out["order_up_to"][idle & (c.kind == "s_q")] = np.nan
    keep_q = idle & np.isin(c.kind, ("s_q", "min_max"))
    out["order_quantity"][keep_q] = c.q[keep_q]
    out["reorder_point"][jit] = 0.0
    method[jit] = "jit"
    method[idle] = "no_demand"
    live = ~jit & ~idle
    reorder = live & np.isin(c.kind, ("s_q", "min_max"))
    periodic = live & (c.kind == "r_s")
    for is_compound in (False, True):
        for by_fill in (False, True):
            rows = (compound == is_compound) & (c.fill == by_fill)
            for kind in ("s_q", "min_max"):
                group = reorder & rows & (c.kind == kind)
                _reorder_levels(c, np.flatnonzero(group), out, is_compound)
            _order_up_to_levels(c, np.flatnonzero(periodic & rows), out, is_compound)
    return PolicyLevels(method=method, **out)
