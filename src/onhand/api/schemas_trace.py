"""Request and response bodies of traces, recalls, trace proofs and published checkpoints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from onhand.api.schemas import PRINTABLE, Code, In, Qty

Why = Annotated[str, Field(min_length=1, max_length=500, description="why, in a sentence")]


class LotRef(BaseModel):
    code: str
    expiry_date: dt.date | None
    on_hold: bool


class SerialRef(BaseModel):
    serial: str
    on_hold: bool
    location: str | None = Field(description="where the unit is now (a customer: @customer)")


class RecallSummary(BaseModel):
    number: str
    sku: str
    lot: str | None
    serial: str | None
    status: Literal["open", "released"]
    reason: str
    opened_at: dt.datetime
    opened_by: str
    released_at: dt.datetime | None
    released_by: str | None
    release_note: str | None


class TraceReceipt(BaseModel):
    posting_id: int
    received_at: dt.datetime
    quantity: Qty
    location: str
    supplier: str | None = Field(description="the supplier's code, when the receipt names one")
    supplier_name: str | None
    po: str | None = Field(description="the purchase order, when received against one")
    ref_type: str | None
    ref_id: str | None


class TraceTransfer(BaseModel):
    model_config = {"populate_by_name": True}

    number: str | None
    status: str | None
    from_: str | None = Field(alias="from")
    to: str | None
    sent: Qty
    arrived: Qty
    in_transit: Qty
    first_at: dt.datetime
    last_at: dt.datetime


class TraceCustomer(BaseModel):
    ref_group: str = Field(description="'order' for sales orders and returns, else a ref_type")
    reference: str | None = Field(description="the order (or RMA) number, or the ref_id")
    order: str | None = Field(description="the sales order, when the reference is one")
    customer: str | None
    shipped: Qty
    returned: Qty
    net: Qty
    first_shipped_at: dt.datetime | None
    last_shipped_at: dt.datetime | None
    last_returned_at: dt.datetime | None


class TraceOther(BaseModel):
    category: Literal[
        "supplier_return", "scrap", "scrap_reversed", "adjustment_in", "adjustment_out"
    ]
    ref_type: str | None
    ref_id: str | None
    reason: str | None
    quantity: Qty
    first_at: dt.datetime
    last_at: dt.datetime


class TraceOnHand(BaseModel):
    location: str
    kind: Literal["internal", "transit"]
    warehouse: str | None
    quantity: Qty = Field(description="the stored balance")
    ledger_quantity: Qty = Field(description="what the movements leave there")
    location_on_hold: bool


class Reconciliation(BaseModel):
    received: Qty
    returned_to_supplier: Qty
    shipped: Qty
    returned: Qty
    scrapped: Qty
    adjusted: Qty = Field(description="found less lost in adjustments")
    expected_on_hand: Qty = Field(
        description="received - returned_to_supplier + adjusted - shipped + returned - scrapped"
    )
    on_hand: Qty
    in_transit: Qty
    difference: Qty
    balanced: bool
    mismatched_locations: list[str]
    sentence: str


class TraceMovement(BaseModel):
    model_config = {"populate_by_name": True}

    id: int
    chain_seq: int
    hash: str
    posting_id: int
    effective_at: dt.datetime
    recorded_at: dt.datetime
    from_: str = Field(alias="from")
    to: str
    category: str
    quantity: Qty
    ref_type: str | None
    ref_id: str | None
    reason: str | None
    reverses_id: int | None


class TraceRead(BaseModel):
    sku: str
    name: str
    uom: str
    tracking: Literal["lot", "serial"]
    lot: LotRef | None
    serial: SerialRef | None
    on_hold: bool
    recall: RecallSummary | None = Field(description="the latest recall, open or released")
    receipts: list[TraceReceipt]
    transfers: list[TraceTransfer]
    customers: list[TraceCustomer]
    other: list[TraceOther]
    on_hand: list[TraceOnHand]
    reconciliation: Reconciliation
    movement_count: int
    movements: list[TraceMovement]


class RecallCreate(In):
    sku: Code
    lot: Code | None = None
    serial: Code | None = None
    reason: Why


class RecallRelease(In):
    note: Annotated[str, Field(min_length=1, max_length=500, pattern=PRINTABLE)] | None = None


class RecallRead(RecallSummary):
    on_hold: bool
    remaining: list[TraceOnHand] = Field(description="the units on hold, per location")
    remaining_total: Qty
    customers: list[TraceCustomer] = Field(description="who still has some: net above zero")
    reconciliation: Reconciliation
    replayed: bool | None = None


class CheckpointRead(BaseModel):
    id: int
    created_at: dt.datetime
    version: int = Field(description="2: per-organisation digests, what a trace proof needs")
    prev_hash: str
    hash: str


class TraceProof(BaseModel):
    """A trace with its movements' ledger hashes, chained to a checkpoint head (see
    docs/traceability.md): check it with `onhand trace verify`."""

    format: Literal["onhand-trace-proof/1"]
    exported_at: dt.datetime
    exported_by: str
    subject: dict[str, Any]
    trace: dict[str, Any]
    locations: dict[str, dict[str, Any]]
    chain: list[dict[str, Any]] = Field(
        description="the item's chain from the lot's first movement to the checkpoint's head"
    )
    unanchored: list[dict[str, Any]] = Field(description="the lot's movements after that head")
    checkpoint: dict[str, Any] | None
    how_to_verify: str
