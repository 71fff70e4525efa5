"""Cycle counting: the programme's settings, ABC/XYZ classification runs, count documents and
their lines (one per location, item, lot and serial)."""

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

# One row per organisation that changed the defaults (domain.counting.CountSettings).
# Percentages, units and CV limits are micro-units like every quantity.
count_settings = Table(
    "count_settings",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("freq_a", Integer, nullable=False),
    Column("freq_b", Integer, nullable=False),
    Column("freq_c", Integer, nullable=False),
    Column("tol_pct_a", BigInteger, nullable=False),
    Column("tol_pct_b", BigInteger, nullable=False),
    Column("tol_pct_c", BigInteger, nullable=False),
    Column("tol_units_a", BigInteger, nullable=False),
    Column("tol_units_b", BigInteger, nullable=False),
    Column("tol_units_c", BigInteger, nullable=False),
    # ISO weekdays as digits, e.g. '12345' for Monday to Friday.
    Column("working_days", String(7), nullable=False),
    Column("abc_a_pct", BigInteger, nullable=False),
    Column("abc_b_pct", BigInteger, nullable=False),
    Column("xyz_x_cv", BigInteger, nullable=False),
    Column("xyz_y_cv", BigInteger, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("bucket", String(8), nullable=False),
    Column("max_age_days", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
)

classification_runs = Table(
    "classification_runs",
    metadata,
    id_column(),
    org_column(),
    Column("as_of", Date, nullable=False),
    # The settings it used, as JSON: window, bucket, cut-offs, limits.
    Column("parameters", Text, nullable=False),
    Column("item_count", Integer, nullable=False),
    *created_columns(),
)
Index("ix_classification_runs_org_id_id", classification_runs.c.org_id, classification_runs.c.id)

item_classes = Table(
    "item_classes",
    metadata,
    Column("run_id", Integer, ForeignKey("classification_runs.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    org_column(),
    Column("abc", String(1), nullable=False),
    Column("xyz", String(1), nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("share", BigInteger, nullable=False),
    Column("cv", BigInteger, nullable=True),
    CheckConstraint("abc IN ('A','B','C')", name="abc"),
    CheckConstraint("xyz IN ('X','Y','Z')", name="xyz"),
)

count_documents = Table(
    "count_documents",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    # The warehouse of a planned count; NULL for an ad-hoc count that spans warehouses.
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=True),
    # The day a planned count is for (NULL for ad-hoc counts): one plan per warehouse and day.
    Column("plan_date", Date, nullable=True),
    # The day its records count as counted for the plan: plan_date, or the day it was made.
    Column("scheduled_on", Date, nullable=False),
    Column("scope", String(400), nullable=True),
    Column("status", String(16), nullable=False),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "number"),
    UniqueConstraint("org_id", "plan_date", "warehouse_id"),
    CheckConstraint("kind IN ('plan','location','item','discrepancy')", name="kind"),
    CheckConstraint("status IN ('open','closed')", name="status"),
)
Index("ix_count_documents_org_id_status", count_documents.c.org_id, count_documents.c.status)

count_lines = Table(
    "count_lines",
    metadata,
    id_column(),
    org_column(),
    Column("count_id", Integer, ForeignKey("count_documents.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("warehouse_id", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    # '' = no lot / no serial, so the unique key below holds (a NULL would not take part).
    Column("lot", String(64), nullable=False),
    Column("serial", String(64), nullable=False),
    # False for stock found that the book did not list when the count was made.
    Column("expected", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    # The item's class when the line was made: accuracy is reported per class.
    Column("abc", String(1), nullable=False),
    Column("unit_cost", BigInteger, nullable=True),
    Column("tolerance", BigInteger, nullable=True),
    # The first count (what accuracy measures) and the latest one (what is approved).
    Column("first_counted", BigInteger, nullable=True),
    Column("first_book", BigInteger, nullable=True),
    Column("first_at", UTCDateTime, nullable=True),
    Column("first_within", Boolean, nullable=True),
    Column("counted", BigInteger, nullable=True),
    Column("book", BigInteger, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=True),
    Column("recorded_by", Integer, nullable=True),
    Column("count_no", Integer, nullable=False),
    Column("posting_id", BigInteger, nullable=True),
    Column("reason", String(64), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decided_by", Integer, nullable=True),
    UniqueConstraint("count_id", "line_no"),
    UniqueConstraint("count_id", "location_id", "item_id", "lot", "serial"),
    CheckConstraint("status IN ('open','recount','review','approved','rejected')", name="status"),
)
Index(
    "ix_count_lines_org_id_item_id_location_id",
    count_lines.c.org_id,
    count_lines.c.item_id,
    count_lines.c.location_id,
)
Index("ix_count_lines_org_id_first_at", count_lines.c.org_id, count_lines.c.first_at)

# One row per count record made with an idempotency key: a retry of the record (a form sent
# twice, an API call repeated after a timeout) finds it and answers "recorded already".
count_records = Table(
    "count_records",
    metadata,
    id_column(),
    org_column(),
    Column("count_id", Integer, ForeignKey("count_documents.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    # What was recorded (location, entries, complete): the same key with another is refused.
    Column("payload_hash", String(64), nullable=False),
    Column("entry_count", Integer, nullable=False),
    *created_columns(),
    UniqueConstraint("org_id", "idempotency_key"),
)
