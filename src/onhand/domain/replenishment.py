"""Replenishment planning formulas: EOQ, safety stock, reorder policies, demand patterns.

Plain functions and frozen dataclasses with no I/O, for the planning steps of issue 5 to build on.

The statistics (means, standard deviations, service levels, safety factors, EOQ) are floats:
they are estimates from a normal model of demand, not stock quantities, and the normal
distribution lives in floating point (``scipy.stats.norm``). Quantities that become order lines
cross into ``Decimal`` at the boundary: :func:`quantity_from_estimate` rounds an estimate up to
a unit's precision and :func:`round_order_quantity` applies the minimum order quantity and the
pack size exactly.

Units: demand is per period (a day, a week, ...), lead times and review periods are in the same
periods, and ``annual_demand`` in :func:`eoq` is per year, like the carrying rate.

Sources (see docs/replenishment.md): Silver, Pyke and Thomas, *Inventory and Production
Management in Supply Chains* (4th ed., 2017); Snyder and Shen, *Fundamentals of Supply Chain
Theory* (2nd ed., 2019); Nahmias, *Production and Operations Analysis*; Syntetos, Boylan and
Croston (2005), "On the categorization of demand patterns", JORS 56(5).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import cache
from typing import Any

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import MAX_QUANTITY, SCALE, decimals_of


# scipy takes seconds to import; the API and the command line load this module without planning
# anything, so it is imported on first use.
@cache
def _norm() -> Any:
    from scipy.stats import norm

    return norm


def _brentq(f: Callable[[float], float], a: float, b: float, **options: float) -> float:
    from scipy.optimize import brentq

    return float(brentq(f, a, b, **options))


Number = float | int | Decimal

# Syntetos-Boylan-Croston cut-offs: average inter-demand interval and squared coefficient of
# variation of the non-zero demand sizes.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
_ADI_CUTOFF_EXACT = Fraction("1.32")
_CV2_CUTOFF_EXACT = Fraction("0.49")

# G(k) underflows to 0.0 near k = 38.5; above 40 no positive target can be reached any more.
_K_MAX = 40.0
# Significant digits kept when an estimate becomes a Decimal quantity (floats carry about 15.8).
_SIGNIFICANT_DIGITS = 12
# Joint (Q, R): Q is solved to this relative accuracy. Hadley and Whitin's iteration settles in
# a few dozen steps for ordinary inputs; a run that has not after _MAX_ITERATIONS is refused.
_TOLERANCE = 1e-10
_MAX_ITERATIONS = 500


def _number(value: Number, field: str, code: str) -> float:
    """A finite float from an int, float or Decimal; anything else is refused with ``code``."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidInput(f"{field} must be a number, got {value!r}", code=code)
    try:
        result = float(value)
    except OverflowError:  # an int beyond the float range
        result = math.inf
    if not math.isfinite(result):
        raise InvalidInput(f"{field} must be a finite number", code=code)
    return result


def _non_negative(value: Number, field: str, code: str) -> float:
    result = _number(value, field, code)
    if result < 0:
        raise InvalidInput(f"{field} must be zero or more, got {value}", code=code)
    return result


def _positive(value: Number, field: str, code: str) -> float:
    result = _number(value, field, code)
    if result <= 0:
        raise InvalidInput(f"{field} must be greater than zero, got {value}", code=code)
    return result


def _finite(result: float, what: str) -> float:
    """Refuse a result that overflowed the float range (inputs near 1e308 multiply to inf)."""
    if not math.isfinite(result):
        raise InvalidInput(f"{what} is too large to compute", code="out_of_range")
    return result


def _service_level(value: Number, field: str) -> float:
    result = _number(value, field, "invalid_service_level")
    if not 0 < result < 1:
        raise InvalidInput(
            f"{field} must be strictly between 0 and 1 (e.g. 0.95), got {value}",
            code="invalid_service_level",
        )
    return result


# --- Economic order quantity ---------------------------------------------------------------


