"""Pick lists, their tasks (what to take from where for which order line), shipments, and
locations flagged for a discrepancy."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
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

pick_lists = Table(
    "pick_lists",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("status", String(16), nullable=False),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "number"),
    CheckConstraint("status IN ('open','done','cancelled')", name="status"),
)

pick_tasks = Table(
    "pick_tasks",
    metadata,
    id_column(),
    org_column(),
    Column("pick_list_id", Integer, ForeignKey("pick_lists.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("so_line_id", Integer, ForeignKey("sales_order_lines.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    # 0 = no lot / no serial, as in balances.
    Column("lot_id", Integer, nullable=False),
    Column("serial_id", Integer, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("qty_picked", BigInteger, nullable=False),
    Column("qty_shipped", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("picked_at", UTCDateTime, nullable=True),
    Column("picked_by", Integer, nullable=True),
    UniqueConstraint("pick_list_id", "seq"),
    CheckConstraint("qty > 0", name="qty"),
    CheckConstraint("qty_picked >= 0 AND qty_picked <= qty", name="qty_picked"),
    CheckConstraint("qty_shipped >= 0 AND qty_shipped <= qty_picked", name="qty_shipped"),
    CheckConstraint("status IN ('open','picked','short','cancelled')", name="status"),
)
Index("ix_pick_tasks_org_line", pick_tasks.c.org_id, pick_tasks.c.so_line_id)
Index(
    "ix_pick_tasks_org_item_status", pick_tasks.c.org_id, pick_tasks.c.item_id, pick_tasks.c.status
)

shipments = Table(
    "shipments",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("so_id", Integer, ForeignKey("sales_orders.id"), nullable=False, index=True),
    Column("posting_id", BigInteger, nullable=False),
    Column("shipped_at", UTCDateTime, nullable=False),
    Column("shipped_by", Integer, nullable=False),
    UniqueConstraint("org_id", "number"),
)

# Where stock records may be wrong: what cycle counting looks at first.
discrepancies = Table(
    "discrepancies",
    metadata,
    id_column(),
    org_column(),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("note", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
)
Index("ix_discrepancies_org_open", discrepancies.c.org_id, discrepancies.c.resolved_at)
