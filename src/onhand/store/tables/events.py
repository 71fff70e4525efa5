"""The outbox: domain events written in the transaction of the change they describe, and the
cursors of those who follow them.

An event's ``id`` is drawn when it is inserted, so on PostgreSQL a transaction that commits
later can hold a smaller id than events already read. Readers therefore follow ``seq``, a
position given to committed events in the order they become visible (one sequencer at a time):
a reader that has seen position n has seen every event that will ever hold a position up to n.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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

from onhand.store.tables.core import UTCDateTime, metadata, org_column

events = Table(
    "events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("seq", BigInteger, nullable=True),  # NULL until sequenced
    org_column(),
    Column("type", String(60), nullable=False),
    Column("subject_type", String(40), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("posting_id", BigInteger, nullable=True),
    Column("data", Text, nullable=False),  # JSON
    UniqueConstraint("seq"),
    Index("ix_events_org_seq", "org_id", "seq"),
    Index(
        "ix_events_unsequenced",
        "id",
        postgresql_where=text("seq IS NULL"),
        sqlite_where=text("seq IS NULL"),
    ),
)

# How far a follower of the outbox has read (a deriver of events, a relay to a broker...).
event_cursors = Table(
    "event_cursors",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

# Per organisation, the newest position the outbox's retention removed: a reader resuming
# after an earlier position would miss events, so it is told so rather than served a gap.
event_prunes = Table(
    "event_prunes",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("through_seq", BigInteger, nullable=False),
)

# Whether an item was below its reorder point at a warehouse when last looked at: the event
# stock.below_reorder_point is raised when it crosses below, not on every movement after.
reorder_flags = Table(
    "reorder_flags",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("item_id", Integer, primary_key=True),
    Column("warehouse_id", Integer, primary_key=True),
    Column("below", Boolean, nullable=False),
)

# Lots an expiry warning was raised for, so the sweep raises lot.expiring once per lot and
# expiry date.
expiry_warnings = Table(
    "expiry_warnings",
    metadata,
    Column("org_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("lot_id", Integer, primary_key=True),
    Column("expiry_date", String(10), primary_key=True),
)
