"""Webhooks: an organisation's subscriptions (where its events are sent, signed with a secret),
one delivery per subscription and event, and each attempt at it.

Deliveries are made from the outbox by one follower (exactly once per subscription and event,
the unique key holds it) and claimed by dispatchers: a claim moves ``next_attempt_at`` past the
claim's lease and writes its token in ``claim``, so a dispatcher that died mid-send leaves the
delivery to be tried again once the lease has run out (at least once).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from onhand.store.tables.core import UTCDateTime, created_columns, metadata, org_column

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    org_column(),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=False),
    Column("event_types", Text, nullable=False),  # JSON list of types and families; [] = all
    Column("active", Boolean, nullable=False),
    Column("secret", String(100), nullable=False),
    # The secret before the last rotation, still signed with until previous_until.
    Column("previous_secret", String(100), nullable=True),
    Column("previous_until", UTCDateTime, nullable=True),
    # The outbox position when the subscription was made: only later events are delivered.
    Column("after_seq", BigInteger, nullable=False),
    *created_columns(),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    Index("ix_webhook_subscriptions_org_id", "org_id", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    org_column(),
    Column("subscription_id", Integer, ForeignKey("webhook_subscriptions.id"), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("event_type", String(60), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # When it is due (pending, retrying), or until when a dispatcher holds it (claimed).
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("claim", String(32), nullable=True),
    Column("last_status", Integer, nullable=True),  # the endpoint's HTTP status
    Column("last_error", String(300), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("subscription_id", "event_id"),
    CheckConstraint("status IN ('pending','delivered','retrying','dead')", name="status"),
    Index("ix_webhook_deliveries_log", "org_id", "subscription_id", "id"),
    Index("ix_webhook_deliveries_state", "subscription_id", "status"),
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status IN ('pending','retrying')"),
        sqlite_where=text("status IN ('pending','retrying')"),
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    org_column(),
    Column("delivery_id", BigInteger, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("error", String(300), nullable=True),
    Index("ix_webhook_attempts_delivery_id", "delivery_id", "attempt"),
)
