"""Builds the engine, the unit-of-work factory and the ASGI application from settings."""

from __future__ import annotations

from fastapi import FastAPI

from onhand import web
from onhand.api.app import create_api
from onhand.config import Settings, load_settings
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database


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


def build_app(settings: Settings | None = None) -> FastAPI:
    """The API with the web pages beside it."""
    settings = settings or load_settings()
    app = create_api(
        open_database(settings),
        max_body_bytes=settings.max_body_bytes,
        planning_backend=settings.planning_backend,
        planning_jobs=settings.planning_jobs,
    )
    web.install(app)
    return app


def asgi() -> FastAPI:
    """Factory for `uvicorn --factory onhand.app:asgi` (settings from the environment)."""
    return build_app()
