"""events: the transactional outbox, its followers' cursors, reorder-point flags and expiry
warnings

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"], ["organisations.id"], name=op.f(f"fk_{table}_org_id_organisations")
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("posting_id", sa.BigInteger(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        _org_fk("events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_events_seq")),
    )
    op.create_index("ix_events_org_seq", "events", ["org_id", "seq"])
    op.create_index(
        "ix_events_unsequenced",
        "events",
        ["id"],
        postgresql_where=sa.text("seq IS NULL"),
        sqlite_where=sa.text("seq IS NULL"),
    )
    op.create_table(
        "event_cursors",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_cursors")),
    )
    op.create_table(
        "reorder_flags",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("below", sa.Boolean(), nullable=False),
        _org_fk("reorder_flags"),
        sa.PrimaryKeyConstraint("org_id", "item_id", "warehouse_id", name=op.f("pk_reorder_flags")),
    )
    op.create_table(
        "expiry_warnings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("expiry_date", sa.String(length=10), nullable=False),
        _org_fk("expiry_warnings"),
        sa.PrimaryKeyConstraint("org_id", "lot_id", "expiry_date", name=op.f("pk_expiry_warnings")),
    )


def downgrade() -> None:
    op.drop_table("expiry_warnings")
    op.drop_table("reorder_flags")
    op.drop_table("event_cursors")
    op.drop_index("ix_events_unsequenced", table_name="events")
    op.drop_index("ix_events_org_seq", table_name="events")
    op.drop_table("events")
