"""Every lock and guarded update the ledger takes, in one place, in a fixed order.

Order within a posting: posting row (idempotency key), lots/serials, balances (sorted keys),
serial holders, chain heads (sorted item ids). A document that reserves or ships takes its
commitment rows (sorted (item, warehouse)) before it posts anything. SQLite writers already hold the database write lock
from BEGIN IMMEDIATE; on PostgreSQL guarded UPDATEs and SELECT ... FOR UPDATE lock rows.

On PostgreSQL a row that does not exist yet cannot be locked, and an insert of a key that another
transaction is inserting waits for it like a lock. So each table is taken in two steps: first
create the missing rows (sorted), then lock all rows (sorted). A transaction in the second step
only ever waits for rows that were committed before it looked, held by others in their second
step, so waits always point up the sort order and never close a cycle. Locking the existing rows
first and creating the missing ones afterwards deadlocks: a writer that saw a row missing, and
one that saw it committed, take the same two rows in opposite orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    and_,
    bindparam,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from onhand.domain.movements import BalanceKey
from onhand.domain.quantities import BALANCE_LIMIT
from onhand.store import advisory
from onhand.store.fastsql import Prepared
from onhand.store.tables import balances, chain_heads, commitments, items, locations, serials

CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def dialect_insert(conn: Connection, table: Any) -> Any:
    """INSERT with on_conflict_do_* for the connected database."""
    return insert_for(conn.dialect.name, table)


def insert_for(dialect: str, table: Any) -> Any:
    """INSERT with on_conflict_do_* for a database by name (a Prepared statement's builder)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


_guarded_decrement = Prepared(
    lambda _: (
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
)


def _build_upsert(dialect: str) -> Any:
    stmt = insert_for(dialect, balances).values({c.name: bindparam(c.name) for c in balances.c})
    return stmt.on_conflict_do_update(
        index_elements=["org_id", "item_id", "location_id", "lot_id", "serial_id"],
        set_={"qty": balances.c.qty + stmt.excluded.qty},
        # Written so that nothing overflows: SQLite would silently turn an overflowing integer
        # into a float, PostgreSQL would fail. The domain keeps |delta| < limit. A row the WHERE
        # refuses is neither inserted nor updated, so it does not count as changed.
        where=and_(
            balances.c.qty < literal(BALANCE_LIMIT, BigInteger) - stmt.excluded.qty,
            balances.c.qty > literal(-BALANCE_LIMIT, BigInteger) - stmt.excluded.qty,
        ),
    )


_upsert_balance = Prepared(_build_upsert)


_balance_pk = tuple_(
    balances.c.item_id, balances.c.location_id, balances.c.lot_id, balances.c.serial_id
)
_balance_order = (
    balances.c.item_id,
    balances.c.location_id,
    balances.c.lot_id,
    balances.c.serial_id,
)


def _lock_balance_rows(conn: Connection, org_id: int, keys: list[BalanceKey]) -> None:
    """Create missing balance rows, then lock all of them, both in key order (see the top)."""
    existing: set[BalanceKey] = set()
    for part in chunks(keys):
        found = conn.execute(
            select(*_balance_order).where(balances.c.org_id == org_id, _balance_pk.in_(list(part)))
        )
        existing.update((r[0], r[1], r[2], r[3]) for r in found)
    missing = [k for k in keys if k not in existing]
    if missing:
        ins = dialect_insert(conn, balances).on_conflict_do_nothing(
            index_elements=["org_id", "item_id", "location_id", "lot_id", "serial_id"]
        )
        for part in chunks(missing):
            conn.execute(
                ins,
                [
                    {
                        "org_id": org_id,
                        "item_id": k[0],
                        "location_id": k[1],
                        "lot_id": k[2],
                        "serial_id": k[3],
                        "qty": 0,
                    }
                    for k in part
                ],
            )
    for part in chunks(keys):
        conn.execute(
            select(balances.c.qty)
            .where(balances.c.org_id == org_id, _balance_pk.in_(list(part)))
            .order_by(*_balance_order)
            .with_for_update()
        ).all()


def apply_balance_deltas(
    conn: Connection, org_id: int, deltas: dict[BalanceKey, int], guarded: set[BalanceKey]
) -> bool:
    """Apply net deltas; a guarded decrement only applies if the balance stays >= 0.

    Returns False when some guarded decrement could not apply, or some balance would leave the
    range a balance can hold (the caller rolls back).
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
        # With several rows some may apply before one fails; the savepoint undoes them so that
        # the caller reads the balances as they were when it explains which one was short.
        nested = conn.begin_nested() if len(guarded_rows) > 1 else None
        if _guarded_decrement.executemany(conn, guarded_rows) != len(guarded_rows):
            if nested is not None:
                nested.rollback()
            return False
        if nested is not None:
            nested.commit()
    return _upsert_balance.executemany(conn, upsert_rows) == len(upsert_rows)


def move_serials(
    conn: Connection, org_id: int, moves: list[tuple[int, int, int, bool]]
) -> list[int]:
    """Move serial units (serial_id, from, to, from_is_source); return serial ids that weren't there.

    A serial is in exactly one place: it moves only from where it is, and a serial that is nowhere
    yet may only come from a virtual source location (a receipt or a found unit).
    """
    failed = []
    # Rows are taken in serial id order; the sort is stable, so one serial's moves within a
    # posting still apply in the order given (received, then put away).
    for serial_id, source, destination, source_is_virtual in sorted(moves, key=lambda m: m[0]):
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
    """Lock (creating if needed) the chain head of each item: item_id -> (seq, movement_id, hash).

    Missing heads are created before any head is locked, as for balances (see the top).
    """
    ids = sorted(set(item_ids))
    if conn.dialect.name == "sqlite":
        return _sqlite_chain_heads(conn, org_id, ids, genesis)
    ins = dialect_insert(conn, chain_heads).on_conflict_do_nothing(
        index_elements=["org_id", "item_id"]
    )
    existing: set[int] = set()
    for part in chunks(ids):
        existing.update(
            conn.execute(
                select(chain_heads.c.item_id).where(
                    chain_heads.c.org_id == org_id, chain_heads.c.item_id.in_(part)
                )
            ).scalars()
        )
    missing = [i for i in ids if i not in existing]
    for part in chunks(missing):
        conn.execute(
            ins, [{"org_id": org_id, "item_id": i, "seq": 0, "hash": genesis} for i in part]
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
        heads.update({r.item_id: (r.seq, r.movement_id, r.hash) for r in conn.execute(q)})
    return heads


_head_cols = (
    chain_heads.c.item_id,
    chain_heads.c.seq,
    chain_heads.c.movement_id,
    chain_heads.c.hash,
)
_one_head = Prepared(
    lambda _: select(*_head_cols).where(
        chain_heads.c.org_id == bindparam("o"), chain_heads.c.item_id == bindparam("i")
    )
)
_some_heads = select(*_head_cols).where(
    chain_heads.c.org_id == bindparam("o"),
    chain_heads.c.item_id.in_(bindparam("ids", expanding=True)),
)
_new_head = Prepared(
    lambda d: (
        insert_for(d, chain_heads)
        .values({c.name: bindparam(c.name) for c in chain_heads.c})
        .on_conflict_do_nothing(index_elements=["org_id", "item_id"])
    )
)


def _sqlite_chain_heads(
    conn: Connection, org_id: int, ids: list[int], genesis: str
) -> dict[int, tuple[int, int | None, str]]:
    # This transaction holds SQLite's write lock (BEGIN IMMEDIATE): nobody else can create or
    # move a head meanwhile, so a head found missing is created as the genesis head.
    heads: dict[int, tuple[int, int | None, str]] = {}
    if len(ids) == 1:
        row = _one_head.first(conn, {"o": org_id, "i": ids[0]})
        if row is not None:
            heads[row[0]] = (row[1], row[2], row[3])
    else:
        for part in chunks(ids):
            rows = conn.execute(_some_heads, {"o": org_id, "ids": list(part)})
            heads.update((r[0], (r[1], r[2], r[3])) for r in rows)
    missing = [i for i in ids if i not in heads]
    _new_head.executemany(
        conn,
        [
            {"org_id": org_id, "item_id": i, "seq": 0, "movement_id": None, "hash": genesis}
            for i in missing
        ],
    )
    heads.update((i, (0, None, genesis)) for i in missing)
    return heads


_update_head = Prepared(
    lambda _: (
        update(chain_heads)
        .where(chain_heads.c.org_id == bindparam("o"), chain_heads.c.item_id == bindparam("i"))
        .values(seq=bindparam("seq"), movement_id=bindparam("m"), hash=bindparam("h"))
    )
)


def save_chain_heads(
    conn: Connection, org_id: int, heads: dict[int, tuple[int, int | None, str]]
) -> None:
    _update_head.executemany(
        conn,
        [{"o": org_id, "i": i, "seq": s, "m": m, "h": h} for i, (s, m, h) in sorted(heads.items())],
    )


_next_ids = Prepared(
    lambda _: text("SELECT nextval('movement_id_seq') FROM generate_series(1, :n)")
)
_max_id = Prepared(lambda _: text("SELECT COALESCE(MAX(id), 0) FROM movements"))


def allocate_ids(conn: Connection, n: int) -> list[int]:
    """Movement ids for a posting. The id is hashed, so it is known before the insert."""
    if conn.dialect.name == "postgresql":
        return sorted(r[0] for r in _next_ids.all(conn, {"n": n}))
    # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so max(id) is stable.
    start = _max_id.first(conn, {})[0]
    return list(range(start + 1, start + n + 1))


def hold_master_rows(
    conn: Connection, item_ids: Iterable[int], location_ids: Iterable[int]
) -> tuple[set[int], set[int]]:
    """Share-lock the items and locations a posting uses; return those inactive under the lock.

    On PostgreSQL a deactivation locks its row FOR UPDATE (see lock_for_change) before it checks
    for stock, so either it waits for the posting and sees its stock, or the posting waits for it
    and sees the row inactive. SQLite writers are already serialised: nothing to do.
    """
    if conn.dialect.name != "postgresql":
        return set(), set()
    inactive: list[set[int]] = [set(), set()]
    for n, (table, ids) in enumerate(((items, item_ids), (locations, location_ids))):
        for part in chunks(sorted(set(ids))):
            q = (
                select(table.c.id, table.c.active)
                .where(table.c.id.in_(part))
                .order_by(table.c.id)
                .with_for_update(read=True, key_share=True)  # FOR KEY SHARE
            )
            inactive[n].update(r.id for r in conn.execute(q) if not r.active)
    return inactive[0], inactive[1]


def lock_for_change(conn: Connection, table: Any, org_id: int, row_id: int) -> None:
    """Lock an item or location row before changing it (PostgreSQL; see hold_master_rows)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            select(table.c.id)
            .where(table.c.org_id == org_id, table.c.id == row_id)
            .with_for_update()
        ).all()


_add_commitment = Prepared(
    lambda dialect: (
        insert_for(dialect, commitments)
        .values(org_id=bindparam("org"), item_id=bindparam("item"), warehouse_id=bindparam("wh"))
        .values(reserved=0)
        .on_conflict_do_nothing(index_elements=["org_id", "item_id", "warehouse_id"])
    )
)
_lock_commitment = Prepared(
    lambda _: (
        select(commitments.c.reserved)
        .where(
            commitments.c.org_id == bindparam("org"),
            commitments.c.item_id == bindparam("item"),
            commitments.c.warehouse_id == bindparam("wh"),
        )
        .with_for_update()
    )
)


def lock_commitments(
    conn: Connection, org_id: int, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """Create-then-lock the commitment rows of (item, warehouse) keys, sorted (see the top);
    returns what each has reserved. Reservations and shipments of those items wait here."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    if len(wanted) == 1:  # the common case, one item: two prepared statements
        item_id, warehouse_id = wanted[0]
        values = {"org": org_id, "item": item_id, "wh": warehouse_id}
        _add_commitment.execute(conn, values)
        row = _lock_commitment.first(conn, values)
        return {(item_id, warehouse_id): int(row[0])}
    ins = dialect_insert(conn, commitments).on_conflict_do_nothing(
        index_elements=["org_id", "item_id", "warehouse_id"]
    )
    pk = tuple_(commitments.c.item_id, commitments.c.warehouse_id)
    out: dict[tuple[int, int], int] = {}
    for part in chunks(wanted):
        conn.execute(
            ins,
            [{"org_id": org_id, "item_id": i, "warehouse_id": w, "reserved": 0} for i, w in part],
        )
    for part in chunks(wanted):
        rows = conn.execute(
            select(commitments.c.item_id, commitments.c.warehouse_id, commitments.c.reserved)
            .where(commitments.c.org_id == org_id, pk.in_(list(part)))
            .order_by(commitments.c.item_id, commitments.c.warehouse_id)
            .with_for_update()
        )
        out.update({(r[0], r[1]): r[2] for r in rows})
    return out


_add_reserved = Prepared(
    lambda _: (
        update(commitments)
        .where(
            commitments.c.org_id == bindparam("org"),
            commitments.c.item_id == bindparam("item"),
            commitments.c.warehouse_id == bindparam("wh"),
        )
        .values(reserved=commitments.c.reserved + bindparam("delta"))
    )
)


def add_reserved(
    conn: Connection, org_id: int, item_id: int, warehouse_id: int, delta: int
) -> None:
    """Change what is reserved of an item in a warehouse (its row is locked by the caller)."""
    _add_reserved.execute(
        conn, {"org": org_id, "item": item_id, "wh": warehouse_id, "delta": delta}
    )


# One checkpoint at a time on PostgreSQL: each links to the one before it, so two recorded at
# once must not both link to the same one (SQLite's writers are one at a time already).
def lock_checkpoints(conn: Connection) -> None:
    """Hold the right to append a checkpoint until this transaction ends."""
    if conn.dialect.name == "postgresql":
        advisory.lock_for_transaction(conn, "ledger.checkpoints")
