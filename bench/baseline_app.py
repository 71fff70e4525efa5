"""The baseline for API throughput: a bare FastAPI endpoint that inserts one row per request.

Same stack and settings as `onhand serve`: uvicorn, one worker, the default (auto) loop and HTTP
implementation, no access log; SQLite in WAL mode with the same synchronous setting
(ONHAND_SQLITE_SYNCHRONOUS, FULL by default) and busy timeout. No authentication, no ledger.

    python bench/baseline_app.py --db PATH --port PORT
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import threading
from datetime import UTC, datetime
from decimal import Decimal

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field

SYNCHRONOUS = os.environ.get("ONHAND_SQLITE_SYNCHRONOUS", "FULL")
SCHEMA = """CREATE TABLE IF NOT EXISTS movements (
    id INTEGER PRIMARY KEY, sku TEXT NOT NULL, from_location TEXT NOT NULL,
    to_location TEXT NOT NULL, qty TEXT NOT NULL, lot TEXT, ref_type TEXT, ref_id TEXT,
    reason TEXT, created_at TEXT NOT NULL)"""


class MovementIn(BaseModel):
    sku: str
    from_: str = Field(alias="from")
    to: str
    quantity: Decimal
    lot: str | None = None
    ref_type: str | None = None
    ref_id: str | None = None
    reason: str | None = None


def create_app(path: str) -> FastAPI:
    app = FastAPI()
    local = threading.local()

    def connection() -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
            conn.execute("PRAGMA busy_timeout=60000")
            local.conn = conn
        return conn

    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute(SCHEMA)
    setup.commit()
    setup.close()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/movements", status_code=201)
    def post_movement(body: MovementIn) -> dict[str, int]:
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "INSERT INTO movements (sku, from_location, to_location, qty, lot, ref_type,"
                " ref_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    body.sku,
                    body.from_,
                    body.to,
                    str(body.quantity),
                    body.lot,
                    body.ref_type,
                    body.ref_id,
                    body.reason,
                    datetime.now(UTC).isoformat(),
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return {"id": int(cur.lastrowid or 0)}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same uvicorn settings as `onhand serve` (see onhand.cli_common.serve_api).
    uvicorn.run(
        create_app(args.db),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
