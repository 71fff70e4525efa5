"""What a replenishment run suggests, worked by hand: order quantities per policy, daily demand
over a protection interval, EOQ, reasons, and the checks on policies and run requests."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.errors import InvalidInput
from onhand.domain.planning import PolicySettings, RunDefaults, RunRequest, whole_buckets
from onhand.planning import suggestions


def test_order_quantities_per_policy() -> None:
    kind = np.array(["s_q", "s_q", "s_q", "min_max", "min_max", "r_s", "r_s", "jit", "jit"])
    position = np.array([40.0, 70.0, 71.0, 30.0, 90.0, 30.0, 150.0, -12.0, 5.0])
    s = np.array([70.0, 70.0, 70.0, 50.0, 50.0, np.nan, np.nan, 0.0, 0.0])
    big_s = np.array([np.nan, np.nan, np.nan, 120.0, 120.0, 100.0, 100.0, 0.0, 0.0])
    q = np.array([25.0, 25.0, 25.0, 70.0, 70.0, 1.0, 1.0, 1.0, 1.0])
    got = suggestions.order_quantities(kind, position, s, big_s, q)
    # (s, Q) at 40 below s = 70: 2 x 25 lifts it to 90 (1 x 25 = 65 would still be <= 70);
    # exactly at s orders once (95); above s nothing. min/max orders up to S only below s.
    # (R, S) orders up to S at every review, never a negative quantity; JIT covers what is
    # committed beyond stock.
    assert got.tolist() == [50.0, 25.0, 0.0, 90.0, 0.0, 70.0, 0.0, 12.0, 0.0]


def test_daily_demand_over_the_protection_interval() -> None:
    weekly = np.array([[70.0, 140.0, 210.0], [7.0, 7.0, 7.0]])
    # 10 days: a whole first week (10/day) and 3/7 of the second (20/day): (70 + 60) / 10.
    got = suggestions.daily_demand(weekly, 7.0, np.array([10.0, 30.0]))
    assert got[0] == pytest.approx(13.0)
    # 30 days beyond a 21-day horizon: the last bucket's rate carries on: 1 a day throughout.
    assert got[1] == pytest.approx(1.0)


def test_economic_order_quantity_and_where_it_is_undefined() -> None:
    got = suggestions.economic_order_quantity(
        np.array([10.0, 10.0, 0.0]), np.array([50.0, 50.0, 50.0]),
        np.array([2.0, 0.0, 2.0]), np.array([0.25, 0.25, 0.25]),
    )  # fmt: skip
    # D = 3650 a year, K = 50, h = 2 x 0.25 = 0.5: sqrt(2 x 3650 x 50 / 0.5) = sqrt(730000).
    assert got[0] == pytest.approx(math.sqrt(730_000))
    assert np.isnan(got[1])
    assert np.isnan(got[2])


def test_the_reason_says_the_numbers() -> None:
    text = suggestions.reason(
        "s_q", position=40, on_hand=50, on_order=0, committed=10, reorder_point=140,
        order_up_to=math.nan, safety_stock=30, lead_time_demand=110, projected=-70,
        quantity=300,
    )  # fmt: skip
    assert text == (
        "reorder point 140 (lead-time demand 110 + safety stock 30); position 40 (on hand 50"
        " + on order 0 - committed 10), projected -70 at arrival: order 300"
    )
    assert "nothing to order" in suggestions.reason(
        "r_s", position=200, on_hand=200, on_order=0, committed=0, reorder_point=math.nan,
        order_up_to=150.5, safety_stock=12.25, lead_time_demand=20, projected=180, quantity=0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        (PolicySettings(kind="s_x"), "invalid_policy_kind"),
        (PolicySettings(kind="s_q", service_level=Decimal(1)), "invalid_service_level"),
        (PolicySettings(kind="s_q", service_type="both"), "invalid_service_type"),
        (PolicySettings(kind="r_s", review_days=0), "invalid_days"),
        (PolicySettings(kind="s_q", order_qty=Decimal(0)), "invalid_quantity"),
        (PolicySettings(kind="min_max", min_qty=Decimal(5)), "min_max_pair"),
        (PolicySettings(kind="s_q", min_qty=Decimal(5), max_qty=Decimal(9)), "min_max_pair"),
        (PolicySettings(kind="min_max", min_qty=Decimal(9), max_qty=Decimal(9)), "min_above_max"),
        (PolicySettings(kind="s_q", carrying_rate=Decimal(0)), "invalid_carrying_rate"),
        (PolicySettings(kind="s_q", order_cost=Decimal(-1)), "invalid_cost"),
        (PolicySettings(kind="s_q", transfer_days=2), "transfer_without_source"),
    ],
)
def test_bad_policies_are_refused_with_a_code(settings: PolicySettings, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        settings.check()
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (RunRequest("WH1", bucket="year"), "invalid_bucket"),
        (RunRequest("WH1", history_days=27), "invalid_history"),
        (RunRequest("WH1", horizon=0), "invalid_horizon"),
        (RunRequest("WH1", backtest_windows=0), "invalid_backtest"),
        (RunRequest("WH1", profile="best"), "invalid_forecast_profile"),
        (RunRequest("WH1", skus=[]), "no_items"),
        (RunRequest("WH1", defaults=RunDefaults(service_level=Decimal(0))),
         "invalid_service_level"),
    ],
)  # fmt: skip
def test_bad_run_requests_are_refused_with_a_code(request_: RunRequest, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        request_.check()
    assert caught.value.code == code


def test_history_is_whole_buckets_before_today() -> None:
    wednesday = date(2026, 12, 2)
    assert whole_buckets(wednesday, "week", 28) == (date(2026, 11, 2), date(2026, 11, 29))
    assert whole_buckets(wednesday, "day", 28) == (date(2026, 11, 4), date(2026, 12, 1))
    assert whole_buckets(wednesday, "month", 365) == (date(2025, 12, 1), date(2026, 11, 30))
    # On a Monday the week just ended counts.
    assert whole_buckets(date(2026, 12, 7), "week", 7) == (date(2026, 11, 30), date(2026, 12, 6))


@given(
    position=st.floats(-1e6, 1e6),
    s=st.floats(0, 1e6),
    q=st.floats(0.001, 1e5),
    gap=st.floats(0.001, 1e6),
)
def test_orders_lift_the_position_just_enough(
    position: float, s: float, q: float, gap: float
) -> None:
    kinds = np.array(["s_q", "min_max", "r_s"])
    big_s = s + gap
    got = suggestions.order_quantities(
        kinds, np.full(3, position), np.full(3, s), np.full(3, big_s), np.full(3, q)
    )
    s_q, min_max, r_s = got.tolist()
    if position <= s:
        # (s, Q): whole multiples of Q, above s after ordering, and one Q fewer would not be.
        packs = s_q / q
        assert abs(packs - round(packs)) < 1e-6 * max(1.0, packs)
        assert position + s_q > s - 1e-6 * max(1.0, abs(s))
        assert position + s_q - q <= s + 1e-6 * max(1.0, abs(s), abs(position))
        assert min_max == pytest.approx(big_s - position)
    else:
        assert s_q == 0
        assert min_max == 0
    assert r_s == pytest.approx(max(big_s - position, 0.0))
