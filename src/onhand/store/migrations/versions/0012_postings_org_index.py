"""postings: an index on (org_id, id) for the organisation's latest posting

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_postings_org_id", "postings", ["org_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_postings_org_id", table_name="postings")
