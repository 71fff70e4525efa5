"""Transfers between locations and warehouses, direct or through a transit location."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from onhand.store.tables.core import (
    UTCDateTime,
    created_columns,
    id_column,
    metadata,
    org_column,
)

transfers = Table(
    "transfers",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("from_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    # NULL: a direct transfer; else the transit location the goods travel through.
    Column("via_location_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("to_warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("ship_date", Date, nullable=True),
    Column("expected_arrival", Date, nullable=True),
    Column("shipped_at", UTCDateTime, nullable=True),
    Column("received_at", UTCDateTime, nullable=True),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "number"),
    CheckConstraint("status IN ('planned','in_transit','received','cancelled')", name="status"),
)
Index(
    "ix_transfers_org_to_status",
    transfers.c.org_id,
    transfers.c.to_warehouse_id,
    transfers.c.status,
)

transfer_lines = Table(
    "transfer_lines",
    metadata,
    id_column(),
    org_column(),
    Column("transfer_id", Integer, ForeignKey("transfers.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot_code", String(64), nullable=True),
    Column("serial", String(64), nullable=True),
    Column("qty", BigInteger, nullable=False),
    UniqueConstraint("transfer_id", "line_no"),
    CheckConstraint("qty > 0", name="qty"),
)
Index("ix_transfer_lines_org_item", transfer_lines.c.org_id, transfer_lines.c.item_id)
