"""traceability and recalls: movements indexed by lot and serial, serial holds, recalls,
checkpoint versions

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_movements_org_lot", "movements", ["org_id", "lot_id"])
    op.create_index("ix_movements_org_serial", "movements", ["org_id", "serial_id"])
    # Plain ADD COLUMNs with a constant default: SQLite's batch mode would copy the tables and
    # drop the originals, which the foreign keys of a database with data refuse.
    op.add_column(
        "serials", sa.Column("on_hold", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    # Checkpoints recorded so far are of version 1 and stay checkable as they are.
    op.add_column(
        "checkpoints", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.create_table(
        "recalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("serial_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_before", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open','released')", name=op.f("ck_recalls_status")),
        sa.CheckConstraint(
            "(lot_id = 0) <> (serial_id = 0)", name=op.f("ck_recalls_lot_or_serial")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_recalls_item_id_items")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_recalls_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recalls")),
        sa.UniqueConstraint("org_id", "number", name=op.f("uq_recalls_org_id_number")),
    )
    op.create_index("ix_recalls_org_item", "recalls", ["org_id", "item_id"])
    op.create_index(
        "ux_recalls_open",
        "recalls",
        ["org_id", "item_id", "lot_id", "serial_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ux_recalls_open", table_name="recalls")
    op.drop_index("ix_recalls_org_item", table_name="recalls")
    op.drop_table("recalls")
    with op.batch_alter_table("checkpoints") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("serials") as batch:
        batch.drop_column("on_hold")
    op.drop_index("ix_movements_org_serial", table_name="movements")
    op.drop_index("ix_movements_org_lot", table_name="movements")
