"""Replenishment planning: policies per item and warehouse, runs (versioned: each run keeps the
parameters it used) and their lines (the forecast, the policy levels and the suggestion made
for one item at the run's warehouse).

Statuses are plain strings without CHECK constraints: SQLite can only change a CHECK by copying
the table, and the services own the transitions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from onhand.store.tables.core import UTCDateTime, created_columns, id_column, metadata, org_column

# A planner's policy for one item at one warehouse; unset (NULL) fields take the run's defaults.
# Quantities and money are micro-units; service level and carrying rate too (950000 = 95 %).
replenishment_policies = Table(
    "replenishment_policies",
    metadata,
    id_column(),
    org_column(),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("service_type", String(10), nullable=True),
    Column("service_level", BigInteger, nullable=True),
    Column("review_days", Integer, nullable=True),
    Column("order_qty", BigInteger, nullable=True),
    Column("min_qty", BigInteger, nullable=True),
    Column("max_qty", BigInteger, nullable=True),
    Column("order_cost", BigInteger, nullable=True),
    Column("carrying_rate", BigInteger, nullable=True),
    # Replenish by transfer from this warehouse (a distribution centre) instead of buying.
    Column("source_warehouse_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("transfer_days", Integer, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    UniqueConstraint("org_id", "item_id", "warehouse_id"),
)
Index("ix_replenishment_policies_org_id_warehouse_id", replenishment_policies.c.org_id,
      replenishment_policies.c.warehouse_id)  # fmt: skip

planning_runs = Table(
    "planning_runs",
    metadata,
    id_column(),
    org_column(),
    Column("number", String(32), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("status", String(12), nullable=False),  # running, done, failed, interrupted
    # Everything the run was asked and defaulted to, and the library versions, as JSON.
    Column("parameters", Text, nullable=False),
    Column("stage", String(32), nullable=False),
    Column("progress_done", Integer, nullable=False),
    Column("progress_total", Integer, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("suggestion_count", Integer, nullable=False),
    # Overall backtest accuracy of the chosen methods and of seasonal naive, as JSON.
    Column("accuracy", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    *created_columns(),
    # The last sign of life of the process carrying out a running run (NULL: none since it was
    # created): without one for a few minutes the run is taken for interrupted.
    Column("heartbeat_at", UTCDateTime, nullable=True),
    UniqueConstraint("org_id", "number"),
)
Index("ix_planning_runs_org_id_warehouse_id", planning_runs.c.org_id, planning_runs.c.warehouse_id)
# One running run per warehouse: a second start waits for it, or finds it interrupted.
Index(
    "uq_planning_runs_running",
    planning_runs.c.org_id,
    planning_runs.c.warehouse_id,
    unique=True,
    sqlite_where=planning_runs.c.status == "running",
    postgresql_where=planning_runs.c.status == "running",
)

planning_lines = Table(
    "planning_lines",
    metadata,
    id_column(),
    org_column(),
    Column("run_id", Integer, ForeignKey("planning_runs.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    # Forecast: the method chosen, the demand pattern, forecast per bucket (JSON list), backtest
    # accuracy (JSON), and the daily demand and error spread the policy was set from.
    Column("method", String(32), nullable=False),
    Column("pattern", String(12), nullable=True),
    Column("forecast", Text, nullable=False),
    Column("accuracy", Text, nullable=True),
    Column("demand_per_day", Float, nullable=False),
    Column("demand_sd_per_day", Float, nullable=False),
    Column("lead_time_days", Float, nullable=False),
    Column("lead_time_sd_days", Float, nullable=False),
    # Policy and its levels (micro-units, rounded up to the item's precision).
    Column("policy", String(8), nullable=False),
    Column("service_type", String(10), nullable=False),
    Column("service_level", BigInteger, nullable=False),
    Column("review_days", Integer, nullable=True),
    Column("safety_stock", BigInteger, nullable=False),
    Column("reorder_point", BigInteger, nullable=True),
    Column("order_up_to", BigInteger, nullable=True),
    Column("order_qty", BigInteger, nullable=True),
    # Stock position when the run read it.
    Column("on_hand", BigInteger, nullable=False),
    Column("on_order", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False),
    # Open sales order quantity not reserved (waiting for stock): committed like reserved.
    Column("backordered", BigInteger, nullable=False),
    Column("projected", BigInteger, nullable=False),
    # The suggestion: how to replenish, how much (suggested, and as edited), and why.
    Column("source", String(10), nullable=False),  # purchase, transfer, none
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=True),
    Column("source_warehouse_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("suggested_qty", BigInteger, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),  # none, proposed, accepted, rejected
    Column("reason", Text, nullable=False),
    Column("document", String(32), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decided_by", Integer, nullable=True),
    Column("edited", Boolean, nullable=False),
    UniqueConstraint("run_id", "item_id"),
)
Index("ix_planning_lines_run_id_status", planning_lines.c.run_id, planning_lines.c.status)
