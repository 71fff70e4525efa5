"""Suppliers, purchase orders and receipts."""

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
    text,
)

from onhand.store.tables.core import (
    UTCDateTime,
    created_columns,
    id_column,
    metadata,
    org_column,
)

suppliers = Table(
    "suppliers",
    metadata,
    id_column(),
    org_column(),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    # What the buyer expects before any receipt teaches us better (whole days).
    Column("lead_time_days", Integer, nullable=False),
    Column("lead_time_sd_days", Integer, nullable=False),
    # A receipt may exceed the ordered quantity by up to this many percent.
    Column("over_receipt_pct", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    UniqueConstraint("org_id", "code"),
    CheckConstraint("lead_time_days BETWEEN 0 AND 3650", name="lead_time"),
    CheckConstraint("lead_time_sd_days BETWEEN 0 AND 3650", name="lead_time_sd"),
    CheckConstraint("over_receipt_pct BETWEEN 0 AND 1000", name="over_receipt"),
)

supplier_items = Table(
    "supplier_items",
    metadata,
    id_column(),
    org_column(),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("supplier_sku", String(64), nullable=True),
    Column("price", BigInteger, nullable=False),
    Column("min_order_qty", BigInteger, nullable=False),
    Column("pack_size", BigInteger, nullable=True),
    Column("preferred", Boolean, nullable=False),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "supplier_id", "item_id"),
    CheckConstraint("price >= 0", name="price"),
    CheckConstraint("min_order_qty >= 0", name="moq"),
    CheckConstraint("pack_size IS NULL OR pack_size > 0", name="pack_size"),
)
# At most one preferred supplier per item.
Index(
    "ux_supplier_items_preferred",
    supplier_items.c.org_id,
    supplier_items.c.item_id,
    unique=True,
    sqlite_where=text("preferred"),
    postgresql_where=text("preferred"),
)
Index("ix_supplier_items_org_item", supplier_items.c.org_id, supplier_items.c.item_id)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("status", String(20), nullable=False),
    # The warehouse (a root location) and where its goods are received.
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("receive_to_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected_date", Date, nullable=True),
    Column("ordered_at", UTCDateTime, nullable=True),
    Column("note", Text, nullable=True),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    UniqueConstraint("org_id", "number"),
    CheckConstraint(
        "status IN ('draft','ordered','partially_received','received','cancelled')",
        name="status",
    ),
)
Index("ix_purchase_orders_org_status", purchase_orders.c.org_id, purchase_orders.c.status)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    id_column(),
    org_column(),
    Column("po_id", Integer, ForeignKey("purchase_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("qty_ordered", BigInteger, nullable=False),
    Column("qty_received", BigInteger, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    Column("expected_date", Date, nullable=True),
    # No more is expected (the order was closed short).
    Column("closed", Boolean, nullable=False),
    UniqueConstraint("po_id", "line_no"),
    CheckConstraint("qty_ordered > 0", name="qty_ordered"),
    CheckConstraint("qty_received >= 0", name="qty_received"),
    CheckConstraint("unit_price >= 0", name="unit_price"),
)
Index(
    "ix_purchase_order_lines_org_item",
    purchase_order_lines.c.org_id,
    purchase_order_lines.c.item_id,
)

receipts = Table(
    "receipts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    org_column(),
    Column("posting_id", BigInteger, nullable=False, index=True),
    Column("po_id", Integer, ForeignKey("purchase_orders.id"), nullable=True),
    Column("po_line_id", Integer, ForeignKey("purchase_order_lines.id"), nullable=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("lot_code", String(64), nullable=True),
    Column("qty", BigInteger, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    # Days from ordering to this receipt: what supplier lead times are learnt from.
    Column("lead_time_days", Integer, nullable=True),
    Column("actor_id", Integer, nullable=False),
    CheckConstraint("qty > 0", name="qty"),
)
Index("ix_receipts_org_po", receipts.c.org_id, receipts.c.po_id)
Index("ix_receipts_org_supplier", receipts.c.org_id, receipts.c.supplier_id)
