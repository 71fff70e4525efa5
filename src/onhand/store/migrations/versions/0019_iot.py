"""iot: sensors, readings (raw, hourly roll-ups), condition ranges, excursions and the lots
they held, RFID and scanner gateways

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensor_readings",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", "at", name=op.f("pk_sensor_readings")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sensor_rollups",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("min_value", sa.Integer(), nullable=False),
        sa.Column("max_value", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", "hour", name=op.f("pk_sensor_rollups")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "condition_ranges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("min_value", sa.Integer(), nullable=True),
        sa.Column("max_value", sa.Integer(), nullable=True),
        sa.Column("grace_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(location_id IS NULL) <> (item_id IS NULL)", name=op.f("ck_condition_ranges_scope")
        ),
        sa.CheckConstraint("grace_minutes >= 0", name=op.f("ck_condition_ranges_grace")),
        sa.CheckConstraint(
            "min_value IS NOT NULL OR max_value IS NOT NULL",
            name=op.f("ck_condition_ranges_bounds"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_condition_ranges_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_condition_ranges_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_condition_ranges_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_ranges")),
    )
    op.create_index(
        "uq_condition_ranges_item",
        "condition_ranges",
        ["org_id", "item_id", "metric"],
        unique=True,
        postgresql_where=sa.text("item_id IS NOT NULL"),
        sqlite_where=sa.text("item_id IS NOT NULL"),
    )
    op.create_index(
        "uq_condition_ranges_location",
        "condition_ranges",
        ["org_id", "location_id", "metric"],
        unique=True,
        postgresql_where=sa.text("location_id IS NOT NULL"),
        sqlite_where=sa.text("location_id IS NOT NULL"),
    )
    op.create_table(
        "iot_gateways",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('rfid','scanner')", name=op.f("ck_iot_gateways_kind")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_iot_gateways_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_iot_gateways_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_iot_gateways_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_gateways")),
        sa.UniqueConstraint(
            "org_id", "kind", "code", name=op.f("uq_iot_gateways_org_id_kind_code")
        ),
    )
    op.create_table(
        "sensors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=True),
        sa.Column("last_value", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("metric IN ('temperature','humidity')", name=op.f("ck_sensors_metric")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_sensors_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_sensors_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors")),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_sensors_org_id_code")),
    )
    op.create_index("ix_sensors_location_id", "sensors", ["location_id"], unique=False)
    op.create_table(
        "excursion_watches",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("range_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("out_since", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("worst", sa.Integer(), nullable=False),
        sa.Column("excursion_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_excursion_watches_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["range_id"],
            ["condition_ranges.id"],
            name=op.f("fk_excursion_watches_range_id_condition_ranges"),
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_excursion_watches_sensor_id_sensors")
        ),
        sa.PrimaryKeyConstraint("sensor_id", "range_id", name=op.f("pk_excursion_watches")),
    )
    op.create_table(
        "excursions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("range_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("min_value", sa.Integer(), nullable=True),
        sa.Column("max_value", sa.Integer(), nullable=True),
        sa.Column("grace_minutes", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("worst", sa.Integer(), nullable=False),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("unheld", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_excursions_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_excursions_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_excursions_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["range_id"],
            ["condition_ranges.id"],
            name=op.f("fk_excursions_range_id_condition_ranges"),
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_excursions_sensor_id_sensors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_excursions")),
    )
    op.create_index(
        "ix_excursions_org_id_ended_at", "excursions", ["org_id", "ended_at"], unique=False
    )
    op.create_table(
        "excursion_lots",
        sa.Column("excursion_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["excursion_id"],
            ["excursions.id"],
            name=op.f("fk_excursion_lots_excursion_id_excursions"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_excursion_lots_lot_id_lots")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_excursion_lots_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("excursion_id", "lot_id", name=op.f("pk_excursion_lots")),
    )


def downgrade() -> None:
    op.drop_table("excursion_lots")
    op.drop_index("ix_excursions_org_id_ended_at", table_name="excursions")
    op.drop_table("excursions")
    op.drop_table("excursion_watches")
    op.drop_index("ix_sensors_location_id", table_name="sensors")
    op.drop_table("sensors")
    op.drop_table("iot_gateways")
    op.drop_index("uq_condition_ranges_location", table_name="condition_ranges")
    op.drop_index("uq_condition_ranges_item", table_name="condition_ranges")
    op.drop_table("condition_ranges")
    op.drop_table("sensor_rollups")
    op.drop_table("sensor_readings")
