"""Request and response bodies. Quantities and money travel as decimal strings."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

# The API's modules take the id ranges from here.
from onhand.domain.ids import MAX_BIG_ID, MAX_ID  # noqa: F401

# No database stores NUL in text (PostgreSQL refuses it); no name needs a control character.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

Qty = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3, pattern=PRINTABLE)]
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
Path = Annotated[str, Field(min_length=1, max_length=400, pattern=PRINTABLE)]


def _exact(value: Any) -> Any:
    # JSON numbers with a fraction or exponent arrive as binary floats and may have lost digits
    # (0.1000000000000000000001 reads as 0.1): quantities and money travel as decimal strings.
    if isinstance(value, float):
        raise PydanticCustomError(
            "inexact_number",
            'send this number as a decimal string such as "2.5" (or a whole number): '
            "JSON numbers with a fraction or an exponent lose digits",
        )
    if isinstance(value, str):
        # Parsed here, exactly: pydantic's own string path checks finiteness through a float.
        try:
            if len(value) > 100:
                raise InvalidOperation
            return Decimal(value.strip())
        except InvalidOperation:
            raise PydanticCustomError(
                "decimal_parsing", "should be a decimal number such as 2.5"
            ) from None
    return value


NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _iso(value: Any) -> Any:
    # Pydantic would read 20240301 or 1.7e9 as seconds since 1970: a silent wrong answer.
    if isinstance(value, int | float) or (isinstance(value, str) and NUMBER.fullmatch(value)):
        raise PydanticCustomError(
            "datetime_format", "must be an ISO 8601 date and time, e.g. 2026-03-03T14:00:00Z"
        )
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError(
            "naive_datetime", "must include a time zone, e.g. 2026-03-03T14:00:00Z"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_out_of_range", "is outside the years 1 to 9999 once converted to UTC"
        ) from None


# A decimal quantity or amount: string or integer, never a float, never NaN or infinite.
Exact = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    BeforeValidator(_exact),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "examples": ["2.5"]}, {"type": "integer"}],
            "description": 'a decimal string such as "2.5", or a whole number',
        },
        mode="validation",
    ),
]
# true or false, not 0 or 1 or "yes": a number where a flag belongs is a client's mistake.
Flag = StrictBool
# A moment in time with its time zone, normalised to UTC.
Moment = Annotated[datetime, BeforeValidator(_iso), AfterValidator(_utc)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error (RFC 9457). Some codes add fields, e.g. insufficient_stock: available."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str = Field(description="stable and machine-readable, e.g. insufficient_stock")
    detail: str = Field(description="a sentence a person understands")
    errors: list[FieldProblem] | None = Field(
        default=None, description="every field that failed validation (code validation_error)"
    )


# Auth and users ---------------------------------------------------------------------------------


class LoginCreate(In):
    username: Code
    password: Annotated[str, Field(min_length=1, max_length=256)]
    token_name: Annotated[str, Field(max_length=100, pattern=PRINTABLE)] = "login"


class TokenRead(BaseModel):
    id: int
    token: str | None = None
    name: str | None = None
    prefix: str | None = None
    user_id: int | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class TokenCreate(In):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=PRINTABLE)]
    user_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    expires_at: Moment | None = None


Role = Literal["admin", "manager", "clerk", "auditor"]


class UserCreate(In):
    username: Code
    password: Annotated[str, Field(min_length=8, max_length=256)]
    role: Role
    warehouses: list[Path] = Field(default_factory=list, max_length=1000)


class UserUpdate(In):
    role: Role | None = None
    active: Flag | None = None
    password: Annotated[str, Field(min_length=8, max_length=256)] | None = None
    warehouses: list[Path] | None = Field(default=None, max_length=1000)


class UserRead(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    warehouses: list[str]
    created_at: datetime


class MeRead(BaseModel):
    user_id: int
    org_id: int
    username: str
    role: str
    warehouse_ids: list[int]


# Items ------------------------------------------------------------------------------------------


class ItemCreate(In):
    sku: Code
    name: Text
    category: Annotated[str, Field(min_length=1, max_length=100, pattern=PRINTABLE)] | None = None
    uom: Annotated[str, Field(min_length=1, max_length=16, pattern=PRINTABLE)] = "ea"
    precision: Annotated[int, Field(ge=0, le=6)] = 0
    unit_cost: Exact = Decimal(0)
    currency: Annotated[str, Field(min_length=3, max_length=3, pattern=PRINTABLE)] = "EUR"
    tracking: Literal["none", "lot", "serial"] = "none"
    shelf_life_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    barcodes: list[Code] = Field(default_factory=list, max_length=50)
    active: Flag = True
    weight: Exact | None = Field(default=None, description="kilograms a unit")


class ItemUpdate(In):
    # Leave a field out to keep it; only category and shelf_life_days can be cleared with null.
    name: Text = Field(default=None)
    category: Annotated[str, Field(min_length=1, max_length=100, pattern=PRINTABLE)] | None = None
    uom: Annotated[str, Field(min_length=1, max_length=16, pattern=PRINTABLE)] = Field(default=None)
    precision: Annotated[int, Field(ge=0, le=6)] = Field(default=None)
    unit_cost: Exact = Field(default=None)
    currency: Annotated[str, Field(min_length=3, max_length=3, pattern=PRINTABLE)] = Field(
        default=None
    )
    tracking: Literal["none", "lot", "serial"] = Field(default=None)
    shelf_life_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    barcodes: list[Code] = Field(default=None, max_length=50)
    active: Flag = Field(default=None)
    weight: Exact | None = Field(default=None, description="kilograms a unit; null clears it")


class ItemRead(BaseModel):
    id: int
    sku: str
    name: str
    category: str | None
    uom: str
    precision: int
    unit_cost: Qty
    currency: str
    tracking: str
    shelf_life_days: int | None
    weight: Qty | None = None
    barcodes: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


# Locations and lots -----------------------------------------------------------------------------


class LocationCreate(In):
    code: Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)]
    parent: Path | None = None
    name: Text | None = None
    kind: Literal["internal", "transit", "scrap"] = "internal"
    allow_negative: Flag = False


class LocationUpdate(In):
    name: Text | None = None
    allow_negative: Flag | None = None
    on_hold: Flag | None = Field(
        default=None, description="held stock, here and below, is on hand but not available"
    )
    active: Flag | None = None


class LocationRead(BaseModel):
    id: int
    path: str
    code: str
    name: str
    kind: str
    parent_id: int | None
    warehouse_id: int | None
    allow_negative: bool
    on_hold: bool
    active: bool
    created_at: datetime
    updated_at: datetime


class LotCreate(In):
    sku: Code
    code: Code
    expiry_date: date | None = None


class LotUpdate(In):
    expiry_date: date | None = None
    on_hold: Flag | None = None


class LotRead(BaseModel):
    id: int
    sku: str
    code: str
    expiry_date: date | None
    on_hold: bool
    created_at: datetime


# Movements --------------------------------------------------------------------------------------


class PostingLine(In):
    sku: Code
    from_: Path = Field(alias="from")
    to: Path
    quantity: Exact
    lot: Code | None = None
    serial: Code | None = None
    expiry_date: date | None = None
    effective_at: Moment | None = None
    ref_type: Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)] | None = None
    ref_id: Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None = None
    reason: Code | None = None
    unit_cost: Exact | None = Field(
        default=None,
        description="what a unit cost, for stock arriving from a supplier, customer or "
        "adjustment; default: the warehouse's current unit cost",
    )
    cost_currency: CurrencyCode | None = Field(
        default=None, description="currency of unit_cost; default: the organisation's"
    )


class MovementCreate(PostingLine):
    idempotency_key: (
        Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None
    ) = None


class PostingCreate(In):
    idempotency_key: (
        Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None
    ) = None
    movements: list[PostingLine]


class ReverseCreate(In):
    reason: Code | None = None
    idempotency_key: (
        Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)] | None
    ) = None


class PostingRead(BaseModel):
    posting_id: int
    idempotency_key: str
    replayed: bool
    movement_ids: list[int]


class MovementRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    posting_id: int
    sku: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    quantity: Qty
    lot: str | None
    serial: str | None
    effective_at: datetime
    recorded_at: datetime
    ref_type: str | None
    ref_id: str | None
    reason: str | None
    actor_id: int
    reverses_id: int | None
    reversed_by: int | None = None
    hash: str


class HistoryRead(BaseModel):
    sku: str
    movements: list[MovementRead]
    next_before_id: int | None


# Stock ------------------------------------------------------------------------------------------


class StockLine(BaseModel):
    sku: str | None = None
    location: str | None = None
    location_kind: str | None = None
    lot: str | None
    expiry_date: date | None
    serial: str | None
    quantity: Qty


class ItemStockRead(BaseModel):
    sku: str
    uom: str
    as_of: datetime
    lot: str | None
    total: Qty
    lines: list[StockLine]


class LocationStockRead(BaseModel):
    location: str
    rollup: bool
    as_of: datetime
    lines: list[StockLine]


class Finding(BaseModel):
    check: str
    message: str
    movement_id: int | None


class VerifyRead(BaseModel):
    ok: bool
    movements: int
    chains: int
    seconds: float
    findings: list[Finding]


class AuditRead(BaseModel):
    id: int
    actor_id: int | None
    at: datetime
    action: str
    entity: str
    entity_id: str
    detail: str | None