def holding_cost(unit_cost: Number, carrying_rate: Number) -> float:
    """Cost of holding one unit for a year: unit cost x annual carrying rate (0.25 = 25 %)."""
    cost = _positive(unit_cost, "unit_cost", "invalid_cost")
    rate = _positive(carrying_rate, "carrying_rate", "invalid_carrying_rate")
    return cost * rate


def eoq_from_holding_cost(
    annual_demand: Number, order_cost: Number, annual_holding_cost: Number
) -> float:
    """Economic order quantity sqrt(2 D K / h) for a holding cost h per unit and year."""
    demand = _non_negative(annual_demand, "annual_demand", "invalid_demand")
    cost = _non_negative(order_cost, "order_cost", "invalid_cost")
    h = _positive(annual_holding_cost, "holding_cost", "invalid_cost")
    return _finite(math.sqrt(2.0 * demand * cost / h), "the economic order quantity")


def eoq(
    annual_demand: Number, order_cost: Number, unit_cost: Number, carrying_rate: Number
) -> float:
    """Economic order quantity with holding cost = unit cost x carrying rate.

    ``annual_demand`` in units per year, ``order_cost`` per order, ``carrying_rate`` per year
    as a fraction. No demand or a free order gives 0 (order lot for lot).
    """
    return eoq_from_holding_cost(annual_demand, order_cost, holding_cost(unit_cost, carrying_rate))


# --- Demand over the lead time --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadTimeDemand:
    """Mean and standard deviation of the demand over a lead time (or protection interval)."""

    mean: float
    sigma: float


def lead_time_demand(
    demand_mean: Number,
    demand_sigma: Number,
    lead_time: Number,
    lead_time_sigma: Number = 0.0,
) -> LeadTimeDemand:
    """Demand over a random lead time: mean d L, sigma sqrt(L sigma_d^2 + d^2 sigma_LT^2).

    ``demand_mean``/``demand_sigma`` are per period (from forecast errors), ``lead_time`` and
    ``lead_time_sigma`` in periods (from the supplier's receipts). Assumes demand per period is
    independent from period to period and of the lead time.
    """
    d = _non_negative(demand_mean, "demand_mean", "invalid_demand")
    sd = _non_negative(demand_sigma, "demand_sigma", "invalid_demand")
    lt = _non_negative(lead_time, "lead_time", "invalid_lead_time")
    lt_sd = _non_negative(lead_time_sigma, "lead_time_sigma", "invalid_lead_time")
    mean = _finite(d * lt, "the lead-time demand")
    sigma = _finite(math.sqrt(lt * sd * sd + d * d * lt_sd * lt_sd), "the lead-time demand sigma")
    return LeadTimeDemand(mean=mean, sigma=sigma)


def protection_interval_demand(
    demand_mean: Number,
    demand_sigma: Number,
    review_period: Number,
    lead_time: Number,
    lead_time_sigma: Number = 0.0,
) -> LeadTimeDemand:
    """Demand over the protection interval R + L of a periodic review (R, S) policy."""
    r = _positive(review_period, "review_period", "invalid_review_period")
    lt = _non_negative(lead_time, "lead_time", "invalid_lead_time")
    return lead_time_demand(demand_mean, demand_sigma, r + lt, lead_time_sigma)


# --- Standard normal loss function ----------------------------------------------------------


def normal_loss(k: Number) -> float:
    """Standard normal loss function G(k) = E[(Z - k)+] = phi(k) - k (1 - Phi(k))."""
    z = _number(k, "k", "invalid_safety_factor")
    # Beyond +-_K_MAX the tail terms are below the float range: G(k) = 0, and G(-k) = k + G(k).
    if z >= _K_MAX:
        return 0.0
    if z <= -_K_MAX:
        return -z
    # norm.sf keeps precision in the upper tail where 1 - cdf would cancel to 0.
    return float(_norm().pdf(z) - z * _norm().sf(z))


