"""Recalls: a lot or a serial put on hold, with who and why, until released."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from onhand.store.tables.core import UTCDateTime, id_column, metadata, org_column

recalls = Table(
    "recalls",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    # 0 = none (like balances), so that the open-recall index below also covers serials.
    Column("lot_id", Integer, nullable=False),
    Column("serial_id", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    # Whether the lot or serial was held before the recall: a release puts that back.
    Column("held_before", Boolean, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("opened_by", Integer, nullable=False),
    Column("released_at", UTCDateTime, nullable=True),
    Column("released_by", Integer, nullable=True),
    Column("release_note", Text, nullable=True),
    UniqueConstraint("org_id", "number"),
    CheckConstraint("status IN ('open','released')", name="status"),
    CheckConstraint("(lot_id = 0) <> (serial_id = 0)", name="lot_or_serial"),
)
# At most one open recall per lot or serial: recalling it again answers with that one.
Index(
    "ux_recalls_open",
    recalls.c.org_id,
    recalls.c.item_id,
    recalls.c.lot_id,
    recalls.c.serial_id,
    unique=True,
    sqlite_where=text("status = 'open'"),
    postgresql_where=text("status = 'open'"),
)
Index("ix_recalls_org_item", recalls.c.org_id, recalls.c.item_id)
