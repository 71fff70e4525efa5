"""The next number of a kind of document in an organisation."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from onhand.store.locking import dialect_insert
from onhand.store.tables import document_counters


def next_number(conn: Connection, org_id: int, kind: str) -> int:
    """Count one more document of ``kind``: 1, 2, 3... (the row is locked until commit)."""
    conn.execute(
        dialect_insert(conn, document_counters)
        .values(org_id=org_id, kind=kind, last=0)
        .on_conflict_do_nothing(index_elements=["org_id", "kind"])
    )
    conn.execute(
        update(document_counters)
        .where(document_counters.c.org_id == org_id, document_counters.c.kind == kind)
        .values(last=document_counters.c.last + 1)
    )
    return int(
        conn.execute(
            select(document_counters.c.last).where(
                document_counters.c.org_id == org_id, document_counters.c.kind == kind
            )
        ).scalar_one()
    )
