"""Posting movements to the ledger: validate, lock, update balances, chain, append. All or nothing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from onhand.domain.access import Actor, Permission
from onhand.domain.chain import GENESIS, MovementRecord, movement_hash
from onhand.domain.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    OnhandError,
    Unavailable,
)
from onhand.domain.locations import STOCK_KINDS, LocationKind, LocationRef
from onhand.domain.movements import (
    MovementDraft,
    check_batch_size,
    check_draft,
    check_net_deltas,
    check_text,
    leg_of,
    net_deltas,
)
from onhand.domain.quantities import BALANCE_LIMIT, FACTOR, from_micro, to_micro
from onhand.domain.traceability import recalled
from onhand.services import accounts, event_derivers, events, posting_refs, valuation
from onhand.services.common import not_found, utcnow
from onhand.store import catalog, ledger, locking, recalls, sites, stock
from onhand.store.ledger import PostingRef
from onhand.store.unit_of_work import Database, UnitOfWork

RETRIES = 4
MOVED_PER_EVENT = 100  # movements told by one stock.moved event
KEY_MAX = 300  # a client's key and a use case's prefix (the ledger stores a digest if long)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MovementInput:
    """One requested movement, as a client names things (SKU, location paths, lot code)."""

    sku: str
    from_location: str
    to_location: str
    quantity: Decimal
    lot: str | None = None
    serial: str | None = None
    expiry_date: date | None = None
    effective_at: datetime | None = None
    ref_type: str | None = None
    ref_id: str | None = None
    reason: str | None = None
    reverses_id: int | None = None
    # What stock arriving from outside (a supplier, say) cost a unit, in ``cost_currency`` (None:
    # the organisation's); without it, valuation takes the warehouse's current unit cost.
    unit_cost: Decimal | None = None
    cost_currency: str | None = None

    def canonical(self) -> list[object]:
        cost = (
            [] if self.unit_cost is None else [str(self.unit_cost.normalize()), self.cost_currency]
        )
        return [
            self.sku,
            self.from_location,
            self.to_location,
            str(self.quantity.normalize()),
            self.lot,
            self.serial,
            self.expiry_date.isoformat() if self.expiry_date else None,
            self.effective_at.isoformat() if self.effective_at else None,
            self.ref_type,
            self.ref_id,
            self.reason,
            self.reverses_id,
            *cost,
        ]


@dataclass(frozen=True, slots=True)
class PostingResult:
    posting_id: int
    idempotency_key: str
    movement_ids: list[int] = field(default_factory=list)
    replayed: bool = False


def payload_hash(lines: list[MovementInput]) -> str:
    body = json.dumps([line.canonical() for line in lines], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def post_movements(
    db: Database,
    actor: Actor,
    lines: list[MovementInput],
    *,
    idempotency_key: str | None = None,
) -> PostingResult:
    """Post one or many movements atomically.

    The same idempotency key with the same payload returns the first result without posting
    again; with another payload it is refused. Any refused line refuses the whole posting.
    """
    return _post_all(db, actor, [(idempotency_key, lines)])[0]


def post_movements_for_token(
    db: Database,
    token: str,
    lines: list[MovementInput],
    *,
    idempotency_key: str | None = None,
) -> PostingResult:
    """post_movements for the bearer of an API token, who is authenticated inside the posting's
    own transaction: one transaction per posting request rather than two (the API's hot path).
    A bad token is refused before anything else is looked at."""
    return _post_all(db, token, [(idempotency_key, lines)])[0]


def post_batches(
    db: Database, actor: Actor, batches: list[list[MovementInput]], *, idempotency_key: str
) -> list[PostingResult]:
    """Post several batches (each within the batch limit) in one transaction: all or none.

    For inputs larger than one posting may be, such as an opening-balance file. Batch n (from 1)
    is a posting of its own with the key ``{idempotency_key}:{n}``; a retry replays them all.
    """
    keyed: list[tuple[str | None, list[MovementInput]]] = [
        (f"{idempotency_key}:{n}", lines) for n, lines in enumerate(batches, start=1)
    ]
    return _post_all(db, actor, keyed or [(idempotency_key, [])])


def _may_post(actor: Actor, batches: list[tuple[str | None, list[MovementInput]]]) -> None:
    actor.require(Permission.POST_MOVEMENTS)
    if any(line.reverses_id is not None for _, lines in batches for line in lines):
        actor.require(Permission.REVERSE_MOVEMENTS)


Batches = list[tuple[str | None, list[MovementInput]]]
Work = Callable[[UnitOfWork], list[PostingResult]]


def _post_all(db: Database, who: Actor | str, batches: Batches) -> list[PostingResult]:
    """Post ``batches`` in one transaction as ``who``: an actor, or an API token to
    authenticate inside that transaction."""
    try:
        work = _work(who, batches)
    except OnhandError:
        if isinstance(who, str):
            accounts.authenticate(db, who)  # a bad token is a 401 whatever else is wrong
        raise
    return write_retrying(db, work)


def write_retrying(db: Database, work: Callable[[UnitOfWork], T]) -> T:
    """``db.write(work)``, run again when a concurrent writer won a race (the same idempotency
    key, a new lot, a deadlock): for every use case whose transaction posts movements."""
    for attempt in range(RETRIES):
        try:
            # On SQLite, concurrent postings share a commit (group commit): see Database.write.
            return db.write(work)
        except (IntegrityError, OperationalError) as exc:
            _retry_or_raise(db, attempt, exc)
    raise AssertionError("unreachable")


def earlier_posting(
    uow: UnitOfWork, org_id: int, key: str | None, lines: list[MovementInput]
) -> PostingRef | None:
    """The posting an idempotency key already made, if any; refused when its movements differ.

    For documents that must answer a retry before checking their own state (a receipt that
    completed its order, a pick already confirmed)."""
    if key is None:
        return None
    existing = ledger.find_posting(uow.conn, org_id, key)
    if existing is not None and existing.payload_hash != payload_hash(lines):
        raise IdempotencyConflict(key)
    return existing


def post_in(
    uow: UnitOfWork,
    actor: Actor,
    lines: list[MovementInput],
    *,
    idempotency_key: str | None = None,
) -> PostingResult:
    """post_movements inside a transaction the caller holds, so that a document's change and the
    movements it posts commit together. Run the caller's work through ``write_retrying``."""
    return _work(actor, [(idempotency_key, lines)])(uow)[0]


async def post_movements_for_token_async(
    db: Database,
    token: str,
    lines: list[MovementInput],
    *,
    idempotency_key: str | None = None,
) -> PostingResult:
    """post_movements_for_token for an event loop: the request waits for its (shared) commit
    without holding a worker thread."""
    batches: Batches = [(idempotency_key, lines)]
    try:
        work = _work(token, batches)
    except OnhandError:
        await asyncio.to_thread(accounts.authenticate, db, token)  # a bad token is a 401 first
        raise
    for attempt in range(RETRIES):
        try:
            return (await db.write_async(work))[0]
        except (IntegrityError, OperationalError) as exc:
            _retry_or_raise(db, attempt, exc)
    raise AssertionError("unreachable")


def _work(who: Actor | str, batches: Batches) -> Work:
    """Check what can be checked outside a transaction; return the posting's transaction work."""
    if isinstance(who, Actor):
        _may_post(who, batches)
    for _, lines in batches:
        check_batch_size(len(lines))
    # Use cases prefix a client's key (up to 128 characters) with their document's number.
    given = [check_text(key, field="idempotency_key", limit=KEY_MAX) for key, _ in batches]
    # A generated key is new by construction: no need to look it up.
    fresh = [key is None for key in given]
    keys = [key or f"auto:{uuid.uuid4()}" for key in given]
    digests = [payload_hash(lines) for _, lines in batches]

    def work(uow: UnitOfWork) -> list[PostingResult]:
        actor = who
        if not isinstance(actor, Actor):
            actor = accounts.authenticate_in(uow, actor)
            _may_post(actor, batches)
        return [
            _post(uow, actor, lines, key, digest, fresh=new)
            for key, (_, lines), digest, new in zip(keys, batches, digests, fresh, strict=True)
        ]

    return work


def _retry_or_raise(db: Database, attempt: int, exc: Exception) -> None:
    if isinstance(exc, IntegrityError):
        # A concurrent posting won the race for this key, a lot, or a reversal.
        if attempt == RETRIES - 1:
            raise Conflict(
                "a concurrent change conflicted with this posting; retry", code="write_conflict"
            ) from exc
        return
    # PostgreSQL: a deadlock or serialisation failure, worth a retry. SQLite: the write lock
    # was not free within the busy timeout; retrying would only wait longer.
    if attempt == RETRIES - 1 or db.dialect != "postgresql":
        raise Unavailable(
            "the database is too busy to take this posting now; retry shortly",
            code="database_busy",
        ) from exc


def _post(
    uow: UnitOfWork,
    actor: Actor,
    lines: list[MovementInput],
    key: str,
    digest: str,
    *,
    fresh: bool = False,
) -> PostingResult:
    conn, org = uow.conn, actor.org_id
    existing = None if fresh else ledger.find_posting(conn, org, key)
    if existing is not None:
        if existing.payload_hash != digest:
            raise IdempotencyConflict(key)
        return PostingResult(
            posting_id=existing.id,
            idempotency_key=key,
            movement_ids=ledger.posting_movement_ids(conn, org, existing.id),
            replayed=True,
        )
    now = utcnow()
    drafts = _resolve(uow, actor, lines, now)
    costs = valuation.price_arrivals(
        uow,
        org,
        [
            None if x.unit_cost is None else valuation.GivenCost(x.unit_cost, x.cost_currency)
            for x in lines
        ],
        [(to_micro(d.quantity), d.effective_at.date(), _arrives(d)) for d in drafts],
    )
    posting_id = ledger.insert_posting(
        conn,
        org_id=org,
        key=key,
        payload_hash=digest,
        actor_id=actor.user_id,
        count=len(drafts),
        now=now,
    )
    lot_ids = posting_refs.lot_ids(uow, actor, [x.expiry_date for x in lines], drafts, now)
    serial_ids = posting_refs.serial_ids(uow, actor, drafts, now)
    _refuse_recalled(uow, org, drafts, lot_ids, serial_ids)
    legs = [
        leg_of(
            d,
            lot_ids.get((d.item.id, d.lot or ""), 0),
            serial_ids.get((d.item.id, d.serial or ""), 0),
        )
        for d in drafts
    ]
    deltas = net_deltas(legs)
    check_net_deltas(deltas)
    locs = {d.source.id: d.source for d in drafts} | {
        d.destination.id: d.destination for d in drafts
    }
    guarded = {k for k in deltas if locs[k[1]].must_stay_non_negative}
    if not locking.apply_balance_deltas(conn, org, deltas, guarded):
        # On PostgreSQL a concurrent reversal of the same movement may have committed while we
        # waited for the balance locks: that, not the stock it took, is the reason to give.
        for d in drafts:
            if d.reverses_id is not None:
                _check_not_reversed(uow, org, d.reverses_id)
        _raise_insufficient(uow, org, deltas, guarded, drafts, locs, lot_ids, serial_ids)
    posting_refs.move_serials(uow, org, drafts, serial_ids)
    ids = locking.allocate_ids(conn, len(drafts))
    heads = locking.lock_chain_heads(conn, org, [d.item.id for d in drafts], GENESIS)
    rows = []
    for mid, draft, leg in zip(ids, drafts, legs, strict=True):
        seq, prev_id, prev_hash = heads[draft.item.id]
        record = MovementRecord(
            id=mid,
            org_id=org,
            item_id=draft.item.id,
            chain_seq=seq + 1,
            prev_id=prev_id,
            prev_hash=prev_hash,
            posting_id=posting_id,
            lot_id=leg.lot_id or None,
            serial_id=leg.serial_id or None,
            from_location_id=leg.source_id,
            to_location_id=leg.destination_id,
            qty=leg.qty,
            effective_at=draft.effective_at,
            recorded_at=now,
            ref_type=draft.ref_type,
            ref_id=draft.ref_id,
            reason=draft.reason,
            actor_id=actor.user_id,
            reverses_id=draft.reverses_id,
        )
        digest_row = movement_hash(record)
        heads[draft.item.id] = (seq + 1, mid, digest_row)
        rows.append((*record, digest_row))
    ledger.insert_movements(conn, rows)
    locking.save_chain_heads(conn, org, heads)
    valuation.save_costs(
        uow, [c and {**c, "movement_id": m} for c, m in zip(costs, ids, strict=True)]
    )
    valuation.value_items(uow, org, sorted(heads))
    event_derivers.watch_reorder_points(
        uow,
        org,
        {
            (d.item.id, wh)
            for d in drafts
            for wh in (d.source.warehouse_id, d.destination.warehouse_id)
            if wh is not None
        },
    )
    # A big posting is told in parts, so that no event outgrows a broker message or a webhook
    # body (an import of 10,000 lines would be megabytes in one).
    moved = _moved(ids, drafts)
    parts = max(1, -(-len(moved) // MOVED_PER_EVENT))
    for part in range(parts):
        chunk = moved[part * MOVED_PER_EVENT : (part + 1) * MOVED_PER_EVENT]
        data = {"posting_id": posting_id, "part": part + 1, "parts": parts, "movements": chunk}
        events.emit(uow, actor, "stock.moved", "posting", posting_id, data, posting_id=posting_id)
    return PostingResult(posting_id=posting_id, idempotency_key=key, movement_ids=ids)


def _moved(ids: list[int], drafts: list[MovementDraft]) -> list[dict[str, Any]]:
    """A posting's movements as its stock.moved event tells them."""
    return [
        {
            "movement_id": mid,
            "sku": d.item.sku,
            "from": d.source.path,
            "to": d.destination.path,
            "quantity": d.quantity,
            "lot": d.lot,
            "serial": d.serial,
            "effective_at": d.effective_at,
            "ref_type": d.ref_type,
            "ref_id": d.ref_id,
            "reason": d.reason,
            "reverses_id": d.reverses_id,
        }
        for mid, d in zip(ids, drafts, strict=True)
    ]


def _resolve(
    uow: UnitOfWork, actor: Actor, lines: list[MovementInput], now: datetime
) -> list[MovementDraft]:
    conn, org = uow.conn, actor.org_id
    item_map = catalog.item_refs_by_sku(conn, org, [line.sku for line in lines])
    paths = {line.from_location for line in lines} | {line.to_location for line in lines}
    loc_map = sites.location_refs_by_path(conn, org, list(paths))
    gone_items, gone_locs = locking.hold_master_rows(
        conn, [i.id for i in item_map.values()], [loc.id for loc in loc_map.values()]
    )
    if gone_items or gone_locs:  # deactivated since we read them
        item_map = {k: replace(v, active=v.id not in gone_items) for k, v in item_map.items()}
        loc_map = {k: replace(v, active=v.id not in gone_locs) for k, v in loc_map.items()}
    drafts = []
    many = len(lines) > 1
    for n, line in enumerate(lines, start=1):
        where = f"movement {n}: " if many else ""
        item = item_map.get(line.sku)
        if item is None:
            raise InvalidInput(
                f"{where}SKU {line.sku[:80]!r} not found", code="sku_not_found", line=n
            )
        source = _location(loc_map, line.from_location, where, n)
        destination = _location(loc_map, line.to_location, where, n)
        actor.require_warehouse(source.warehouse_id, source.path)
        actor.require_warehouse(destination.warehouse_id, destination.path)
        draft = MovementDraft(
            item=item,
            source=source,
            destination=destination,
            quantity=line.quantity,
            lot=line.lot,
            serial=line.serial,
            effective_at=line.effective_at or now,
            ref_type=line.ref_type,
            ref_id=line.ref_id,
            reason=line.reason,
            reverses_id=line.reverses_id,
        )
        check_draft(draft, now=now, line=n if many else None)
        if line.reverses_id is not None:
            _check_not_reversed(uow, org, line.reverses_id)
        drafts.append(draft)
    return drafts


def _refuse_recalled(
    uow: UnitOfWork,
    org: int,
    drafts: list[MovementDraft],
    lot_ids: dict[tuple[int, str], int],
    serial_ids: dict[tuple[int, str], int],
) -> None:
    """A lot or serial under an open recall goes to no customer (a shipment, a channel sale,
    a posting by hand), whatever path the movement takes; a reversal only corrects the books,
    so it may."""
    to_customers = [
        (n, d)
        for n, d in enumerate(drafts, start=1)
        if d.destination.kind is LocationKind.CUSTOMER
        and d.reverses_id is None
        and (d.lot or d.serial)
    ]
    if not to_customers:
        return
    held = recalls.open_recalls_of(uow.conn, org, {d.item.id for _, d in to_customers})
    for n, d in to_customers:
        key = (
            d.item.id,
            lot_ids.get((d.item.id, d.lot or ""), 0),
            serial_ids.get((d.item.id, d.serial or ""), 0),
        )
        if key in held:
            raise recalled(
                d.item.sku,
                lot=d.lot,
                serial=d.serial,
                number=held[key],
                doing="go to a customer",
                line=n if len(drafts) > 1 else None,
            )


def _arrives(d: MovementDraft) -> bool:
    """Stock entering a warehouse (or transit) from outside: what a given cost is for."""
    return d.source.kind not in STOCK_KINDS and d.destination.kind in STOCK_KINDS


def _check_not_reversed(uow: UnitOfWork, org: int, movement_id: int) -> None:
    done = ledger.reversal_of(uow.conn, org, movement_id)
    if done is not None:
        raise Conflict(
            f"movement {movement_id} was already reversed by movement {done}",
            code="already_reversed",
            reversed_by=done,
        )


def _location(loc_map: dict[str, LocationRef], path: str, where: str, n: int) -> LocationRef:
    loc = loc_map.get(path)
    if loc is None:
        raise InvalidInput(
            f"{where}location {path[:200]!r} not found", code="location_not_found", line=n
        )
    return loc


def _raise_insufficient(
    uow: UnitOfWork,
    org: int,
    deltas: dict[tuple[int, int, int, int], int],
    guarded: set[tuple[int, int, int, int]],
    drafts: list[MovementDraft],
    locs: dict[int, LocationRef],
    lot_ids: dict[tuple[int, str], int],
    serial_ids: dict[tuple[int, str], int],
) -> None:
    # The transaction is rolled back by the unit of work. Guarded decrements that failed left
    # their balances as they were (see locking.apply_balance_deltas), so read them to explain.
    items = {d.item.id: d.item for d in drafts}
    lot_codes = {v: k[1] for k, v in lot_ids.items()}
    serial_codes = {v: k[1] for k, v in serial_ids.items()}
    for k in sorted(deltas):
        delta = deltas[k]
        if k in guarded and delta < 0:
            continue
        have = stock.balance_of(uow.conn, org, k)
        if abs(have + delta) >= BALANCE_LIMIT:
            raise InvalidInput(
                f"{items[k[0]].sku} at {locs[k[1]].path} would hold {BALANCE_LIMIT // FACTOR} "
                "units or more: a balance stays below that",
                code="quantity_too_large",
            )
    for k in sorted(guarded):
        delta = deltas[k]
        if delta >= 0:
            continue
        have = stock.balance_of(uow.conn, org, k)
        if have + delta < 0:
            item = items[k[0]]
            raise InsufficientStock(
                sku=item.sku,
                location=locs[k[1]].path,
                requested=from_micro(-delta, item.precision),
                available=from_micro(max(have, 0), item.precision),
                lot=lot_codes.get(k[2]),
                serial=serial_codes.get(k[3]),
            )
    raise Conflict("stock changed during the posting; retry", code="write_conflict")


def reverse_movement(
    db: Database,
    actor: Actor,
    movement_id: int,
    *,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> PostingResult:
    """Post the opposite of a movement, pointing at it. A movement is reversed at most once."""
    actor.require(Permission.REVERSE_MOVEMENTS)
    with db.reading() as uow:
        row = ledger.movement_by_id(uow.conn, actor.org_id, movement_id)
    if row is None:
        raise not_found("movement", movement_id)
    line = MovementInput(
        sku=row.sku,
        from_location=row.to_path,
        to_location=row.from_path,
        quantity=from_micro(row.qty, row.precision),
        lot=row.lot_code,
        serial=row.serial_code,
        ref_type=row.ref_type,
        ref_id=row.ref_id,
        reason=reason or "reversal",
        reverses_id=movement_id,
    )
    # The default key makes a retried reversal answer with the first one.
    try:
        return post_movements(
            db, actor, [line], idempotency_key=idempotency_key or f"reverse:{movement_id}"
        )
    except IdempotencyConflict:
        if idempotency_key is not None:
            raise
        # The default key is taken by an earlier reversal with other details (a reason):
        # say what happened rather than which key was reused.
        with db.reading() as uow:
            done = ledger.reversal_of(uow.conn, actor.org_id, movement_id)
        raise Conflict(
            f"movement {movement_id} was already reversed by movement {done}",
            code="already_reversed",
            reversed_by=done,
        ) from None