def inverse_normal_loss(target: Number) -> float:
    """The k with G(k) = target (G falls strictly from +inf to 0, so it is unique)."""
    g = _positive(target, "loss target", "invalid_loss_target")
    # G(-k) = k + G(k), so G(-g - 1) > g; and G(_K_MAX) = 0 < g: the root lies between them.
    return float(_brentq(lambda z: normal_loss(z) - g, -g - 1.0, _K_MAX, xtol=1e-12, rtol=1e-12))


# --- Safety stock -------------------------------------------------------------------------


def safety_factor_for_cycle_service(cycle_service_level: Number) -> float:
    """Safety factor k for a cycle service level (type 1, P1): k = Phi^-1(CSL)."""
    return float(_norm().ppf(_service_level(cycle_service_level, "cycle_service_level")))


def safety_stock_for_cycle_service(cycle_service_level: Number, sigma: Number) -> float:
    """Safety stock k sigma for a cycle service level, sigma of demand over the lead time."""
    s = _non_negative(sigma, "sigma", "invalid_demand")
    return _finite(safety_factor_for_cycle_service(cycle_service_level) * s, "the safety stock")


def safety_factor_for_fill_rate(fill_rate: Number, order_quantity: Number, sigma: Number) -> float:
    """Safety factor k for a fill rate (type 2, P2): G(k) = Q (1 - fill) / sigma.

    Silver, Pyke and Thomas's backorder approximation: expected units short per cycle,
    sigma G(k), is the share (1 - fill) of the Q units a cycle supplies. For (R, S) use the
    mean demand over one review period as Q. k may be negative when Q alone is large enough.
    """
    p2 = _service_level(fill_rate, "fill_rate")
    q = _positive(order_quantity, "order_quantity", "invalid_order_quantity")
    s = _positive(sigma, "sigma", "invalid_demand")
    return inverse_normal_loss(_finite(q * (1.0 - p2) / s, "the fill-rate loss target"))


def safety_stock_for_fill_rate(fill_rate: Number, order_quantity: Number, sigma: Number) -> float:
    """Safety stock k sigma for a fill rate; no variability (sigma 0) needs no safety stock."""
    s = _non_negative(sigma, "sigma", "invalid_demand")
    if s == 0:
        _service_level(fill_rate, "fill_rate")
        _positive(order_quantity, "order_quantity", "invalid_order_quantity")
        return 0.0
    return _finite(
        safety_factor_for_fill_rate(fill_rate, order_quantity, s) * s, "the safety stock"
    )


# --- Policies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReorderPointPolicy:
    """(s, Q): when the inventory position falls to s or below, order Q."""

    reorder_point: float
    order_quantity: float


@dataclass(frozen=True, slots=True)
class MinMaxPolicy:
    """(s, S): when the inventory position falls to s (min) or below, order up to S (max)."""

    minimum: float
    maximum: float


@dataclass(frozen=True, slots=True)
class OrderUpToPolicy:
    """(R, S): every R periods, order up to S."""

    review_period: float
    order_up_to: float


def reorder_point(demand: LeadTimeDemand, safety_stock: Number) -> float:
    """Reorder point s = mean demand over the lead time + safety stock."""
    level = demand.mean + _number(safety_stock, "safety_stock", "invalid_safety_stock")
    return _finite(level, "the reorder point")


def reorder_point_policy(
    demand: LeadTimeDemand, safety_stock: Number, order_quantity: Number
) -> ReorderPointPolicy:
    """(s, Q) with s = lead-time demand + safety stock and a fixed order quantity Q."""
    q = _positive(order_quantity, "order_quantity", "invalid_order_quantity")
    return ReorderPointPolicy(reorder_point=reorder_point(demand, safety_stock), order_quantity=q)


def min_max_policy(
    demand: LeadTimeDemand, safety_stock: Number, order_quantity: Number
) -> MinMaxPolicy:
    """(s, S) with s as for (s, Q) and the common approximation S = s + Q (Q usually the EOQ)."""
    policy = reorder_point_policy(demand, safety_stock, order_quantity)
    maximum = _finite(policy.reorder_point + policy.order_quantity, "the maximum")
    return MinMaxPolicy(minimum=policy.reorder_point, maximum=maximum)


