"""event prunes: per organisation, the newest outbox position the retention removed

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_prunes",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_event_prunes_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_event_prunes")),
    )


def downgrade() -> None:
    op.drop_table("event_prunes")
