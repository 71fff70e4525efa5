"""Settings, read from the environment (ONHAND_*) once per process."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


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


def load_settings() -> Settings:
    return Settings()
