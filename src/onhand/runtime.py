"""The database, the broker and the webhook sender as the settings configure them: what the
web application and the CLI share. No web framework here, so that a CLI command (and each
server worker process, which imports the CLI as its main module) starts without loading it.
The broker, MQTT and webhook clients load when they are first configured, for the same reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from onhand.config import Settings
from onhand.domain.webhooks import RetryPolicy
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database

if TYPE_CHECKING:
    from onhand.services.mqtt import Subscriber
    from onhand.services.nats_relay import RelayConfig
    from onhand.services.webhook_dispatch import DeliveryOptions


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Connect to the configured database, bringing its schema up to date."""
    engine = make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size,
    )
    if migrate:
        upgrade(engine)
    return Database(engine)


def relay_config(settings: Settings) -> RelayConfig | None:
    """How the outbox is published to NATS JetStream, or None without ONHAND_NATS_URL; a
    ValueError names a setting that is wrong."""
    if not settings.nats_url:
        return None
    from onhand.services.nats_relay import RelayConfig

    return RelayConfig(
        url=settings.nats_url,
        stream=settings.nats_stream,
        subject=settings.nats_subject,
        duplicate_window=settings.nats_duplicate_window,
    )


def delivery_options(settings: Settings) -> DeliveryOptions:
    """How webhook deliveries are sent, from the settings."""
    from onhand.services.webhook_dispatch import DeliveryOptions

    return DeliveryOptions(
        policy=RetryPolicy(
            base=settings.webhook_retry_base_seconds,
            cap=settings.webhook_retry_cap_seconds,
            max_attempts=settings.webhook_max_attempts,
        ),
        timeout=settings.webhook_timeout_seconds,
        concurrency=settings.webhook_concurrency,
        per_subscription=settings.webhook_per_subscription,
        allow_private=settings.webhook_allow_private,
        log_days=settings.webhook_log_days,
    )


def mqtt_subscriber(db: Database, settings: Settings) -> Subscriber:
    """The MQTT subscriber of the configured broker (settings.mqtt_url must be set)."""
    assert settings.mqtt_url
    from onhand.services.mqtt import Subscriber

    return Subscriber(
        db,
        settings.mqtt_url,
        raw_days=settings.sensor_raw_days,
        prefix=settings.mqtt_topic_prefix,
        group=settings.mqtt_group,
        client_id=settings.mqtt_client_id,
    )
