"""Valuation: the organisation's currency and methods, exchange rates, the cost each arrival
came with, cost layers, positions and the value entries (the stock valuation journal)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from onhand.domain.valuation_totals import TOTAL_FIELDS
from onhand.store.tables.core import (
    UTCDateTime,
    created_columns,
    id_column,
    metadata,
    org_column,
)


def big_id() -> Column[int]:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


valuation_settings = Table(
    "valuation_settings",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("method", String(10), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
)

# A category's method, overriding the organisation's.
category_methods = Table(
    "category_methods",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("category", String(100), primary_key=True),
    Column("method", String(10), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
)

# Units of the organisation's currency for one unit of ``currency``, from ``day`` on.
exchange_rates = Table(
    "exchange_rates",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("day", Date, primary_key=True),
    # Exact decimal text: rates need more places than money does, and are never summed.
    Column("rate", String(40), nullable=False),
    *created_columns(),
)

# The cost an arrival came with, as given and as converted: what valuation reads for it.
movement_costs = Table(
    "movement_costs",
    metadata,
    Column("movement_id", BigInteger, primary_key=True),
    org_column(),
    Column("value", BigInteger, nullable=False),  # the whole movement, organisation currency
    Column("unit_price", BigInteger, nullable=False),  # as given, in ``currency``
    Column("currency", String(3), nullable=False),
    Column("rate", String(40), nullable=False),
)

# How far each item's movements have been valued (its chain sequence number).
valuation_items = Table(
    "valuation_items",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

# An item in a scope (a warehouse, or the transit location).
valuation_positions = Table(
    "valuation_positions",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("scope_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("qty", BigInteger, nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("short_qty", BigInteger, nullable=False),
    Column("short_value", BigInteger, nullable=False),
    Column("last_unit_cost", BigInteger, nullable=True),
)

cost_layers = Table(
    "cost_layers",
    metadata,
    big_id(),
    org_column(),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("scope_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("origin_movement_id", BigInteger, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("value", BigInteger, nullable=False),
)
Index("ix_cost_layers_org_item_scope", cost_layers.c.org_id, cost_layers.c.item_id)
Index("ix_cost_layers_org_origin", cost_layers.c.org_id, cost_layers.c.origin_movement_id)

landed_costs = Table(
    "landed_costs",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # freight, duty, handling, insurance, other
    Column("basis", String(10), nullable=False),  # value, quantity, weight
    Column("description", Text, nullable=True),
    Column("amount", BigInteger, nullable=False),  # as given, in ``currency``
    Column("currency", String(3), nullable=False),
    Column("rate", String(40), nullable=False),
    Column("value", BigInteger, nullable=False),  # organisation currency
    Column("applied_at", UTCDateTime, nullable=False),
    *created_columns(),
    UniqueConstraint("org_id", "number"),
)

landed_cost_lines = Table(
    "landed_cost_lines",
    metadata,
    id_column(),
    org_column(),
    Column("landed_cost_id", Integer, ForeignKey("landed_costs.id"), nullable=False, index=True),
    Column("movement_id", BigInteger, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("value", BigInteger, nullable=False),
)

valuation_entries = Table(
    "valuation_entries",
    metadata,
    big_id(),
    org_column(),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("scope_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("movement_id", BigInteger, nullable=True),
    Column("landed_cost_id", Integer, nullable=True),
    Column("kind", String(16), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("expense", BigInteger, nullable=False),
    # When it counts: the movement's effective time, or when a cost or revaluation was applied.
    Column("at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    # Running totals of the item in the scope up to this entry, in order of (at, id): see
    # domain/valuation_totals.py. ``day`` is the UTC day of ``at`` (days since 1970-01-01).
    Column("day", Integer, nullable=False, server_default="0"),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in TOTAL_FIELDS),
)
Index("ix_valuation_entries_org_at", valuation_entries.c.org_id, valuation_entries.c.at)
Index(
    "ix_valuation_entries_pair_at",
    valuation_entries.c.org_id,
    valuation_entries.c.item_id,
    valuation_entries.c.scope_id,
    valuation_entries.c.at,
    valuation_entries.c.id,
)
Index(
    "ix_valuation_entries_org_movement",
    valuation_entries.c.org_id,
    valuation_entries.c.movement_id,
)
