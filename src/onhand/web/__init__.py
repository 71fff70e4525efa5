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
    purchasing,
    replenishment,
    returns,
    sales,
    scan,
    transfers,
)

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their error pages to the API application."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages = (auth, dashboard, items, locations, labels, purchasing, sales, transfers, returns)
    for module in (*pages, counting, replenishment, scan, live):
        app.include_router(module.router)
    errors.install(app)