def order_up_to_policy(
    review_period: Number, demand: LeadTimeDemand, safety_stock: Number
) -> OrderUpToPolicy:
    """(R, S) with S = demand over the protection interval R + L + safety stock.

    ``demand`` must cover R + L (see :func:`protection_interval_demand`).
    """
    r = _positive(review_period, "review_period", "invalid_review_period")
    return OrderUpToPolicy(review_period=r, order_up_to=reorder_point(demand, safety_stock))


# --- Lot size and reorder point together ------------------------------------------------------


def _demand_over_lead_time(demand: LeadTimeDemand) -> tuple[float, float]:
    # A LeadTimeDemand built by hand skips lead_time_demand's checks, so check it here.
    if not isinstance(demand, LeadTimeDemand):
        raise InvalidInput("demand must be a LeadTimeDemand", code="invalid_demand")
    mean = _non_negative(demand.mean, "lead-time demand mean", "invalid_demand")
    sigma = _non_negative(demand.sigma, "lead-time demand sigma", "invalid_demand")
    return mean, sigma


def _lot_size_costs(
    annual_demand: Number, order_cost: Number, annual_holding_cost: Number
) -> tuple[float, float, float]:
    # Both iterations start from the EOQ, so a free order (K = 0, EOQ 0) has no start.
    demand = _positive(annual_demand, "annual_demand", "invalid_demand")
    cost = _positive(order_cost, "order_cost", "invalid_cost")
    h = _positive(annual_holding_cost, "holding_cost", "invalid_cost")
    return demand, cost, h


def lot_size_reorder_point(
    annual_demand: Number,
    order_cost: Number,
    annual_holding_cost: Number,
    shortage_cost: Number,
    demand: LeadTimeDemand,
) -> ReorderPointPolicy:
    """(Q, R) with a cost per unit short, solved together by Hadley and Whitin's iteration.

    Nahmias's lot size-reorder point model (Snyder and Shen's "expected inventory level"
    approximation): start from Q = EOQ, then alternate
    1 - Phi((R - mu) / sigma) = Q h / (p lambda) and Q = sqrt(2 lambda (K + p n(R)) / h),
    n(R) = sigma G((R - mu) / sigma) the expected units short per cycle, until Q settles.
    ``annual_demand`` lambda and ``annual_holding_cost`` h are per year, ``order_cost`` K per
    order, ``shortage_cost`` p per unit short (backordered), ``demand`` is over the lead time.
    With no variability (sigma 0) R is the mean lead-time demand and Q the EOQ.
    """
    lam, k_cost, h = _lot_size_costs(annual_demand, order_cost, annual_holding_cost)
    p = _positive(shortage_cost, "shortage_cost", "invalid_cost")
    mu, sigma = _demand_over_lead_time(demand)
    q = eoq_from_holding_cost(lam, k_cost, h)
    if sigma == 0:
        return ReorderPointPolicy(reorder_point=mu, order_quantity=q)

    def safety_factor(order_quantity: float) -> float:
        scale = p * lam
        tail = order_quantity * h / scale if 0 < scale < math.inf else math.nan
        if not 0 < tail < math.inf:  # a product beyond the float range either way
            raise InvalidInput("the reorder point is out of range to compute", code="out_of_range")
        if tail >= 1:
            raise InvalidInput(
                "the shortage cost is too low against the holding cost: with Q h >= p x annual"
                " demand, holding stock against shortages never pays",
                code="shortage_cost_too_low",
            )
        return float(_norm().isf(tail))  # isf keeps precision for small tails

    for _ in range(_MAX_ITERATIONS):
        k = safety_factor(q)
        new_q = _finite(
            math.sqrt(2.0 * lam * (k_cost + p * sigma * normal_loss(k)) / h), "the lot size"
        )
        settled = abs(new_q - q) <= _TOLERANCE * new_q
        q = new_q
        if settled:
            r = _finite(mu + sigma * safety_factor(q), "the reorder point")
            return ReorderPointPolicy(reorder_point=r, order_quantity=q)
    raise InvalidInput("the lot size did not settle; check the inputs", code="not_converged")


