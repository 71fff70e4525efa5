"""Replenishment policies and run parameters: what a planner may set, and its checks.

A policy belongs to one item at one warehouse. Fields left unset take the run's defaults, so an
organisation can plan every item with one set of defaults and set policies only where an item
needs its own. Money and rates are Decimals here; the store keeps micro-units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from onhand.domain.errors import InvalidInput

POLICY_KINDS = ("s_q", "min_max", "r_s", "jit")
SERVICE_TYPES = ("fill_rate", "cycle")
BUCKETS = ("day", "week", "month")
PROFILES = ("auto", "fast", "full")
MAX_DAYS = 365
MAX_HISTORY_DAYS = 5 * 366
MAX_HORIZON_BUCKETS = 104
MAX_CARRYING_RATE = Decimal(5)
# A run's suggestions may be acted on while it is the newest finished run of its warehouse.
# "interrupted": the process carrying it out stopped before it finished (see run_status).
RUN_STATUSES = ("running", "done", "failed", "interrupted")
# A running run's process records a heartbeat this often; a run without one for STALE_AFTER
# is taken for interrupted (the process stopped: a restart, a crash, a killed command). The
# bound is several beats long, so a busy database or a slow stage does not trip it.
HEARTBEAT_SECONDS = 20.0
STALE_AFTER = timedelta(minutes=3)
START_AGAIN = "start it again"
LINE_STATUSES = ("none", "proposed", "accepted", "rejected")


def _level(value: Decimal | None, name: str) -> None:
    if value is not None and not Decimal(0) < value < Decimal(1):
        raise InvalidInput(
            f"{name} is a fraction strictly between 0 and 1 (0.95 for 95 %), got {value}",
            code="invalid_service_level",
        )


def _days(value: int | None, name: str, *, minimum: int = 1, maximum: int = MAX_DAYS) -> None:
    if value is not None and not minimum <= value <= maximum:
        raise InvalidInput(
            f"{name} must be between {minimum} and {maximum} days, got {value}",
            code="invalid_days",
        )


def _choice(value: str | None, options: tuple[str, ...], name: str, code: str) -> None:
    if value is not None and value not in options:
        raise InvalidInput(f"{name} must be one of {', '.join(options)}, got {value!r}", code=code)


def _rate(value: Decimal | None, name: str) -> None:
    if value is not None and not Decimal(0) < value <= MAX_CARRYING_RATE:
        raise InvalidInput(
            f"{name} is a yearly fraction above 0 and at most {MAX_CARRYING_RATE}"
            f" (0.25 for 25 %), got {value}",
            code="invalid_carrying_rate",
        )


def _cost(value: Decimal | None, name: str) -> None:
    if value is not None and value < 0:
        raise InvalidInput(f"{name} cannot be negative, got {value}", code="invalid_cost")


def _check_shared(x: PolicySettings | RunDefaults) -> None:
    """The checks a policy and a run's defaults share (their common fields)."""
    _choice(x.kind, POLICY_KINDS, "kind", "invalid_policy_kind")
    _choice(x.service_type, SERVICE_TYPES, "service_type", "invalid_service_type")
    _level(x.service_level, "service_level")
    _days(x.review_days, "review_days")
    _days(x.transfer_days, "transfer_days", minimum=0)
    _cost(x.order_cost, "order_cost")
    _rate(x.carrying_rate, "carrying_rate")


