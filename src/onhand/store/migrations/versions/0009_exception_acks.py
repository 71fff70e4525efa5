"""exception acknowledgements: who took which exception in hand, at which numbers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exception_acks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=400), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("acked_by", sa.Integer(), nullable=False),
        sa.Column("acked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_exception_acks_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exception_acks")),
        sa.UniqueConstraint("org_id", "key", name=op.f("uq_exception_acks_org_id_key")),
    )


def downgrade() -> None:
    op.drop_table("exception_acks")
