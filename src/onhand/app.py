"""Builds the ASGI application (the API, the web pages and their background work) from settings."""

from __future__ import annotations

from fastapi import FastAPI

from onhand import web
from onhand.api.app import create_api
from onhand.config import Settings, load_settings
from onhand.runtime import delivery_options, mqtt_subscriber, open_database, relay_config
from onhand.services import events
from onhand.services.event_pump import PRUNE_EVERY, EventPump
from onhand.services.nats_relay import NatsRelay
from onhand.services.sensor_readings import RetentionTask
from onhand.services.stale_sensors import CHECK_EVERY, check_task
from onhand.services.webhook_dispatch import Dispatcher


def build_app(settings: Settings | None = None) -> FastAPI:
    """The API with the web pages beside it."""
    settings = settings or load_settings()
    app = create_api(
        open_database(settings),
        max_body_bytes=settings.max_body_bytes,
        planning_backend=settings.planning_backend,
        planning_jobs=settings.planning_jobs,
        sensor_raw_days=settings.sensor_raw_days,
    )
    options = delivery_options(settings)
    # The API and the pages check new webhook URLs against the same rule the sender keeps.
    app.state.webhooks = options
    web.install(app)
    if settings.event_pump:
        pump = EventPump(app.state.db)
        pump.add(
            RetentionTask(
                raw_days=settings.sensor_raw_days, rollup_days=settings.sensor_rollup_days
            )
        )
        stale = settings.sensor_stale_minutes
        pump.every(CHECK_EVERY, lambda db: check_task(db, default_minutes=stale))
        if settings.event_keep_days:
            keep = settings.event_keep_days
            pump.every(PRUNE_EVERY, lambda db: events.prune(db, keep_days=keep))
        app.state.events = pump
        if settings.webhook_delivery:
            dispatcher = Dispatcher(app.state.db, options)
            pump.add(dispatcher.pump_task)
            app.router.on_startup.append(dispatcher.start)
            app.router.on_shutdown.append(dispatcher.stop)
        app.router.on_startup.append(pump.start)
        app.router.on_shutdown.append(pump.stop)
        # The broker relay follows the outbox too, in its own thread: a broker that is away
        # delays it alone.
        broker = relay_config(settings)
        if broker is not None:
            relay = NatsRelay(app.state.db, broker)
            app.state.nats_relay = relay
            app.router.on_startup.append(relay.start)
            app.router.on_shutdown.append(relay.stop)
    app.state.mqtt = None
    if settings.mqtt_url:
        app.state.mqtt = mqtt_subscriber(app.state.db, settings)
        app.router.on_startup.append(app.state.mqtt.start)
        app.router.on_shutdown.append(app.state.mqtt.stop)
    return app


def asgi() -> FastAPI:
    """Factory for `uvicorn --factory onhand.app:asgi` (settings from the environment)."""
    return build_app()
