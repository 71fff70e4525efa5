"""Every lock and guarded update the ledger takes, in one place, in a fixed order.

Order within a posting: posting row (idempotency key), lots/serials, balances (sorted keys),
serial holders, chain heads (sorted item ids). SQLite writers already hold the database write lock
from BEGIN IMMEDIATE; on PostgreSQL guarded UPDATEs and SELECT ... FOR UPDATE lock rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from onhand.domain.movements import BalanceKey
from onhand.store.tables import balances, chain_heads, serials

CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def dialect_insert(conn: Connection, table: Any) -> Any:
    """INSERT with on_conflict_do_* for the connected database."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


_guarded_decrement = (
    update(balances)
    .where(
        and_(
            balances.c.org_id == bindparam("o"),
            balances.c.item_id == bindparam("i"),
            balances.c.location_id == bindparam("l"),
            balances.c.lot_id == bindparam("lt"),
            balances.c.serial_id == bindparam("s"),
            balances.c.qty + bindparam("d") >= 0,
        )
    )
    .values(qty=balances.c.qty + bindparam("d"))
)


def _lock_balance_rows(conn: Connection, org_id: int, keys: list[BalanceKey]) -> None:
    """Lock existing balance rows in key order, so crossing postings cannot deadlock."""
    pk = tuple_(balances.c.item_id, balances.c.location_id, balances.c.lot_id, balances.c.serial_id)
    for part in chunks(keys):
        conn.execute(
            select(balances.c.qty)
            .where(balances.c.org_id == org_id, pk.in_(list(part)))
            .order_by(
                balances.c.item_id, balances.c.location_id, balances.c.lot_id, balances.c.serial_id
            )
            .with_for_update()
        ).all()


def apply_balance_deltas(
    conn: Connection, org_id: int, deltas: dict[BalanceKey, int], guarded: set[BalanceKey]
) -> bool:
    """Apply net deltas; a guarded decrement only applies if the balance stays >= 0.

    Returns False when some guarded decrement could not apply (the caller rolls back).
    """
    keys = sorted(deltas)
    if conn.dialect.name == "postgresql":
        _lock_balance_rows(conn, org_id, keys)
    guarded_rows = [
        {"o": org_id, "i": k[0], "l": k[1], "lt": k[2], "s": k[3], "d": deltas[k]}
        for k in keys
        if k in guarded and deltas[k] < 0
    ]
    upsert_rows = [
        {
            "org_id": org_id,
            "item_id": k[0],
            "location_id": k[1],
            "lot_id": k[2],
            "serial_id": k[3],
            "qty": deltas[k],
        }
        for k in keys
        if not (k in guarded and deltas[k] < 0)
    ]
    if guarded_rows:
        result = conn.execute(_guarded_decrement, guarded_rows)
        if result.rowcount != len(guarded_rows):
            return False
    if upsert_rows:
        stmt = dialect_insert(conn, balances)
        stmt = stmt.on_conflict_do_update(
            index_elements=["org_id", "item_id", "location_id", "lot_id", "serial_id"],
            set_={"qty": balances.c.qty + stmt.excluded.qty},
        )
        conn.execute(stmt, upsert_rows)
    return True


def move_serials(
    conn: Connection, org_id: int, moves: list[tuple[int, int, int, bool]]
) -> list[int]:
    """Move serial units (serial_id, from, to, from_is_source); return serial ids that weren't there.

    A serial is in exactly one place: it moves only from where it is, and a serial that is nowhere
    yet may only come from a virtual source location (a receipt or a found unit).
    """
    failed = []
    for serial_id, source, destination, source_is_virtual in moves:
        cond = serials.c.location_id == source
        if source_is_virtual:
            cond = cond | serials.c.location_id.is_(None)
        result = conn.execute(
            update(serials)
            .where(serials.c.id == serial_id, serials.c.org_id == org_id, cond)
            .values(location_id=destination)
        )
        if result.rowcount != 1:
            failed.append(serial_id)
    return failed


def lock_chain_heads(
    conn: Connection, org_id: int, item_ids: list[int], genesis: str
) -> dict[int, tuple[int, int | None, str]]:
    """Lock (creating if needed) the chain head of each item: item_id -> (seq, movement_id, hash)."""
    ids = sorted(set(item_ids))
    ins = dialect_insert(conn, chain_heads).on_conflict_do_nothing(
        index_elements=["org_id", "item_id"]
    )
    heads: dict[int, tuple[int, int | None, str]] = {}
    for part in chunks(ids):
        q = (
            select(
                chain_heads.c.item_id,
                chain_heads.c.seq,
                chain_heads.c.movement_id,
                chain_heads.c.hash,
            )
            .where(chain_heads.c.org_id == org_id, chain_heads.c.item_id.in_(part))
            .order_by(chain_heads.c.item_id)
        )
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        found = {r.item_id: (r.seq, r.movement_id, r.hash) for r in conn.execute(q)}
        missing = [i for i in part if i not in found]
        if missing:
            conn.execute(
                ins, [{"org_id": org_id, "item_id": i, "seq": 0, "hash": genesis} for i in missing]
            )
            # Re-read to lock rows that a concurrent writer may have created first.
            found = {r.item_id: (r.seq, r.movement_id, r.hash) for r in conn.execute(q)}
        heads.update(found)
    return heads


_update_head = (
    update(chain_heads)
    .where(chain_heads.c.org_id == bindparam("o"), chain_heads.c.item_id == bindparam("i"))
    .values(seq=bindparam("seq"), movement_id=bindparam("m"), hash=bindparam("h"))
)


def save_chain_heads(
    conn: Connection, org_id: int, heads: dict[int, tuple[int, int | None, str]]
) -> None:
    conn.execute(
        _update_head,
        [{"o": org_id, "i": i, "seq": s, "m": m, "h": h} for i, (s, m, h) in sorted(heads.items())],
    )


def allocate_ids(conn: Connection, n: int) -> list[int]:
    """Movement ids for a posting. The id is hashed, so it is known before the insert."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text("SELECT nextval('movement_id_seq') FROM generate_series(1, :n)"), {"n": n}
        )
        return sorted(r[0] for r in rows)
    # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so max(id) is stable.
    start = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM movements")).scalar_one()
    return list(range(start + 1, start + n + 1))