@dataclass(slots=True)
class PolicySettings:
    """One item's policy at one warehouse. Quantities are in the item's unit."""

    kind: str
    service_type: str | None = None
    service_level: Decimal | None = None
    review_days: int | None = None
    order_qty: Decimal | None = None
    min_qty: Decimal | None = None
    max_qty: Decimal | None = None
    order_cost: Decimal | None = None
    carrying_rate: Decimal | None = None
    source_warehouse: str | None = None
    transfer_days: int | None = None

    def check(self) -> None:
        """Raise InvalidInput when a field is out of range or fields contradict each other."""
        _check_shared(self)
        for name in ("order_qty", "min_qty", "max_qty"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidInput(f"{name} cannot be negative", code="invalid_quantity")
        if self.order_qty is not None and self.order_qty == 0:
            raise InvalidInput("order_qty must be above 0 (leave it out for the EOQ)",
                               code="invalid_quantity")  # fmt: skip
        if (self.min_qty is None) != (self.max_qty is None):
            raise InvalidInput(
                "set min_qty and max_qty together (or neither, to compute them)",
                code="min_max_pair",
            )
        if self.min_qty is not None and self.max_qty is not None:
            if self.kind != "min_max":
                raise InvalidInput(
                    "fixed min_qty and max_qty belong to a min_max policy", code="min_max_pair"
                )
            if self.max_qty <= self.min_qty:
                raise InvalidInput(
                    f"max_qty ({self.max_qty}) must be above min_qty ({self.min_qty})",
                    code="min_above_max",
                )
        if self.transfer_days is not None and self.source_warehouse is None:
            raise InvalidInput(
                "transfer_days needs a source_warehouse to transfer from",
                code="transfer_without_source",
            )


@dataclass(slots=True)
class RunDefaults:
    """What items without a policy of their own (or with fields unset) are planned with."""

    kind: str = "s_q"
    service_type: str = "fill_rate"
    service_level: Decimal = Decimal("0.95")
    review_days: int = 7
    order_cost: Decimal = Decimal(50)
    carrying_rate: Decimal = Decimal("0.25")
    transfer_days: int = 2
    # Items without a preferred supplier or a source are planned with this lead time.
    lead_time_days: int = 7
    # Order quantity, in days of demand, where the EOQ is undefined (no unit cost, no demand).
    cover_days: int = 30

    def check(self) -> None:
        _check_shared(self)
        _days(self.lead_time_days, "lead_time_days", minimum=0)
        _days(self.cover_days, "cover_days")


@dataclass(slots=True)
class RunRequest:
    """A replenishment run of one warehouse over the history of the last ``history_days``."""

    warehouse: str
    bucket: str = "week"
    history_days: int = 728
    horizon: int | None = None  # buckets; default: enough for the longest lead time + review
    backtest_windows: int = 3
    profile: str = "auto"
    skus: list[str] | None = None
    defaults: RunDefaults = field(default_factory=RunDefaults)
    # Where the forecasts are fitted: this process on n_jobs cores (-1: all), or Dask.
    backend: str = "local"
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if self.skus:  # an SKU named twice is planned once
            self.skus = list(dict.fromkeys(self.skus))

    def check(self) -> None:
        _choice(self.bucket, BUCKETS, "bucket", "invalid_bucket")
        _choice(self.profile, PROFILES, "profile", "invalid_forecast_profile")
        if not 28 <= self.history_days <= MAX_HISTORY_DAYS:
            raise InvalidInput(
                f"history_days must be between 28 and {MAX_HISTORY_DAYS}, got {self.history_days}",
                code="invalid_history",
            )
        if self.horizon is not None and not 1 <= self.horizon <= MAX_HORIZON_BUCKETS:
            raise InvalidInput(
                f"horizon must be between 1 and {MAX_HORIZON_BUCKETS} buckets, got {self.horizon}",
                code="invalid_horizon",
            )
        if not 1 <= self.backtest_windows <= 12:
            raise InvalidInput(
                f"backtest_windows must be between 1 and 12, got {self.backtest_windows}",
                code="invalid_backtest",
            )
        if self.skus is not None and not self.skus:
            raise InvalidInput("name at least one SKU, or leave skus out for all",
                               code="no_items")  # fmt: skip
        _choice(self.backend, ("local", "dask"), "backend", "invalid_forecast_backend")
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise InvalidInput("n_jobs is a number of cores, or -1 for all", code="invalid_n_jobs")
        self.defaults.check()


def whole_buckets(today: date, bucket: str, history_days: int) -> tuple[date, date]:
    """The history a run forecasts from: complete buckets only, ending before ``today`` and
    spanning about ``history_days`` (at least one bucket). A partial bucket would read as a dip
    in demand."""
    if bucket == "day":
        end = today - timedelta(days=1)
        return end - timedelta(days=history_days - 1), end
    if bucket == "week":
        end = today - timedelta(days=today.isoweekday())  # the last Sunday before today
        weeks = max(history_days // 7, 1)
        return end - timedelta(days=7 * weeks - 1), end
    end = today.replace(day=1) - timedelta(days=1)  # the last day of the previous month
    months = max(round(history_days / 30.4375), 1)
    first = end.replace(day=1)
    year, month = divmod(first.year * 12 + first.month - 1 - (months - 1), 12)
    return date(year, month + 1, 1), end


def run_status(status: str, last_sign_of_life: datetime, now: datetime) -> str:
    """A run's status as it should be shown: a run still marked running whose process has
    given no sign of life (a heartbeat, or its start) for STALE_AFTER is interrupted."""
    if status == "running" and now - last_sign_of_life > STALE_AFTER:
        return "interrupted"
    return status


def interrupted_reason(last_sign_of_life: datetime) -> str:
    """Why a run is interrupted, and what to do, in words."""
    return (
        "the process carrying it out stopped before it finished: no sign of life since"
        f" {last_sign_of_life:%Y-%m-%d %H:%M} UTC; {START_AGAIN}"
    )
