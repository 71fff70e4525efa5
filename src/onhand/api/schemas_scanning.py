"""Request and response bodies of scanning, RFID reads, scan workflows and label sheets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, Exact, Flag, In, Path, Qty
from onhand.api.schemas_counting import CountRead
from onhand.api.schemas_purchasing import Number, ReceiptRead
from onhand.api.schemas_sales import PickListRead

# A scan may carry GS (ASCII 29, FNC1) between GS1 fields: the service checks the rest.
ScanCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=256,
        description="what the scanner sent: a GTIN, a GS1 element string (raw with GS "
        'separators, or "(01)...(10)..."), an internal code or a bin label',
    ),
]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)]
Epc = Annotated[str, Field(min_length=1, max_length=64)]


class ScanResolve(In):
    code: ScanCode


class ScannedItemRead(BaseModel):
    sku: str
    name: str
    uom: str
    tracking: str


class ScannedLocationRead(BaseModel):
    path: str
    kind: str
    name: str


class ScanRead(BaseModel):
    kind: Literal["item", "location", "sscc"]
    code: str
    symbology: str | None
    gtin: str | None
    sscc: str | None
    item: ScannedItemRead | None
    lot: str | None
    lot_known: bool | None = Field(description="false: a lot not known yet (new at receipt)")
    expiry_date: dt.date | None
    serial: str | None
    serial_location: str | None = Field(description="where the book has this serial now")
    quantity: Qty | None = Field(description="the count of (30) or (37)")
    location: ScannedLocationRead | None
    ais: dict[str, str] = Field(description="every application identifier read, as text")
    notes: list[str]


class RfidReads(In):
    location: Path
    reads: list[Epc] = Field(min_length=1, max_length=100_000, description="EPCs in hex")


class RfidIgnored(BaseModel):
    epc: str
    code: str
    reason: str


class RfidMatched(BaseModel):
    sku: str
    serial: str
    location: str
    epc: str


class RfidMissing(BaseModel):
    sku: str
    serial: str | None
    location: str


class RfidUnexpected(BaseModel):
    epc: str
    gtin: str
    serial: str
    sku: str | None
    reason: Literal["unknown_gtin", "not_in_book_here"]
    book_location: str | None = Field(description="where the book has this serial, if anywhere")


class RfidCount(BaseModel):
    sku: str
    book: Qty
    read: Qty
    difference: Qty


class RfidRead(BaseModel):
    location: str
    reads: int
    distinct: int
    duplicates: int
    ignored: list[RfidIgnored]
    matched: list[RfidMatched]
    missing: list[RfidMissing]
    unexpected: list[RfidUnexpected]
    counts: list[RfidCount]


class UnderstoodRead(BaseModel):
    sku: str
    lot: str | None
    serial: str | None
    quantity: Qty
    location: str | None
    to: str | None


class ScanReceive(In):
    po: Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)]
    item: ScanCode
    quantity: Exact | None = Field(default=None, description="default: the barcode's count")
    location: ScanCode | None = Field(default=None, description="a bin label; default: the PO's")
    idempotency_key: IdempotencyKey | None = None


class ScanReceiveRead(BaseModel):
    understood: UnderstoodRead
    notes: list[str]
    line_no: int
    posting_id: int
    movement_ids: list[int]
    replayed: bool
    receipts: list[ReceiptRead]


class ScanPick(In):
    pick_list: Annotated[str, Field(min_length=1, max_length=32, pattern=PRINTABLE)]
    location: ScanCode = Field(description="the bin label scanned")
    item: ScanCode
    quantity: Exact | None = Field(default=None, description="default: the task's quantity")
    seq: Annotated[int, Field(ge=1, le=10**9)] | None = None
    idempotency_key: IdempotencyKey | None = None


class ScanPickRead(BaseModel):
    understood: UnderstoodRead
    notes: list[str]
    seq: int
    pick_list: PickListRead


class ScanMove(In):
    from_: ScanCode = Field(alias="from", description="the bin label taken from")
    to: ScanCode = Field(description="the bin label put into")
    item: ScanCode
    quantity: Exact | None = Field(default=None, description="default: the barcode's count")
    idempotency_key: IdempotencyKey | None = None


class ScanMoveRead(BaseModel):
    understood: UnderstoodRead
    notes: list[str]
    posting_id: int
    movement_ids: list[int]
    replayed: bool


class LabelCreate(In):
    kind: Literal["item", "location", "lot"]
    sku: Code | None = None
    path: Path | None = None
    lot: Code | None = None


class LayoutSet(In):
    page: Literal["A4", "letter"] = "A4"
    columns: Annotated[int, Field(ge=1, le=6)] = 3
    rows: Annotated[int, Field(ge=1, le=20)] = 8
    margin_mm: Annotated[float, Field(ge=0, le=30)] = 0
    gap_mm: Annotated[float, Field(ge=0, le=30)] = 0
    skip: Annotated[int, Field(ge=0, le=119, description="cells already used")] = 0
    outlines: Flag = False


class SheetCreate(In):
    labels: list[LabelCreate] = Field(min_length=1, max_length=1000)
    layout: LayoutSet = Field(default_factory=LayoutSet)


class CountScanIn(In):
    code: ScanCode = Field(description="an item, lot or serial barcode")
    quantity: Exact | None = Field(
        default=None, description="default: the barcode's count (30)/(37), else 1"
    )


class ScanCount(In):
    count: Number = Field(description="the count document, e.g. CC-000001")
    location: ScanCode = Field(description="the bin label of the bin counted")
    scans: list[CountScanIn] = Field(default_factory=list, max_length=1000)
    complete: Flag = Field(
        default=False,
        description="the scans are everything in the bin: what else the count expected there "
        "is recorded as 0",
    )
    idempotency_key: IdempotencyKey | None = None


class ScanCountRead(BaseModel):
    understood: list[UnderstoodRead]
    notes: list[str]
    count: CountRead
    replayed: bool = Field(
        description="true when this idempotency key had recorded the bin already: nothing was "
        "recorded this time"
    )


class RfidCountCreate(In):
    count: Number = Field(description="the count document, e.g. CC-000001")
    location: Path = Field(description="the bin that was read (no stock below it)")
    reads: list[Epc] = Field(min_length=1, max_length=100_000, description="EPCs in hex")
    idempotency_key: IdempotencyKey | None = None


class RfidUnknown(BaseModel):
    epc: str
    gtin: str
    serial: str


class RfidCountRead(BaseModel):
    location: str
    reads: int
    distinct: int
    duplicates: int
    ignored: list[RfidIgnored]
    unknown: list[RfidUnknown] = Field(description="tags of GTINs no item has: not recorded")
    count: CountRead
    replayed: bool = Field(
        description="true when this idempotency key had recorded the read already: nothing "
        "was recorded this time"
    )
