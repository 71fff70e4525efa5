"""The exceptions list ("control tower"): its kinds, severities, roles and thresholds, and the
rules that grade one exception. Pure: the store finds the situations, these rules say how bad
each one is and who should act.

Every exception has a stable ``key`` (what it is about, e.g. ``stockout:item=12:warehouse=3``)
and a ``fingerprint`` (the numbers of the situation): an acknowledgement hides the exception
while its fingerprint is the one acknowledged, so it comes back when the situation changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from onhand.domain.errors import InvalidInput

KINDS = (
    "negative_stock",
    "below_reorder_point",
    "stockout",
    "count_variance",
    "lot_expiring",
    "dead_stock",
    "excess_stock",
    "late_purchase_order",
    "reservation_cannot_ship",
    "unusual_adjustment",
    "sensor_excursion",
    "sensor_stale",
)
# Most severe first: the list is sorted this way and ``severity=`` keeps this one and worse.
SEVERITIES = ("critical", "high", "medium", "low")
ROLES = ("clerk", "manager", "admin")
# The days of outbound that daily usage (days of cover, stockout demand) is measured over.
USAGE_DAYS = 90
# A lot expiring within this many days is high rather than medium.
EXPIRY_HIGH_DAYS = 7
# A purchase order line this many days late is high rather than medium.
LATE_HIGH_DAYS = 7
# An ended excursion that found stock no hold could stop (items without lots) stays listed
# this many days after it ended, so that someone looks at those goods.
EXCURSION_DAYS = 7
# Keys are recorded in the audit trail, whose entity ids are at most 128 characters.
MAX_KEY = 128


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What makes a situation an exception; each has a documented default (docs/exceptions.md)."""

    expiry_days: int = 30
    dead_days: int = 180
    cover_days: int = 365
    adjustment_value: Decimal = Decimal(1000)
    adjustment_qty: Decimal | None = None
    adjustment_count: int = 10
    adjustment_days: int = 7

    def check(self) -> None:
        """Refuse values outside their documented ranges (nothing is looked up before this)."""
        for name, low, high in (
            ("expiry_days", 0, 3650),
            ("dead_days", 1, 3650),
            ("cover_days", 1, 3650),
            ("adjustment_count", 1, 100_000),
            ("adjustment_days", 1, 365),
        ):
            value = getattr(self, name)
            if not low <= value <= high:
                raise InvalidInput(
                    f"{name} must be between {low} and {high}, not {value}", code=f"invalid_{name}"
                )
        for name in ("adjustment_value", "adjustment_qty"):
            value = getattr(self, name)
            if value is not None and (not value.is_finite() or value <= 0 or value > 10**12):
                raise InvalidInput(
                    f"{name} must be a positive number up to 10^12", code=f"invalid_{name}"
                )


def check_kinds(kinds: list[str] | None) -> list[str]:
    """The kinds asked for, in the list's order, or every kind when none is named."""
    if not kinds:
        return list(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidInput(
            f"kind must be one of {', '.join(KINDS)}, not {unknown[0]!r}", code="invalid_kind"
        )
    return [k for k in KINDS if k in kinds]


def check_choice(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(
            f"{field} must be one of {', '.join(allowed)}, not {value!r}", code=f"invalid_{field}"
        )


def at_least(severity: str, minimum: str | None) -> bool:
    """Whether ``severity`` is ``minimum`` or worse (no minimum: always)."""
    return minimum is None or SEVERITIES.index(severity) <= SEVERITIES.index(minimum)


def kind_of_key(key: str) -> str:
    """The kind a key names (its first part), or a typed error for a key no kind makes."""
    kind = key.split(":", 1)[0]
    if not key or len(key) > MAX_KEY or kind not in KINDS or ":" not in key:
        raise InvalidInput(
            f"{key[:MAX_KEY]!r} is not an exception key (kind:field=value...)", code="invalid_key"
        )
    return kind


def lot_severity(expiry: date, today: date) -> str:
    """Expired: critical; expiring within a week: high; later within the window: medium."""
    if expiry < today:
        return "critical"
    return "high" if (expiry - today).days <= EXPIRY_HIGH_DAYS else "medium"


def late_severity(days_late: int) -> str:
    return "high" if days_late >= LATE_HIGH_DAYS else "medium"


def stockout_severity(backordered: Decimal) -> str:
    """Customers waiting on it: critical; otherwise the next order cannot be served: high."""
    return "critical" if backordered > 0 else "high"


def reorder_severity(on_hand: Decimal, on_order: Decimal, reorder_point: Decimal) -> str:
    """Nothing coming and the shelf itself below the reorder point: high; else medium."""
    return "high" if on_order <= 0 and on_hand < reorder_point else "medium"


def shortfall_severity(shippable: Decimal) -> str:
    """Nothing of the reserved stock can ship: critical; part of it: high."""
    return "critical" if shippable <= 0 else "high"


def days_of_cover(on_hand: Decimal, outbound: Decimal, usage_days: int = USAGE_DAYS) -> Decimal:
    """On hand divided by the daily outbound of the last ``usage_days`` days (outbound > 0)."""
    return on_hand * usage_days / outbound
