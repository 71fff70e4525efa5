"""Request and response bodies of the ERP and accounting exports: the journal account mapping,
the journal, the stock valuation, column mappings and mapped imports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, In, Qty

AccountCode = Annotated[str, Field(min_length=1, max_length=40, pattern=PRINTABLE)]
Role = Annotated[str, Field(min_length=1, max_length=40, pattern=PRINTABLE)]
WarehousePath = Annotated[str, Field(min_length=1, max_length=400, pattern=PRINTABLE)]
Target = Literal["items", "sales_orders", "purchase_orders"]


class AccountRole(BaseModel):
    role: str
    default: str
    description: str


class AccountMappingRead(BaseModel):
    accounts: dict[str, str] = Field(description="account code per role")
    warehouses: dict[str, dict[str, str]] = Field(
        description="per warehouse (or transit location): its own codes for some roles"
    )
    journal_prefix: str
    defaults: bool = Field(description="true while nobody has changed the mapping")
    roles: list[AccountRole]


class AccountMappingUpdate(In):
    accounts: dict[Role, AccountCode] | None = Field(
        default=None, description="roles to change; the others keep their codes"
    )
    warehouses: dict[WarehousePath, dict[Role, AccountCode]] | None = Field(
        default=None, description="replaces every per-warehouse override"
    )
    journal_prefix: Annotated[str, Field(min_length=1, max_length=20)] | None = None


class JournalLine(BaseModel):
    line: int
    account: str
    role: str
    source: str = Field(description="receipt, sale, scrap, transfer, rounding, ...")
    warehouse: str | None
    debit: Qty
    credit: Qty
    description: str


class Journal(BaseModel):
    reference: str
    date: date
    period_start: date
    period_end: date
    warehouse: str | None
    currency: str
    opening_value: Qty
    closing_value: Qty
    cost_of_goods_sold: Qty
    shrinkage: Qty
    purchase_price_variance: Qty
    debit_total: Qty
    credit_total: Qty
    lines: list[JournalLine]


class JournalRead(BaseModel):
    currency: str
    start: date
    end: date
    period: str
    by: str
    warehouse: str | None
    journals: list[Journal]


class StockValuationRow(BaseModel):
    model_config = {"extra": "allow"}

    warehouse: str
    account: str
    sku: str
    name: str
    category: str | None
    quantity: Qty
    unit_cost: Qty | None
    value: Qty


class WarehouseValue(BaseModel):
    warehouse: str
    account: str
    value: Qty
    items: int


class StockValuationRead(BaseModel):
    as_of: datetime
    currency: str
    rows: list[StockValuationRow]
    warehouses: list[WarehouseValue]
    total_value: Qty
    warnings: list[str]


class ImportMappingWrite(In):
    target: Target
    delimiter: Literal[",", ";", "\t", "|"] = ","
    fields: dict[str, Any] = Field(
        description=(
            "onhand field -> source column name, or {column | value, decimal_comma, "
            "date_format, default}"
        )
    )


class ImportMappingRead(BaseModel):
    name: str
    target: str
    delimiter: str
    fields: dict[str, dict[str, Any]]
    updated_at: datetime


class MappedImportCreate(In):
    format: Literal["csv", "json"] = "csv"
    content: Annotated[str, Field(max_length=8_000_000)] | None = Field(
        default=None, description="the CSV file's text (format csv)"
    )
    rows: list[dict[str, Any]] | None = Field(
        default=None, max_length=100_000, description="the records (format json)"
    )
    mapping: dict[str, Any] | None = Field(default=None, description="a column mapping")
    mapping_name: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="or the name of a saved mapping"
    )
    dry_run: bool = Field(default=False, description="check everything, write nothing")


class ImportedRecord(BaseModel):
    line: int
    key: str


class MappedImportRead(BaseModel):
    target: str
    dry_run: bool
    rows: int
    created: int
    records: list[ImportedRecord]
