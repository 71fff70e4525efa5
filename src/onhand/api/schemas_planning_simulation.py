"""Request and response bodies of policy simulation (POST /planning/simulations).

Levels, demand parameters and service levels are statistics, so they travel as JSON numbers;
money (unit and order cost) as decimal strings, like everywhere else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import Code, Exact, Flag, In, Path, Qty

Num = Annotated[float, Field(allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")]


class PolicyIn(In):
    kind: Literal["s_q", "min_max", "r_s", "jit"] = Field(
        description="s_q: reorder point s, order Q; min_max: (s, S); r_s: every R days up to S; "
        "jit: no stock"
    )
    name: Name | None = None
    reorder_point: Num | None = Field(default=None, description="s (s_q, min_max)")
    order_up_to: Num | None = Field(default=None, description="S (min_max, r_s)")
    order_quantity: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        default=None, description="Q (s_q; with a service level also min_max, S = s + Q)"
    )
    review_period: Annotated[int, Field(ge=1, le=365)] = Field(
        default=1, description="R in days (r_s)"
    )
    service_type: Literal["fill_rate", "cycle"] = "fill_rate"
    service_level: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] | None = Field(
        default=None, description="a target (e.g. 0.95): the levels are set from the demand"
    )


class GeneratedIn(In):
    kind: Literal["normal", "intermittent"]
    days: Annotated[int, Field(ge=1, le=100_000)] = 3650
    mean: NonNeg = 0.0
    sd: NonNeg = 0.0
    seasonal_amplitude: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0
    season_length: Annotated[float, Field(ge=1, allow_inf_nan=False)] = 365.0
    interval: Annotated[float, Field(ge=1, allow_inf_nan=False)] = 1.0
    size_mean: NonNeg = 0.0
    size_cv: NonNeg = 0.0


class SimulationCreate(In):
    sku: Code
    location: Path | None = Field(
        default=None, description="read the daily demand here and below (unless generated)"
    )
    start: dt.date | None = None
    end: dt.date | None = None
    generated: GeneratedIn | None = None
    policies: list[PolicyIn] = Field(min_length=1, max_length=20)
    lead_time_days: NonNeg | None = Field(
        default=None, description="default: the preferred supplier's (learnt from receipts)"
    )
    lead_time_sd_days: NonNeg | None = None
    observed_lead_times: list[NonNeg] | None = Field(default=None, max_length=10_000)
    unit_cost: Exact | None = Field(default=None, description="default: the item's unit cost")
    order_cost: Exact = Decimal(0)
    carrying_rate: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 0.25
    lost_sales: Flag = False
    warmup_days: Annotated[int, Field(ge=0)] = 0
    seed: Annotated[int, Field(ge=0, lt=2**32)] = 0


class DemandUsed(BaseModel):
    kind: str = Field(description="history or generated")
    location: str | None
    start: dt.date | None
    end: dt.date | None
    days: int
    measured_days: int
    total: float | None
    mean: float | None
    sd: float | None
    pattern: str | None
    adi: float | None


class LeadTimeUsed(BaseModel):
    source: str
    mean_days: float | None
    sd_days: float | None
    observed: int | None


class PolicyResult(BaseModel):
    name: str
    kind: str
    reorder_point: float | None
    order_up_to: float | None
    order_quantity: float | None
    review_period: int | None
    service_type: str | None
    service_level: float | None
    method: str
    expected_fill_rate: float | None
    expected_cycle_service: float | None
    fill_rate: float | None
    cycle_service: float | None
    cycles: int
    average_on_hand: float | None
    average_on_hand_value: float | None
    average_backorders: float | None
    units_short: float | None
    backordered_units: float | None
    lost_units: float | None
    orders: int
    ordering_cost: float | None
    holding_cost: float | None
    total_cost: float | None
    stockout_days: int


class SimulationRead(BaseModel):
    sku: str
    demand: DemandUsed
    lead_time: LeadTimeUsed
    unit_cost: Qty
    order_cost: Qty
    carrying_rate: float
    lost_sales: bool
    seed: int
    policies: list[PolicyResult]
