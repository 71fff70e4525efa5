"""KPI settings: the yearly carrying-cost components of an organisation."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Table

from onhand.store.tables.core import UTCDateTime, metadata

# Each component is a percent per year in micro-units (10 % = 10_000_000). An organisation
# without a row has the documented defaults.
kpi_settings = Table(
    "kpi_settings",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("capital", BigInteger, nullable=False),
    Column("storage", BigInteger, nullable=False),
    Column("handling", BigInteger, nullable=False),
    Column("insurance", BigInteger, nullable=False),
    Column("shrink", BigInteger, nullable=False),
    Column("obsolescence", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
)
