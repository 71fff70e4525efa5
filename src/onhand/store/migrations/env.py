"""Alembic environment: runs on the connection handed over by onhand.store.migrate."""

from __future__ import annotations

from alembic import context

from onhand.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - onhand always hands a connection over
    raise RuntimeError("run migrations through onhand.store.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