def fill_rate_lot_size_reorder_point(
    annual_demand: Number,
    order_cost: Number,
    annual_holding_cost: Number,
    fill_rate: Number,
    demand: LeadTimeDemand,
) -> ReorderPointPolicy:
    """(Q, R) for a fill rate (type 2 service), Q and R solved together (Nahmias).

    Minimises the holding and ordering cost h (Q/2 + R - mu) + K lambda / Q subject to the
    fill rate n(R) = sigma G((R - mu) / sigma) = (1 - fill) Q. The Lagrange conditions give
    Q = a + sqrt(2 K lambda / h + a^2) with a = n(R) / (1 - F(R)), F the normal cdf of
    lead-time demand. Nahmias alternates this with R from the fill-rate equation, starting
    from the EOQ; the same fixed point is found here by a bracketed root search on Q, which
    also converges where the alternation crawls (fill rates just above 0.5).
    Units as in :func:`lot_size_reorder_point`. The fill rate must be above 0.5: at or below,
    the approximation has no minimum (a lower R and a larger Q always look cheaper).
    With no variability (sigma 0) R is the mean lead-time demand and Q the EOQ.
    """
    lam, k_cost, h = _lot_size_costs(annual_demand, order_cost, annual_holding_cost)
    p2 = _service_level(fill_rate, "fill_rate")
    if p2 <= 0.5:
        raise InvalidInput(
            f"fill_rate must be above 0.5 to choose Q and R together, got {fill_rate}",
            code="invalid_service_level",
        )
    mu, sigma = _demand_over_lead_time(demand)
    q_eoq = eoq_from_holding_cost(lam, k_cost, h)
    if sigma == 0:
        return ReorderPointPolicy(reorder_point=mu, order_quantity=q_eoq)
    eoq_squared = q_eoq * q_eoq

    def excess(q: float) -> float:
        # Q from the Lagrange condition at R(Q), minus Q: positive below the answer.
        k = safety_factor_for_fill_rate(p2, q, sigma)
        tail = float(_norm().sf(k))
        if tail == 0:  # k near 38: a shortage per cycle below any float
            raise InvalidInput("the fill rate is too close to 1 to compute", code="out_of_range")
        a = _finite(sigma * normal_loss(k) / tail, "the lot size")
        return _finite(a + math.sqrt(eoq_squared + a * a), "the lot size") - q

    if q_eoq == 0:  # 2 K lambda / h below the float range
        raise InvalidInput("the lot size is too small to compute", code="out_of_range")
    # At the EOQ the excess is positive; for large Q it tends to (1 - 2 fill) Q < 0. The answer
    # is at least the EOQ and, when sigma dwarfs it, of the order of sigma / k with k < 40.
    low, high = q_eoq, max(2.0 * q_eoq, sigma / 64.0)
    while excess(high) > 0:
        low, high = high, _finite(4.0 * high, "the lot size")
    # xtol relative to the EOQ: an absolute one would swamp a tiny lot size.
    q = float(_brentq(excess, low, high, xtol=q_eoq * 1e-12, rtol=_TOLERANCE))
    r = _finite(mu + sigma * safety_factor_for_fill_rate(p2, q, sigma), "the reorder point")
    return ReorderPointPolicy(reorder_point=r, order_quantity=q)


# --- Exact quantities at the boundary ---------------------------------------------------------


