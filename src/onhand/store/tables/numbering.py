"""Document numbers (PO-000001, SO-000001, ...) counted per organisation and kind."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table

from onhand.store.tables.core import metadata

document_counters = Table(
    "document_counters",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("last", BigInteger, nullable=False),
)
