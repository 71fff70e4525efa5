"""counting: programme settings, ABC/XYZ runs, count documents and lines

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:54:30.498899
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classification_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_classification_runs_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_runs")),
    )
    op.create_index(
        "ix_classification_runs_org_id_id", "classification_runs", ["org_id", "id"], unique=False
    )

    op.create_table(
        "count_settings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("freq_a", sa.Integer(), nullable=False),
        sa.Column("freq_b", sa.Integer(), nullable=False),
        sa.Column("freq_c", sa.Integer(), nullable=False),
        sa.Column("tol_pct_a", sa.BigInteger(), nullable=False),
        sa.Column("tol_pct_b", sa.BigInteger(), nullable=False),
        sa.Column("tol_pct_c", sa.BigInteger(), nullable=False),
        sa.Column("tol_units_a", sa.BigInteger(), nullable=False),
        sa.Column("tol_units_b", sa.BigInteger(), nullable=False),
        sa.Column("tol_units_c", sa.BigInteger(), nullable=False),
        sa.Column("working_days", sa.String(length=7), nullable=False),
        sa.Column("abc_a_pct", sa.BigInteger(), nullable=False),
        sa.Column("abc_b_pct", sa.BigInteger(), nullable=False),
        sa.Column("xyz_x_cv", sa.BigInteger(), nullable=False),
        sa.Column("xyz_y_cv", sa.BigInteger(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=8), nullable=False),
        sa.Column("max_age_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_count_settings_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_count_settings")),
    )
    op.create_table(
        "count_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=True),
        sa.Column("plan_date", sa.Date(), nullable=True),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=400), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('plan','location','item','discrepancy')", name=op.f("ck_count_documents_kind")
        ),
        sa.CheckConstraint("status IN ('open','closed')", name=op.f("ck_count_documents_status")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_count_documents_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["locations.id"],
            name=op.f("fk_count_documents_warehouse_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_documents")),
        sa.UniqueConstraint("org_id", "number", name=op.f("uq_count_documents_org_id_number")),
        sa.UniqueConstraint(
            "org_id",
            "plan_date",
            "warehouse_id",
            name=op.f("uq_count_documents_org_id_plan_date_warehouse_id"),
        ),
    )
    op.create_index(
        "ix_count_documents_org_id_status", "count_documents", ["org_id", "status"], unique=False
    )

    op.create_table(
        "item_classes",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("abc", sa.String(length=1), nullable=False),
        sa.Column("xyz", sa.String(length=1), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("cv", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("abc IN ('A','B','C')", name=op.f("ck_item_classes_abc")),
        sa.CheckConstraint("xyz IN ('X','Y','Z')", name=op.f("ck_item_classes_xyz")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_classes_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_item_classes_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["classification_runs.id"],
            name=op.f("fk_item_classes_run_id_classification_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "item_id", name=op.f("pk_item_classes")),
    )
    op.create_table(
        "count_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("expected", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("abc", sa.String(length=1), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=True),
        sa.Column("tolerance", sa.BigInteger(), nullable=True),
        sa.Column("first_counted", sa.BigInteger(), nullable=True),
        sa.Column("first_book", sa.BigInteger(), nullable=True),
        sa.Column("first_at", sa.DateTime(), nullable=True),
        sa.Column("first_within", sa.Boolean(), nullable=True),
        sa.Column("counted", sa.BigInteger(), nullable=True),
        sa.Column("book", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("count_no", sa.Integer(), nullable=False),
        sa.Column("posting_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open','recount','review','approved','rejected')",
            name=op.f("ck_count_lines_status"),
        ),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["count_documents.id"],
            name=op.f("fk_count_lines_count_id_count_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_count_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_count_lines_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_count_lines_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_lines")),
        sa.UniqueConstraint("count_id", "line_no", name=op.f("uq_count_lines_count_id_line_no")),
        sa.UniqueConstraint(
            "count_id",
            "location_id",
            "item_id",
            "lot",
            "serial",
            name=op.f("uq_count_lines_count_id_location_id_item_id_lot_serial"),
        ),
    )
    op.create_index(
        "ix_count_lines_org_id_first_at", "count_lines", ["org_id", "first_at"], unique=False
    )
    op.create_index(
        "ix_count_lines_org_id_item_id_location_id",
        "count_lines",
        ["org_id", "item_id", "location_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_count_lines_org_id_item_id_location_id", table_name="count_lines")
    op.drop_index("ix_count_lines_org_id_first_at", table_name="count_lines")

    op.drop_table("count_lines")
    op.drop_table("item_classes")
    op.drop_index("ix_count_documents_org_id_status", table_name="count_documents")

    op.drop_table("count_documents")
    op.drop_table("count_settings")
    op.drop_index("ix_classification_runs_org_id_id", table_name="classification_runs")

    op.drop_table("classification_runs")
