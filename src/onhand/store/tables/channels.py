"""Lines reported by sales channels (tills, web shops), each posted once."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from onhand.store.tables.core import UTCDateTime, metadata, org_column

# One row per line a channel reported and onhand posted: the unique key is what makes a line
# post once, however often and however concurrently it is sent.
channel_lines = Table(
    "channel_lines",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    org_column(),
    Column("channel", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("kind", String(8), nullable=False),
    # sha256 of the line's content (domain.channel_sales.content_hash): a resent line is
    # recognised, a line resent with other content refused.
    Column("payload_hash", String(64), nullable=False),
    # NULL only inside the transaction that claims the line and posts its movement.
    Column("movement_id", BigInteger, ForeignKey("movements.id"), nullable=True),
    # What the channel charged per unit, if it said: kept for sales reports.
    Column("unit_price", BigInteger, nullable=True),
    Column("posted_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "channel", "external_id"),
    CheckConstraint("kind IN ('sale','refund')", name="kind"),
)
