"""Acknowledged exceptions: a person saw the situation and took it in hand."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text, UniqueConstraint

from onhand.store.tables.core import UTCDateTime, id_column, metadata, org_column

# One row per acknowledged key. The fingerprint is the situation's numbers when it was
# acknowledged: the exceptions list hides the key only while they are unchanged.
exception_acks = Table(
    "exception_acks",
    metadata,
    id_column(),
    org_column(),
    Column("key", String(200), nullable=False),
    Column("fingerprint", String(400), nullable=False),
    Column("note", Text, nullable=True),
    Column("acked_by", Integer, nullable=False),
    Column("acked_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "key"),
)