def quantity_from_estimate(value: Number, precision: int = 0) -> Decimal:
    """An estimate as a Decimal quantity, rounded up to ``precision`` decimals (never below it).

    Float noise past 12 significant digits is dropped first, so 0.1 x 30 = 3.0000000000000004
    gives 3, not 4.
    """
    number = _number(value, "quantity", "invalid_number")
    if not 0 <= precision <= SCALE:
        raise InvalidInput(
            f"precision must be between 0 and {SCALE}, got {precision}", code="invalid_precision"
        )
    if abs(number) >= MAX_QUANTITY:
        raise InvalidInput(f"quantity {value} is too large", code="quantity_too_large")
    text = format(number, f".{_SIGNIFICANT_DIGITS}g")
    return Decimal(text).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_CEILING)


def _decimal(value: Decimal, field: str, code: str) -> Decimal:
    # Bounded like every stored quantity, so the integer arithmetic below stays small.
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(f"{field} must be a finite decimal number", code=code)
    if abs(value) >= MAX_QUANTITY:
        raise InvalidInput(f"{field} {value} is too large", code=code)
    if decimals_of(value) > SCALE:
        raise InvalidInput(f"{field} {value} has more than {SCALE} decimals", code=code)
    return value


def round_order_quantity(
    quantity: Decimal,
    *,
    minimum_order_quantity: Decimal | None = None,
    pack_size: Decimal | None = None,
) -> Decimal:
    """Round a wanted quantity up to the MOQ, then up to a whole number of packs.

    Exact: the values are scaled to integers, so the result is never below the MOQ (nor the
    wanted quantity) and is always a multiple of the pack size.
    """
    q = _decimal(quantity, "quantity", "invalid_number")
    if q <= 0:
        raise InvalidInput(
            f"quantity must be greater than zero, got {q}", code="quantity_not_positive"
        )
    if minimum_order_quantity is not None:
        moq = _decimal(minimum_order_quantity, "minimum_order_quantity", "invalid_moq")
        if moq < 0:
            raise InvalidInput("minimum_order_quantity must be zero or more", code="invalid_moq")
        q = max(q, moq)
    if pack_size is None:
        return q
    pack = _decimal(pack_size, "pack_size", "invalid_pack_size")
    if pack <= 0:
        raise InvalidInput("pack_size must be greater than zero", code="invalid_pack_size")
    scale = max(decimals_of(q), decimals_of(pack))
    q_int = int(q.scaleb(scale))
    pack_int = int(pack.scaleb(scale))
    packs = -(-q_int // pack_int)  # ceiling division on integers
    return Decimal(packs) * pack


# --- Demand pattern classification ----------------------------------------------------------


class DemandPattern(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


@dataclass(frozen=True, slots=True)
class DemandProfile:
    """ADI, CV^2 of the non-zero demand sizes and the resulting Syntetos-Boylan class."""

    adi: float
    cv2: float
    pattern: DemandPattern


def classify_demand(series: Sequence[Number]) -> DemandProfile:
    """Syntetos-Boylan-Croston class of a demand series (one value per period, zeros included).

    ADI = periods / periods with demand; CV^2 = (population sd / mean)^2 of the non-zero
    demands. A value on a cut-off (ADI 1.32, CV^2 0.49) counts as the higher side. Computed in
    exact fractions, so a series exactly on a cut-off is classified the same on every machine.
    """
    if len(series) == 0:
        raise InvalidInput("the demand series is empty", code="invalid_demand_series")
    for value in series:
        _non_negative(value, "demand", "invalid_demand")
    sizes = [Fraction(v) for v in series if v > 0]
    if not sizes:
        raise InvalidInput("the demand series has no demand to classify", code="no_demand")
    adi = Fraction(len(series), len(sizes))
    mean = sum(sizes) / len(sizes)
    cv2 = sum((v - mean) ** 2 for v in sizes) / len(sizes) / (mean * mean)
    intermittent = adi >= _ADI_CUTOFF_EXACT
    variable = cv2 >= _CV2_CUTOFF_EXACT
    if intermittent:
        pattern = DemandPattern.LUMPY if variable else DemandPattern.INTERMITTENT
    else:
        pattern = DemandPattern.ERRATIC if variable else DemandPattern.SMOOTH
    return DemandProfile(adi=float(adi), cv2=float(cv2), pattern=pattern)
