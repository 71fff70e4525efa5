"""Settings, read from the environment (ONHAND_*) once per process."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=1)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONHAND_", extra="ignore")

    # sqlite:///path/to/file.db (the default, no server) or postgresql+psycopg://user@host/db
    database_url: str = "sqlite:///onhand.db"
    # FULL survives power loss; NORMAL (WAL) survives a killed process but not a power cut.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # Requests larger than this are refused before they are parsed.
    max_body_bytes: int = 8 * 1024 * 1024
    db_pool_size: int = 16
    # Dask scheduler for forecasting with backend="dask" (tcp://host:8786); onhand.planning reads
    # the same variable, ONHAND_PLANNING_DASK_ADDRESS, itself (it imports no settings library).
    planning_dask_address: str | None = None
    # Where replenishment runs fit their forecasts: in this process on planning_jobs cores
    # (-1: all), or on the Dask cluster above.
    planning_backend: Literal["local", "dask"] = "local"
    planning_jobs: int = 1
    # Follow the outbox in this process (positions, derived events, webhook deliveries). Off
    # for a process that only serves requests beside another that follows.
    event_pump: bool = True
    # Days the outbox keeps events that every follower has read and no webhook delivery
    # needs; the event pump removes older ones hourly. 0 keeps them for ever.
    event_keep_days: Annotated[int, Field(ge=0)] = 90
    # Publish the outbox to NATS JetStream (nats://host:4222) from processes that run the event
    # pump, and from `onhand events relay`; unset: no relay (docs/events.md).
    nats_url: str | None = None
    # The JetStream stream the relay publishes to (created if missing, with subjects
    # "<nats_subject>.>") and the subjects' prefix: "<nats_subject>.<org slug>.<event type>".
    nats_stream: str = "ONHAND_EVENTS"
    nats_subject: str = "onhand.events"
    # The stream's duplicate window in seconds, set when the relay creates the stream: a
    # republish of an event (same Nats-Msg-Id) within it is dropped by the broker.
    nats_duplicate_window: float = 120.0
    # Webhooks (docs/webhooks.md). Deliveries are sent by the event pump of serving processes;
    # false where `onhand webhooks deliver` runs as a worker of its own.
    webhook_delivery: bool = True
    # A failed delivery waits this long, doubling up to the cap, and is given up on ("dead")
    # after this many attempts: 15 over about a day.
    webhook_retry_base_seconds: Positive = 30.0
    webhook_retry_cap_seconds: Positive = 4 * 3600.0
    webhook_max_attempts: Count = 15
    # To connect, and between bytes of the answer; a whole attempt gets twice this.
    webhook_timeout_seconds: Positive = 5.0
    # Deliveries in flight per process, in all and per subscription.
    webhook_concurrency: Count = 64
    webhook_per_subscription: Count = 4
    # Deliver to loopback and private-network addresses (an intranet receiver); off, so that
    # an organisation's admin cannot make the server call into its own network.
    webhook_allow_private: bool = False
    # Days the log keeps delivered and dead deliveries.
    webhook_log_days: Count = 30
    # IoT (docs/iot.md): the MQTT broker to take sensor readings and gateway reads from
    # (mqtt://user:password@host:1883, mqtts:// for TLS; unset: no subscriber in this process),
    # the topics' first level, the shared subscription's group, and a client id for a persistent
    # session (unset: a clean session per connection).
    mqtt_url: str | None = None
    mqtt_topic_prefix: str = "onhand"
    mqtt_group: str = "onhand"
    mqtt_client_id: str | None = None
    # Raw sensor readings are kept this many days, then folded into hourly roll-ups, which are
    # kept sensor_rollup_days (0: for ever).
    sensor_raw_days: int = Field(default=30, ge=1, le=3650)
    sensor_rollup_days: int = Field(default=730, ge=0, le=36500)
    # A sensor without a reading for this many minutes is stale (sensor.stale, the exceptions
    # list), unless it has a period of its own; 0: only sensors with their own period.
    sensor_stale_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _rollups_outlive_raw_readings(self) -> Settings:
        rollup, raw = self.sensor_rollup_days, self.sensor_raw_days
        if rollup and rollup < raw:
            raise ValueError(
                f"ONHAND_SENSOR_ROLLUP_DAYS ({rollup}) must be 0 (keep them for ever) or at "
                f"least ONHAND_SENSOR_RAW_DAYS ({raw}): hourly roll-ups are made of readings "
                "older than the raw days, so they would be deleted as soon as they are made"
            )
        return self


class SettingsError(ValueError):
    """Settings from the environment that are wrong: one sentence per wrong variable."""


def load_settings() -> Settings:
    """The settings from the environment; SettingsError names each wrong ONHAND_ variable
    (never its value, which may be a password)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            where = "ONHAND_" + "_".join(str(part) for part in e["loc"]).upper()
            said = str(e["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {said}" if e["loc"] else said)
        raise SettingsError("; ".join(problems)) from None
