"""ERP and accounting exports: the organisation's journal account mapping and its saved column
mappings for imports (both JSON documents, checked by the services before they are stored)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from onhand.store.tables.core import UTCDateTime, metadata

# One row per organisation that changed its account mapping; without a row the documented
# defaults apply (domain/journal.py).
account_mappings = Table(
    "account_mappings",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("mapping", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
)

# A column mapping saved by name, for one kind of import (items, sales or purchase orders).
import_mappings = Table(
    "import_mappings",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("target", String(20), nullable=False),
    Column("mapping", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
)
