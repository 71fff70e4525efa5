"""locations by code: an index for bin labels that carry a location's code

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_locations_org_id_code", "locations", ["org_id", "code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_locations_org_id_code", table_name="locations")
