"""Inventory KPIs as pure functions over aggregates.

The store sums the ledger (valuation entries, order lines) per item and scope with set
operations; these functions turn those sums into ratios. Every ratio whose denominator is zero
(or, for money, not positive) is ``None``: "not defined for this period", never an error and
never a misleading 0. Percentages are returned as percent (50 for one half).

The formulas are documented one by one below and in docs/kpis.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from onhand.domain.errors import InvalidInput

HUNDRED = Decimal(100)
YEAR_DAYS = 365
DEFAULT_DEAD_DAYS = 180
DEFAULT_COVER_DAYS = 365
MAX_COMPONENT = Decimal(100)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """numerator / denominator, or None when the denominator is 0."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def percent(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """100 x numerator / denominator, or None when the denominator is 0."""
    r = ratio(numerator, denominator)
    return None if r is None else r * HUNDRED


def average_value(opening: Decimal | int, weighted_net: Decimal | int, days: int) -> Decimal:
    """The daily average of end-of-day values over ``days`` days.

    The value at the end of day d is opening + the net changes of days 1..d, so the sum of the
    end-of-day values is days x opening + sum over each change of change x (days from its day
    to the last day, both counted): ``weighted_net``. The average is that sum / days."""
    if days <= 0:
        raise InvalidInput("a period has at least one day", code="invalid_period")
    return (Decimal(opening) * days + Decimal(weighted_net)) / days


def turnover(cogs: Decimal, avg_value: Decimal) -> Decimal | None:
    """Inventory turnover = cost of goods sold / average inventory value (over the same
    period, not annualised). None when the average value is not positive."""
    if avg_value <= 0:
        return None
    return cogs / avg_value


def days_of_inventory(days: int, cogs: Decimal, avg_value: Decimal) -> Decimal | None:
    """Days of inventory = days in period / turnover = average value / COGS x days. None when
    nothing was sold at cost (COGS not positive) or nothing was held."""
    if cogs <= 0 or avg_value <= 0:
        return None
    return avg_value / cogs * days


def fill_rate_by_unit(shipped: int, ordered: int) -> Decimal | None:
    """Fill rate by unit = units shipped / units ordered (net of cancellations) on the lines
    due in the period, in percent."""
    return percent(shipped, ordered)


def fill_rate_by_line(complete: int, lines: int) -> Decimal | None:
    """Fill rate by line = lines shipped complete / lines due in the period, in percent."""
    return percent(complete, lines)


def backorder_rate(backordered: int, total: int) -> Decimal | None:
    """Backorder rate = lines (or units) due in the period still waiting for stock / all those
    lines (units), in percent."""
    return percent(backordered, total)


def stockout_rate(stockout_days: int, stocked_days: int) -> Decimal | None:
    """Stockout rate = item-warehouse days ending at zero or below / item-warehouse days of the
    items stocked in that warehouse during the period, in percent."""
    return percent(stockout_days, stocked_days)


def sell_through(sold: Decimal, opening: Decimal, received: Decimal) -> Decimal | None:
    """Sell-through = units sold / (units on hand at the start + units received), in percent.
    None when nothing was on hand or received."""
    available = opening + received
    if available <= 0:
        return None
    return sold / available * HUNDRED


def gmroi(revenue: Decimal, cost_of_sales: Decimal, avg_value: Decimal) -> Decimal | None:
    """GMROI = gross margin / average inventory cost, gross margin = revenue - cost of the
    goods that revenue came from. None when the average value is not positive."""
    if avg_value <= 0:
        return None
    return (revenue - cost_of_sales) / avg_value


@dataclass(frozen=True, slots=True)
class CarryingRates:
    """Yearly cost of holding stock, each as percent of the average inventory value."""

    capital: Decimal
    storage: Decimal
    handling: Decimal
    insurance: Decimal
    shrink: Decimal
    obsolescence: Decimal

    @property
    def total(self) -> Decimal:
        """Carrying cost % per year = the sum of the components."""
        return sum((getattr(self, f.name) for f in fields(self)), Decimal(0))

    def as_dict(self) -> dict[str, Decimal]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


COMPONENTS = tuple(f.name for f in fields(CarryingRates))
# Starting points to change, not facts: every business has its own cost of capital and space.
DEFAULT_RATES = CarryingRates(
    capital=Decimal(10),
    storage=Decimal(5),
    handling=Decimal(2),
    insurance=Decimal(1),
    shrink=Decimal(1),
    obsolescence=Decimal(5),
)


def check_component(name: str, value: Decimal) -> Decimal:
    """A carrying-cost component: a percent per year from 0 to 100, at most 4 decimals."""
    if not value.is_finite() or value < 0 or value > MAX_COMPONENT:
        raise InvalidInput(
            f"{name} must be a percent per year from 0 to 100, got {value}",
            code="invalid_carrying_rate",
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise InvalidInput(f"{name} {value} has more than 4 decimals", code="invalid_carrying_rate")
    return value


def carrying_cost(avg_value: Decimal, rate_pct: Decimal, days: int) -> Decimal:
    """Carrying cost of a period = average inventory value x yearly rate x days / 365."""
    return avg_value * rate_pct / HUNDRED * days / YEAR_DAYS


def excess_quantity(qty: int, limit: int) -> int:
    """What is held above a limit (never negative)."""
    return max(0, qty - limit)


def cover_limit(outbound: int, days: int, cover_days: int) -> int:
    """The stock that lasts ``cover_days`` at the period's outbound rate (outbound / days per
    day), rounded down: stock above it is more than ``cover_days`` of cover."""
    if days <= 0:
        return 0
    return max(0, outbound) * cover_days // days


def dead_quantity(qty_now: int, qty_then: int, outbound_since: int) -> int:
    """Stock with no outbound for N days: when nothing went out since the day N days ago,
    what was held then and is still held now (the smaller of the two); else nothing."""
    if outbound_since > 0:
        return 0
    return max(0, min(qty_now, qty_then))


def part_of_value(value: int, part: int, whole: int) -> int:
    """The share of ``value`` held by ``part`` of ``whole`` units (0 when whole is not
    positive), rounded half away from zero."""
    if whole <= 0 or part <= 0:
        return 0
    if part >= whole:
        return value
    num = abs(value) * part * 2 + whole
    out = num // (2 * whole)
    return out if value >= 0 else -out


def check_days(value: int, field: str, *, top: int = 3660) -> int:
    """A whole number of days from 1 to ``top``."""
    if value < 1 or value > top:
        raise InvalidInput(
            f"{field} must be from 1 to {top} days, got {value}", code=f"invalid_{field}"
        )
    return value
