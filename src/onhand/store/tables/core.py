"""The core schema: tenants, accounts, master data and the ledger. Quantities and money are BIGINT micro-units (10**-6) so both databases are exact.

Every table carries org_id so the schema can be distributed by organisation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on both databases, returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def id_column() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def org_column() -> Column[int]:
    return Column("org_id", Integer, ForeignKey("organisations.id"), nullable=False)


def created_columns() -> list[Column[Any]]:
    return [
        Column("created_at", UTCDateTime, nullable=False),
        Column("created_by", Integer, nullable=True),
    ]


organisations = Table(
    "organisations",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False),
    Column("slug", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    id_column(),
    org_column(),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    *created_columns(),
    CheckConstraint("role IN ('admin','manager','clerk','auditor')", name="role"),
)

user_warehouses = Table(
    "user_warehouses",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True),
    org_column(),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    id_column(),
    org_column(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    *created_columns(),
)

items = Table(
    "items",
    metadata,
    id_column(),
    org_column(),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", String(100), nullable=True),
    Column("uom", String(16), nullable=False),
    Column("precision", Integer, nullable=False),
    Column("unit_cost", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tracking", String(8), nullable=False),
    Column("shelf_life_days", Integer, nullable=True),
    # Micro-kilograms a unit: what landed costs split by weight are split by.
    Column("weight", BigInteger, nullable=True),
    Column("active", Boolean, nullable=False),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    UniqueConstraint("org_id", "sku"),
    CheckConstraint("tracking IN ('none','lot','serial')", name="tracking"),
    CheckConstraint('"precision" BETWEEN 0 AND 6', name="precision"),
    CheckConstraint("unit_cost >= 0", name="unit_cost"),
)
Index("ix_items_org_id_category", items.c.org_id, items.c.category)

item_barcodes = Table(
    "item_barcodes",
    metadata,
    id_column(),
    org_column(),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("barcode", String(64), nullable=False),
    UniqueConstraint("org_id", "barcode"),
)

locations = Table(
    "locations",
    metadata,
    id_column(),
    org_column(),
    Column("parent_id", Integer, ForeignKey("locations.id"), nullable=True, index=True),
    # The root of the tree this location is in (itself for a root); NULL for virtual ones.
    Column("warehouse_id", Integer, nullable=True),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    # Byte order on both databases, so a subtree is a range scan (see subtree_bounds).
    Column(
        "path", String(400).with_variant(String(400, collation="C"), "postgresql"), nullable=False
    ),
    Column("kind", String(16), nullable=False),
    Column("allow_negative", Boolean, nullable=False),
    # Held: its stock (and that of every location below it) is on hand but not available.
    Column("on_hold", Boolean, nullable=False, server_default=false()),
    Column("active", Boolean, nullable=False),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    UniqueConstraint("org_id", "path"),
    CheckConstraint(
        "kind IN ('internal','supplier','customer','adjustment','transit','scrap')", name="kind"
    ),
)

# A bin label may carry its code rather than its path: scanning looks locations up by code.
Index("ix_locations_org_id_code", locations.c.org_id, locations.c.code)

lots = Table(
    "lots",
    metadata,
    id_column(),
    org_column(),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("expiry_date", Date, nullable=True),
    Column("on_hold", Boolean, nullable=False, default=False),
    *created_columns(),
    UniqueConstraint("org_id", "item_id", "code"),
)

serials = Table(
    "serials",
    metadata,
    id_column(),
    org_column(),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("serial", String(64), nullable=False),
    # Where the unit is now (a projection of the ledger, updated in the posting transaction).
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=True),
    *created_columns(),
    # Held (a recall): on hand but not available, like a held lot. Last, as the migration adds
    # it: some reads select t.* by position.
    Column("on_hold", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("org_id", "item_id", "serial"),
)

postings = Table(
    "postings",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    org_column(),
    Column("idempotency_key", String(128), nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("actor_id", Integer, nullable=False),
    Column("movement_count", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "idempotency_key"),
)
# The organisation's latest posting, one seek: what live pages watch for changes.
Index("ix_postings_org_id", postings.c.org_id, postings.c.id)

movement_id_seq = Sequence("movement_id_seq", metadata=metadata)

movements = Table(
    "movements",
    metadata,
    # Assigned by the service (sequence on PostgreSQL, under the write lock on SQLite) because
    # the id is part of the row's hash.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    org_column(),
    Column("posting_id", BigInteger, nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("chain_seq", BigInteger, nullable=False),
    Column("prev_id", BigInteger, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id"), nullable=True),
    Column("serial_id", Integer, ForeignKey("serials.id"), nullable=True),
    Column("from_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("effective_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("ref_type", String(32), nullable=True),
    Column("ref_id", String(128), nullable=True),
    Column("reason", String(64), nullable=True),
    Column("actor_id", Integer, nullable=False),
    Column("reverses_id", BigInteger, nullable=True, unique=True),
    UniqueConstraint("org_id", "item_id", "chain_seq"),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
)
Index(
    "ix_movements_org_item_effective",
    movements.c.org_id,
    movements.c.item_id,
    movements.c.effective_at,
)
Index(
    "ix_movements_org_from_effective",
    movements.c.org_id,
    movements.c.from_location_id,
    movements.c.effective_at,
)
Index(
    "ix_movements_org_to_effective",
    movements.c.org_id,
    movements.c.to_location_id,
    movements.c.effective_at,
)
Index("ix_movements_org_ref", movements.c.org_id, movements.c.ref_type, movements.c.ref_id)
# A lot's or a serial's movements, one range scan: what a trace and a recall read.
Index("ix_movements_org_lot", movements.c.org_id, movements.c.lot_id)
Index("ix_movements_org_serial", movements.c.org_id, movements.c.serial_id)

balances = Table(
    "balances",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True),
    # 0 = no lot / no serial: a NULL would not take part in the primary key.
    Column("lot_id", Integer, primary_key=True, default=0),
    Column("serial_id", Integer, primary_key=True, default=0),
    Column("qty", BigInteger, nullable=False),
)
Index("ix_balances_org_location", balances.c.org_id, balances.c.location_id)

chain_heads = Table(
    "chain_heads",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("movement_id", BigInteger, nullable=True),
    Column("hash", String(64), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    id_column(),
    Column("created_at", UTCDateTime, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("chain_count", Integer, nullable=False),
    # JSON list of [org_id, item_id, seq, movement_id, hash]: what the checkpoint vouches for.
    Column("heads", Text, nullable=False),
    # How the hash is computed from the heads (domain.chain.checkpoint_hash): 1 in one stream,
    # 2 per organisation (what a trace proof needs).
    Column("version", Integer, nullable=False, server_default="1"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    org_column(),
    Column("actor_id", Integer, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(128), nullable=False),
    Column("detail", Text, nullable=True),
)
Index(
    "ix_audit_events_org_entity",
    audit_events.c.org_id,
    audit_events.c.entity,
    audit_events.c.entity_id,
)
