"""Request and response bodies of replenishment planning: policies, runs, their lines and the
planner's decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import Code, Exact, In, Path, Qty

PolicyKind = Literal["s_q", "min_max", "r_s", "jit"]
ServiceType = Literal["fill_rate", "cycle"]
Days = Annotated[int, Field(ge=0, le=365)]
LineStatus = Literal["none", "proposed", "accepted", "rejected"]
Skus = Annotated[list[Code], Field(min_length=1, max_length=1000)]


class PolicySet(In):
    """An item's policy at a warehouse. Leave a field out to take the run's default."""

    sku: Code
    warehouse: Path
    kind: PolicyKind
    service_type: ServiceType | None = None
    service_level: Exact | None = Field(default=None, description="0.95 for 95 %")
    review_days: Days | None = Field(default=None, description="(R, S): days between reviews")
    order_qty: Exact | None = Field(default=None, description="(s, Q): fixed Q; default EOQ")
    min_qty: Exact | None = Field(default=None, description="min/max: fixed min (with max)")
    max_qty: Exact | None = None
    order_cost: Exact | None = Field(default=None, description="cost of placing one order")
    carrying_rate: Exact | None = Field(default=None, description="per year, 0.25 for 25 %")
    source_warehouse: Path | None = Field(
        default=None, description="replenish by transfer from this warehouse (a DC)"
    )
    transfer_days: Days | None = None


class PolicyRead(BaseModel):
    sku: str
    warehouse: str
    kind: str
    service_type: str | None
    service_level: Qty | None
    review_days: int | None
    order_qty: Qty | None
    min_qty: Qty | None
    max_qty: Qty | None
    order_cost: Qty | None
    carrying_rate: Qty | None
    source_warehouse: str | None
    transfer_days: int | None
    updated_at: datetime


class RunDefaultsIn(In):
    kind: PolicyKind = "s_q"
    service_type: ServiceType = "fill_rate"
    service_level: Exact = Field(default=Decimal("0.95"))
    review_days: Days = 7
    order_cost: Exact = Field(default=Decimal(50))
    carrying_rate: Exact = Field(default=Decimal("0.25"))
    transfer_days: Days = 2
    lead_time_days: Days = Field(default=7, description="for items with no supplier or source")
    cover_days: Days = Field(default=30, description="order quantity where EOQ is undefined")


class RunCreate(In):
    warehouse: Path
    bucket: Literal["day", "week", "month"] = "week"
    history_days: Annotated[int, Field(ge=28, le=1830)] = 728
    horizon: Annotated[int, Field(ge=1, le=104)] | None = Field(
        default=None, description="buckets; default: the longest lead time and review"
    )
    backtest_windows: Annotated[int, Field(ge=1, le=12)] = 3
    profile: Literal["auto", "fast", "full"] = "auto"
    skus: Skus | None = Field(default=None, description="default: every item at the warehouse")
    defaults: RunDefaultsIn = Field(default_factory=RunDefaultsIn)
    background: bool = Field(
        default=False, description="answer 202 at once and run in the background"
    )


class RunRead(BaseModel):
    number: str
    warehouse: str
    status: str = Field(
        description="running, done, failed, or interrupted: the process carrying it out "
        "stopped before it finished (start it again)"
    )
    stage: str
    progress: dict[str, int]
    items: int
    suggestions: int
    parameters: dict[str, Any]
    accuracy: dict[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime = Field(
        description="the last sign of life of the process carrying it out (a running run "
        "without one for a few minutes is interrupted)"
    )
    lines_by_status: dict[str, int] | None


class LineRead(BaseModel):
    id: int
    sku: str
    uom: str
    status: str
    source: str
    supplier: str | None
    source_warehouse: str | None
    suggested_qty: Qty
    qty: Qty
    edited: bool
    reason: str
    document: str | None
    policy: dict[str, Any]
    stock: dict[str, Any]
    forecast: dict[str, Any]
    decided_at: datetime | None


class LinePage(BaseModel):
    run: str
    lines: list[LineRead]
    next: int | None


class LineEdit(In):
    qty: Exact


class SkuList(In):
    skus: Skus


class AcceptCreate(In):
    skus: Skus | None = Field(default=None, description="default: every proposed suggestion")


class AcceptRead(BaseModel):
    run: str
    accepted: int
    purchase_orders: list[dict[str, Any]]
    transfers: list[dict[str, Any]]
    skipped: list[dict[str, str]]


class RejectRead(BaseModel):
    run: str
    rejected: list[str]
