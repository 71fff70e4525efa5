"""Sales orders, their lines, and what is reserved per item and warehouse."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
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

from onhand.store.tables.core import (
    UTCDateTime,
    created_columns,
    id_column,
    metadata,
    org_column,
)

sales_orders = Table(
    "sales_orders",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("customer", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    # The warehouse (a root location) the order is fulfilled from.
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("requested_date", Date, nullable=True),
    Column("channel", String(32), nullable=True),
    Column("external_ref", String(128), nullable=True),
    Column("note", Text, nullable=True),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    UniqueConstraint("org_id", "number"),
    CheckConstraint("status IN ('open','partially_shipped','shipped','cancelled')", name="status"),
)
Index("ix_sales_orders_org_status", sales_orders.c.org_id, sales_orders.c.status)

sales_order_lines = Table(
    "sales_order_lines",
    metadata,
    id_column(),
    org_column(),
    Column("so_id", Integer, ForeignKey("sales_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("qty_ordered", BigInteger, nullable=False),
    # Reserved and not shipped yet; what is neither reserved nor shipped is backordered.
    Column("qty_reserved", BigInteger, nullable=False),
    Column("qty_shipped", BigInteger, nullable=False),
    Column("qty_cancelled", BigInteger, nullable=False),
    # Came back from the customer (never more than was shipped).
    Column("qty_returned", BigInteger, nullable=False, server_default="0"),
    Column("unit_price", BigInteger, nullable=True),
    Column("requested_date", Date, nullable=True),
    UniqueConstraint("so_id", "line_no"),
    CheckConstraint("qty_ordered > 0", name="qty_ordered"),
    CheckConstraint("qty_reserved >= 0", name="qty_reserved"),
    CheckConstraint("qty_shipped >= 0", name="qty_shipped"),
    CheckConstraint("qty_cancelled >= 0", name="qty_cancelled"),
    CheckConstraint("qty_returned >= 0 AND qty_returned <= qty_shipped", name="qty_returned"),
    CheckConstraint(
        "qty_reserved + qty_shipped + qty_cancelled <= qty_ordered", name="qty_within_order"
    ),
)
Index(
    "ix_sales_order_lines_org_item_wh",
    sales_order_lines.c.org_id,
    sales_order_lines.c.item_id,
    sales_order_lines.c.warehouse_id,
)

# Everything reserved of an item in a warehouse: the row reservations lock, so that concurrent
# orders reserve one after another and never more than is available.
commitments = Table(
    "commitments",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("reserved", BigInteger, nullable=False),
    CheckConstraint("reserved >= 0", name="reserved"),
)

# Per warehouse: its rank when an order could be served from several, and whether arriving stock
# goes to backorders first. A warehouse without a row has the defaults.
warehouse_settings = Table(
    "warehouse_settings",
    metadata,
    org_column(),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("backorders_first", Boolean, nullable=False),
    # Where picked stock waits to be shipped (a stock location of the warehouse).
    Column("outbound_location_id", Integer, ForeignKey("locations.id"), nullable=True),
)
