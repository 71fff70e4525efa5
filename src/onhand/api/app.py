"""The HTTP API application."""

from __future__ import annotations

from fastapi import FastAPI

from onhand import __version__
from onhand.api import errors, openapi
from onhand.api.caching import NoStore
from onhand.api.limits import BodyLimit
from onhand.api.routes import (
    admin,
    auth,
    channel_sales,
    counting,
    demand,
    erp,
    events,
    exceptions,
    iot,
    items,
    kpis,
    labels,
    locations,
    movements,
    moves,
    planning,
    planning_simulation,
    purchasing,
    put_away,
    reports,
    sales,
    scanning,
    stock,
    traceability,
    valuation,
    webhooks,
)
from onhand.services.webhook_dispatch import DeliveryOptions
from onhand.store.unit_of_work import Database

DESCRIPTION = """
onhand tracks stock on a double-entry ledger: every change is a movement of a quantity from one
location to another, hash-chained and never edited. Authenticate with `Authorization: Bearer
<token>` (get one with `POST /api/v1/auth/token` or `onhand init`). Errors are
`application/problem+json` with a stable `code`.
"""


def create_api(
    db: Database,
    *,
    max_body_bytes: int = 8 * 1024 * 1024,
    planning_backend: str = "local",
    planning_jobs: int = 1,
    sensor_raw_days: int = 30,
) -> FastAPI:
    app = FastAPI(title="onhand", version=__version__, description=DESCRIPTION)
    app.state.db = db
    # How replenishment runs fit their forecasts (see docs/planning.md).
    app.state.planning = {"backend": planning_backend, "n_jobs": planning_jobs}
    # How webhooks are delivered (build_app sets them from the settings).
    app.state.webhooks = DeliveryOptions()
    # How far back a posted sensor reading may be (docs/iot.md); the MQTT subscriber, if any.
    app.state.sensor_raw_days = sensor_raw_days
    app.state.mqtt = None
    errors.install(app)
    app.include_router(admin.health_router)
    # Routes are matched in order, one by one: the posting and stock routes, the busiest, first.
    for module in (
        movements,
        stock,
        auth,
        items,
        locations,
        purchasing,
        put_away,
        sales,
        moves,
        channel_sales,
        scanning,
        labels,
        counting,
        demand,
        planning,
        planning_simulation,
        valuation,
        reports,
        erp,
        kpis,
        exceptions,
        traceability,
        events,
        webhooks,
        iot,
        admin,
    ):
        app.include_router(module.router, prefix="/api/v1")
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(NoStore)
    openapi.install(app)
    return app
