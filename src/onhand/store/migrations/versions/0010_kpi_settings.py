"""kpi settings: yearly carrying-cost components per organisation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_settings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("capital", sa.BigInteger(), nullable=False),
        sa.Column("storage", sa.BigInteger(), nullable=False),
        sa.Column("handling", sa.BigInteger(), nullable=False),
        sa.Column("insurance", sa.BigInteger(), nullable=False),
        sa.Column("shrink", sa.BigInteger(), nullable=False),
        sa.Column("obsolescence", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_kpi_settings_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_kpi_settings")),
    )


def downgrade() -> None:
    op.drop_table("kpi_settings")
