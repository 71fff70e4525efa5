"""IoT: sensors and their readings (raw for a while, then hourly roll-ups), the condition ranges
stock must be kept in, excursions out of them with the lots they put on hold, and the RFID and
scanner gateways that post reads over MQTT.

Readings are kept compactly: a time is milliseconds since 1970 (UTC) and a value thousandths of
its unit (°C, %RH) in integers, and the two reading tables have no separate row id on SQLite
(their primary key is the row's key).
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

from onhand.store.tables.core import UTCDateTime, created_columns, id_column, metadata, org_column

sensors = Table(
    "sensors",
    metadata,
    id_column(),
    org_column(),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("metric", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    # The newest reading evaluated (ms since 1970, thousandths): readings older than it arrive
    # late, are kept in the history, and do not change an excursion's state.
    Column("last_at", BigInteger, nullable=True),
    Column("last_value", Integer, nullable=True),
    # Silence: the minutes without a reading after which the sensor is stale (null: the
    # server's default; 0: never), the time (ms) since which it is expected to report (created
    # or switched on), and when its current silence was found (null: not stale).
    Column("stale_minutes", Integer, nullable=True),
    Column("expected_since", BigInteger, nullable=True),
    Column("stale_since", BigInteger, nullable=True),
    *created_columns(),
    UniqueConstraint("org_id", "code"),
    CheckConstraint("metric IN ('temperature','humidity')", name="metric"),
)
Index("ix_sensors_location_id", sensors.c.location_id)

# The range stock must be kept in: of a location (it and every location below it) or of an item
# (wherever it is stored); one per scope and metric.
condition_ranges = Table(
    "condition_ranges",
    metadata,
    id_column(),
    org_column(),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=True),
    Column("metric", String(16), nullable=False),
    Column("min_value", Integer, nullable=True),
    Column("max_value", Integer, nullable=True),
    Column("grace_minutes", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    *created_columns(),
    CheckConstraint("(location_id IS NULL) <> (item_id IS NULL)", name="scope"),
    CheckConstraint("min_value IS NOT NULL OR max_value IS NOT NULL", name="bounds"),
    CheckConstraint("grace_minutes >= 0", name="grace"),
)
Index(
    "uq_condition_ranges_location",
    condition_ranges.c.org_id,
    condition_ranges.c.location_id,
    condition_ranges.c.metric,
    unique=True,
    postgresql_where=text("location_id IS NOT NULL"),
    sqlite_where=text("location_id IS NOT NULL"),
)
Index(
    "uq_condition_ranges_item",
    condition_ranges.c.org_id,
    condition_ranges.c.item_id,
    condition_ranges.c.metric,
    unique=True,
    postgresql_where=text("item_id IS NOT NULL"),
    sqlite_where=text("item_id IS NOT NULL"),
)

sensor_readings = Table(
    "sensor_readings",
    metadata,
    Column("sensor_id", Integer, primary_key=True),
    Column("at", BigInteger, primary_key=True),  # ms since 1970, UTC
    Column("org_id", Integer, nullable=False),
    Column("value", Integer, nullable=False),  # thousandths of the unit
    sqlite_with_rowid=False,
)

# Readings older than the raw retention, per sensor and hour (hours since 1970).
sensor_rollups = Table(
    "sensor_rollups",
    metadata,
    Column("sensor_id", Integer, primary_key=True),
    Column("hour", Integer, primary_key=True),
    Column("org_id", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("min_value", Integer, nullable=False),
    Column("max_value", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),  # the sum: the average is total / n
    sqlite_with_rowid=False,
)

# A sensor outside one of its ranges: since when, and whether that became an excursion. A row
# exists only while the readings are outside (a reading back inside removes it).
excursion_watches = Table(
    "excursion_watches",
    metadata,
    Column("sensor_id", Integer, ForeignKey("sensors.id"), primary_key=True),
    Column("range_id", Integer, ForeignKey("condition_ranges.id"), primary_key=True),
    org_column(),
    Column("out_since", BigInteger, nullable=False),
    Column("last_at", BigInteger, nullable=False),
    Column("worst", Integer, nullable=False),
    Column("excursion_id", Integer, nullable=True),
)

excursions = Table(
    "excursions",
    metadata,
    id_column(),
    org_column(),
    Column("sensor_id", Integer, ForeignKey("sensors.id"), nullable=False),
    Column("range_id", Integer, ForeignKey("condition_ranges.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=True),
    Column("metric", String(16), nullable=False),
    # The range as it was when the excursion started.
    Column("min_value", Integer, nullable=True),
    Column("max_value", Integer, nullable=True),
    Column("grace_minutes", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),  # the first reading outside
    Column("detected_at", UTCDateTime, nullable=False),  # the reading past the grace time
    Column("ended_at", UTCDateTime, nullable=True),  # the first reading back inside
    Column("worst", Integer, nullable=False),
    Column("end_reason", String(16), nullable=True),
    # Stock in the area that no hold can stop (items without lots), JSON.
    Column("unheld", Text, nullable=False),
    Index("ix_excursions_org_id_ended_at", "org_id", "ended_at"),
)

excursion_lots = Table(
    "excursion_lots",
    metadata,
    Column("excursion_id", Integer, ForeignKey("excursions.id"), primary_key=True),
    Column("lot_id", Integer, ForeignKey("lots.id"), primary_key=True),
    org_column(),
    Column("item_id", Integer, nullable=False),
    Column("qty", BigInteger, nullable=False),  # in the area at detection, micro-units
    # True: this excursion put the lot on hold; false: it was on hold already.
    Column("held", Boolean, nullable=False),
)

# An RFID reader or a barcode scanner that posts reads over MQTT, acting as one user (whose role
# and warehouses then apply to what it does).
iot_gateways = Table(
    "iot_gateways",
    metadata,
    id_column(),
    org_column(),
    Column("code", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("active", Boolean, nullable=False),
    *created_columns(),
    UniqueConstraint("org_id", "kind", "code"),
    CheckConstraint("kind IN ('rfid','scanner')", name="kind"),
)
