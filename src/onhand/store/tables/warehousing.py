"""Warehouse layout settings: where an item's stock is put away."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Table

from onhand.store.tables.core import metadata, org_column

# An item's home zone in a warehouse: received stock with no bin yet goes to an empty bin there.
put_away_zones = Table(
    "put_away_zones",
    metadata,
    org_column(),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("zone_id", Integer, ForeignKey("locations.id"), nullable=False),
)
