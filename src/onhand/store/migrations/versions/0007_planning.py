"""planning: replenishment policies, planning runs and their lines

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:24:47.254888
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planning_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("suggestion_count", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_planning_runs_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["locations.id"], name=op.f("fk_planning_runs_warehouse_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_runs")),
        sa.UniqueConstraint("org_id", "number", name=op.f("uq_planning_runs_org_id_number")),
    )
    op.create_index(
        "ix_planning_runs_org_id_warehouse_id",
        "planning_runs",
        ["org_id", "warehouse_id"],
        unique=False,
    )

    op.create_table(
        "replenishment_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("service_type", sa.String(length=10), nullable=True),
        sa.Column("service_level", sa.BigInteger(), nullable=True),
        sa.Column("review_days", sa.Integer(), nullable=True),
        sa.Column("order_qty", sa.BigInteger(), nullable=True),
        sa.Column("min_qty", sa.BigInteger(), nullable=True),
        sa.Column("max_qty", sa.BigInteger(), nullable=True),
        sa.Column("order_cost", sa.BigInteger(), nullable=True),
        sa.Column("carrying_rate", sa.BigInteger(), nullable=True),
        sa.Column("source_warehouse_id", sa.Integer(), nullable=True),
        sa.Column("transfer_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_replenishment_policies_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_replenishment_policies_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["source_warehouse_id"],
            ["locations.id"],
            name=op.f("fk_replenishment_policies_source_warehouse_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["locations.id"],
            name=op.f("fk_replenishment_policies_warehouse_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replenishment_policies")),
        sa.UniqueConstraint(
            "org_id",
            "item_id",
            "warehouse_id",
            name=op.f("uq_replenishment_policies_org_id_item_id_warehouse_id"),
        ),
    )
    op.create_index(
        "ix_replenishment_policies_org_id_warehouse_id",
        "replenishment_policies",
        ["org_id", "warehouse_id"],
        unique=False,
    )

    op.create_table(
        "planning_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("pattern", sa.String(length=12), nullable=True),
        sa.Column("forecast", sa.Text(), nullable=False),
        sa.Column("accuracy", sa.Text(), nullable=True),
        sa.Column("demand_per_day", sa.Float(), nullable=False),
        sa.Column("demand_sd_per_day", sa.Float(), nullable=False),
        sa.Column("lead_time_days", sa.Float(), nullable=False),
        sa.Column("lead_time_sd_days", sa.Float(), nullable=False),
        sa.Column("policy", sa.String(length=8), nullable=False),
        sa.Column("service_type", sa.String(length=10), nullable=False),
        sa.Column("service_level", sa.BigInteger(), nullable=False),
        sa.Column("review_days", sa.Integer(), nullable=True),
        sa.Column("safety_stock", sa.BigInteger(), nullable=False),
        sa.Column("reorder_point", sa.BigInteger(), nullable=True),
        sa.Column("order_up_to", sa.BigInteger(), nullable=True),
        sa.Column("order_qty", sa.BigInteger(), nullable=True),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("on_order", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("backordered", sa.BigInteger(), nullable=False),
        sa.Column("projected", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("source_warehouse_id", sa.Integer(), nullable=True),
        sa.Column("suggested_qty", sa.BigInteger(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_planning_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_planning_lines_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["planning_runs.id"], name=op.f("fk_planning_lines_run_id_planning_runs")
        ),
        sa.ForeignKeyConstraint(
            ["source_warehouse_id"],
            ["locations.id"],
            name=op.f("fk_planning_lines_source_warehouse_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_planning_lines_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_lines")),
        sa.UniqueConstraint("run_id", "item_id", name=op.f("uq_planning_lines_run_id_item_id")),
    )
    op.create_index(
        "ix_planning_lines_run_id_status", "planning_lines", ["run_id", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_planning_lines_run_id_status", table_name="planning_lines")

    op.drop_table("planning_lines")
    op.drop_index(
        "ix_replenishment_policies_org_id_warehouse_id", table_name="replenishment_policies"
    )

    op.drop_table("replenishment_policies")
    op.drop_index("ix_planning_runs_org_id_warehouse_id", table_name="planning_runs")

    op.drop_table("planning_runs")
