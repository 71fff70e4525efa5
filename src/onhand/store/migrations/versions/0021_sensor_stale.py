"""sensor stale: how long a sensor may stay silent, when it was last expected to report, and
when its current silence was found

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sensors") as batch:
        batch.add_column(sa.Column("stale_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expected_since", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("stale_since", sa.BigInteger(), nullable=True))
    # Sensors registered before this revision are expected from now on: an old sensor that
    # never reported is not found silent the moment the server starts.
    now_ms = int(time.time() * 1000)
    op.execute(sa.text("UPDATE sensors SET expected_since = :now").bindparams(now=now_ms))


def downgrade() -> None:
    with op.batch_alter_table("sensors") as batch:
        batch.drop_column("stale_since")
        batch.drop_column("expected_since")
        batch.drop_column("stale_minutes")
