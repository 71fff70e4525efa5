"""PostgreSQL advisory locks, keyed by a name and by the schema the connection works in.

Advisory locks belong to a whole database, not to a schema: two deployments of onhand in two
schemas of one database (or two test runs) would otherwise take each other's locks, and a
process that only tries a lock would skip its work because of the other deployment."""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text

# The second key: 32 bits of the md5 of the schema, computed by the server itself.
_KEYS = ":name, ('x' || left(md5(current_schema()), 8))::bit(32)::int"


def _params(name: str) -> dict[str, int]:
    return {"name": zlib.crc32(name.encode()) - 2**31}  # into int4


def lock_for_transaction(conn: Connection, name: str) -> None:
    """Wait for the lock ``name``, held until this transaction ends."""
    conn.execute(text(f"SELECT pg_advisory_xact_lock({_KEYS})"), _params(name))


def try_lock_for_transaction(conn: Connection, name: str) -> bool:
    """Whether the lock ``name`` was free; if so it is held until this transaction ends."""
    return bool(conn.scalar(text(f"SELECT pg_try_advisory_xact_lock({_KEYS})"), _params(name)))


def try_lock_for_session(conn: Connection, name: str) -> bool:
    """Whether the lock ``name`` was free; if so it is held until ``unlock_session`` (or until
    the connection closes, so a process that dies drops it)."""
    return bool(conn.scalar(text(f"SELECT pg_try_advisory_lock({_KEYS})"), _params(name)))


def unlock_session(conn: Connection, name: str) -> None:
    """Give back the session lock ``name``."""
    conn.execute(text(f"SELECT pg_advisory_unlock({_KEYS})"), _params(name))
