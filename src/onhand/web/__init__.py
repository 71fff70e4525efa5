"""The web pages: server-rendered HTML on the same port, users and roles as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from onhand.web import (
    auth,
    counting,
    dashboard,
    errors,
    items,
    labels,
    live,
    locations,
    pick_lists,
    purchasing,
    replenishment,
    returns,
    sales,
    scan,
    traceability,
    transfers,
    webhooks,
)

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their error pages to the API application."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages = (auth, dashboard, items, locations, labels)
    orders = (purchasing, sales, pick_lists, transfers, returns)
    for module in (*pages, *orders, traceability, counting, replenishment, scan, live, webhooks):
        app.include_router(module.router)
    errors.install(app)
