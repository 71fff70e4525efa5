"""Request and response bodies of the cycle-count programme: settings, classes, plans, count
documents, recorded counts, decisions and reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, Exact, Flag, In, Path, Qty

AbcClass = Literal["A", "B", "C"]
XyzClass = Literal["X", "Y", "Z"]
Period = Literal["day", "week", "month"]
CountStatus = Literal["open", "closed"]
LineStatus = Literal["open", "recount", "review", "approved", "rejected"]
Reason = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
LineNo = Annotated[int, Field(ge=1, le=2**31 - 1)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)]
Day = date  # a field named "date" would hide the type in its class


class PerClassInt(In):
    A: Annotated[int, Field(ge=1, le=365)] | None = None
    B: Annotated[int, Field(ge=1, le=365)] | None = None
    C: Annotated[int, Field(ge=1, le=365)] | None = None


class PerClassQty(In):
    A: Exact | None = None
    B: Exact | None = None
    C: Exact | None = None


class CountSettingsUpdate(In):
    """Leave a setting out to keep it; a per-class setting may name some classes only."""

    frequency: PerClassInt | None = Field(default=None, description="counts a year per class")
    tolerance_pct: PerClassQty | None = None
    tolerance_units: PerClassQty | None = None
    working_days: list[Annotated[int, Field(ge=1, le=7)]] | None = Field(
        default=None, min_length=1, max_length=7, description="ISO weekdays, 1 = Monday"
    )
    abc_a_pct: Exact | None = None
    abc_b_pct: Exact | None = None
    xyz_x_cv: Exact | None = None
    xyz_y_cv: Exact | None = None
    window_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    bucket: Literal["week", "month"] | None = None
    max_age_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class CountSettingsRead(BaseModel):
    frequency: dict[str, int]
    tolerance_pct: dict[str, Qty]
    tolerance_units: dict[str, Qty]
    working_days: list[int]
    abc_a_pct: Qty
    abc_b_pct: Qty
    xyz_x_cv: Qty
    xyz_y_cv: Qty
    window_days: int
    bucket: str
    max_age_days: int


class ClassifyCreate(In):
    as_of: date | None = Field(default=None, description="default: today (UTC)")


class ItemClassRead(BaseModel):
    sku: str
    abc: str
    xyz: str
    value: Qty
    currency: str
    share_pct: Qty
    cv: Qty | None


class ClassificationRead(BaseModel):
    run_id: int
    as_of: date
    computed_at: datetime
    parameters: dict[str, str | int]
    item_count: int
    items: list[ItemClassRead]


class PlanCreate(In):
    date: Day | None = Field(default=None, description="default: today (UTC)")


class PlanDocumentRead(BaseModel):
    number: str
    warehouse: str | None
    status: str


class PlanRead(BaseModel):
    date: Day
    created: int = Field(description="documents made by this call (0 when the day was planned)")
    documents: list[PlanDocumentRead]


class CountCreate(In):
    """Exactly one of location (a subtree), sku, or discrepancies: true."""

    location: Path | None = None
    sku: Code | None = None
    discrepancies: Flag = False


class CountCreated(BaseModel):
    number: str
    lines: int


class CountSummaryRead(BaseModel):
    number: str
    kind: str
    scope: str | None
    warehouse: str | None
    plan_date: date | None
    status: str
    created_at: datetime


class CountLineRead(BaseModel):
    line_no: int
    location: str
    sku: str
    lot: str | None
    serial: str | None
    expected: bool = Field(description="false for stock found that the book did not list")
    status: LineStatus
    count_no: int
    counted: Qty | None
    recorded_at: datetime | None
    # For managers only (counting is blind):
    class_: str | None = Field(default=None, alias="class")
    book: Qty | None = None
    variance: Qty | None = None
    tolerance: Qty | None = None
    value: Qty | None = None
    currency: str | None = None
    first_counted: Qty | None = None
    first_book: Qty | None = None
    first_within: bool | None = None
    reason: str | None = None

    model_config = {"populate_by_name": True}


class CountRead(CountSummaryRead):
    lines: list[CountLineRead]
    variance_value: Qty | None = Field(default=None, description="for managers only")


class CountEntryCreate(In):
    sku: Code
    quantity: Exact
    lot: Code | None = None
    serial: Code | None = None


class CountRecordCreate(In):
    location: Path
    lines: list[CountEntryCreate] = Field(max_length=1000)
    complete: Flag = Field(
        default=False,
        description="the lines are everything at the location: other uncounted lines there "
        "are recorded as 0",
    )
    idempotency_key: IdempotencyKey | None = Field(
        default=None, description="a retry with it records once (or the Idempotency-Key header)"
    )


class CountRecordRead(CountRead):
    replayed: bool = Field(
        description="true when this idempotency key had recorded it already: nothing was "
        "recorded this time, the count is shown as it is now"
    )


class DecisionCreate(In):
    lines: list[LineNo] | None = Field(
        default=None, max_length=1000, description="default: every line awaiting a decision"
    )
    reason: Reason | None = None


class AccuracyPointRead(BaseModel):
    period: date
    counted: int
    within: int
    accuracy_pct: Qty


class AccuracySummary(BaseModel):
    counted: int
    within: int
    accuracy_pct: Qty | None
    trend_pct_per_period: Qty | None
    series: list[AccuracyPointRead]


class WarehouseAccuracy(AccuracySummary):
    warehouse: str


class ClassAccuracy(AccuracySummary):
    class_: str = Field(alias="class")

    model_config = {"populate_by_name": True}


class AccuracyRead(AccuracySummary):
    period: str
    from_: date = Field(alias="from")
    to: date
    by_warehouse: list[WarehouseAccuracy]
    by_class: list[ClassAccuracy]

    model_config = {"populate_by_name": True}


class VarianceLineRead(BaseModel):
    count: str
    line_no: int
    location: str
    sku: str
    lot: str | None
    serial: str | None
    status: str
    book: Qty
    counted: Qty
    variance: Qty
    value: Qty
    currency: str
    reason: str | None
    decided_at: datetime


class CurrencyValue(BaseModel):
    currency: str
    value: Qty


class VarianceReportRead(BaseModel):
    from_: date = Field(alias="from")
    to: date
    lines: list[VarianceLineRead]
    posted_value: list[CurrencyValue]

    model_config = {"populate_by_name": True}
