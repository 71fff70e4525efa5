"""Transfers between locations and warehouses.

A direct transfer moves the stock at once. Otherwise the transfer is planned, then shipped (from
its source into a transit location: `@transit`, or a transit location of your own such as a
truck) and received (from transit into its destination). While planned or in transit it counts
as an expected receipt in the destination warehouse's available-to-promise, due on its expected
arrival; in transit it shows in the item's stock at the transit location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import Tracking
from onhand.domain.locations import LocationKind
from onhand.domain.movements import check_text
from onhand.domain.purchasing import check_number
from onhand.domain.quantities import check_quantity, from_micro, to_micro
from onhand.services import availability, events, postings
from onhand.services.common import document_number, not_found, stock_location, utcnow
from onhand.services.postings import MovementInput, write_retrying
from onhand.store import catalog, ledger, locking, tables, transfers
from onhand.store.unit_of_work import Database, UnitOfWork

TRANSIT = "@transit"
MAX_LINES = 1000


@dataclass(slots=True)
class TransferLineInput:
    sku: str
    quantity: Decimal
    lot: str | None = None
    serial: str | None = None


@dataclass(slots=True)
class TransferCreate:
    source: str
    destination: str
    lines: list[TransferLineInput] = field(default_factory=list)
    direct: bool = False
    via: str | None = None  # default @transit
    ship_date: date | None = None
    expected_arrival: date | None = None
    number: str | None = None


def _out(uow: UnitOfWork, t: Any) -> dict[str, Any]:
    return {
        "number": t.number,
        "status": t.status,
        "from": t.from_path,
        "to": t.to_path,
        "via": t.via_path,
        "ship_date": t.ship_date,
        "expected_arrival": t.expected_arrival,
        "shipped_at": t.shipped_at,
        "received_at": t.received_at,
        "lines": [
            {
                "line_no": r.line_no,
                "sku": r.sku,
                "quantity": from_micro(r.qty, r.precision),
                "lot": r.lot_code,
                "serial": r.serial,
            }
            for r in transfers.lines_of(uow.conn, t.org_id, t.id)
        ],
        "created_at": t.created_at,
    }


def _row(uow: UnitOfWork, actor: Actor, number: str) -> Any:
    t = transfers.by_number(uow.conn, actor.org_id, number)
    if t is None:
        raise not_found("transfer", number)
    actor.require_warehouse(t.from_warehouse_id, t.from_path)
    return t


def _moves(
    t: Any, lines: list[Any], source: str, destination: str, reason: str
) -> list[MovementInput]:
    return [
        MovementInput(
            sku=r.sku,
            from_location=source,
            to_location=destination,
            quantity=from_micro(r.qty, r.precision),
            lot=r.lot_code,
            serial=r.serial,
            ref_type="TR",
            ref_id=t.number,
            reason=reason,
        )
        for r in lines
    ]


def create_transfer(
    db: Database, actor: Actor, data: TransferCreate, *, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Plan a transfer (or, when direct, move the stock now)."""
    actor.require(Permission.POST_MOVEMENTS)
    if data.number is not None:
        check_number(data.number, "transfer number")
    if not data.lines or len(data.lines) > MAX_LINES:
        raise InvalidInput(f"a transfer has 1 to {MAX_LINES} lines", code="invalid_line_count")
    if data.direct and data.via is not None:
        raise InvalidInput("a direct transfer goes through no transit location", code="direct_via")
    if idempotency_key is not None:
        check_text(idempotency_key, field="idempotency_key")
    number_of = document_number(db, actor.org_id, "TR")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        return create_transfer_in(
            uow, actor, data, data.number or number_of(uow), idempotency_key=idempotency_key
        )

    return write_retrying(db, work)


def create_transfer_in(
    uow: UnitOfWork,
    actor: Actor,
    data: TransferCreate,
    number: str,
    *,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Plan (or, when direct, carry out) a transfer inside the caller's transaction."""
    actor.require(Permission.POST_MOVEMENTS)
    conn, org = uow.conn, actor.org_id
    src = stock_location(uow, actor, data.source)
    dst = stock_location(uow, actor, data.destination)
    if src.id == dst.id:
        raise InvalidInput("from and to are the same location", code="same_location")
    via = None
    if not data.direct:
        via = stock_location(
            uow,
            actor,
            data.via or TRANSIT,
            kind=LocationKind.TRANSIT,
            code="wrong_location_kind",
        )
    if transfers.by_number(conn, org, number) is not None:
        raise Conflict(f"transfer {number} already exists", code="transfer_exists")
    refs = catalog.item_refs_by_sku(conn, org, [x.sku for x in data.lines])
    rows = []
    for n, line in enumerate(data.lines, start=1):
        item = refs.get(line.sku)
        if item is None:
            raise InvalidInput(
                f"line {n}: SKU {line.sku[:80]!r} not found", code="sku_not_found", line=n
            )
        check_quantity(line.quantity, precision=item.precision, uom=item.uom)
        if item.tracking is Tracking.LOT and not line.lot:
            raise InvalidInput(
                f"line {n}: {item.sku} is lot-tracked: name the lot",
                code="lot_required",
                line=n,
            )
        if item.tracking is Tracking.SERIAL and (not line.serial or line.quantity != 1):
            raise InvalidInput(
                f"line {n}: {item.sku} is serial-tracked: one line per serial, quantity 1",
                code="serial_required",
                line=n,
            )
        rows.append(
            {
                "org_id": org,
                "line_no": n,
                "item_id": item.id,
                "lot_code": line.lot,
                "serial": line.serial,
                "qty": to_micro(line.quantity),
            }
        )
    now = utcnow()
    new_id = transfers.insert_transfer(
        conn,
        {
            "org_id": org,
            "number": number,
            "status": "planned",
            "from_location_id": src.id,
            "to_location_id": dst.id,
            "via_location_id": via.id if via is not None else None,
            "to_warehouse_id": dst.warehouse_id,
            "ship_date": data.ship_date,
            "expected_arrival": data.expected_arrival,
            "created_at": now,
            "created_by": actor.user_id,
            "updated_at": now,
        },
        rows,
    )
    t = _row(uow, actor, number)
    if data.direct:
        key = f"transfer:{idempotency_key}" if idempotency_key else None
        lines = transfers.lines_of(conn, org, new_id)
        _post_and_fill(uow, actor, t, _moves(t, lines, src.path, dst.path, "transfer"), key)
        transfers.update_transfer(
            conn,
            org,
            new_id,
            status="received",
            shipped_at=now,
            received_at=now,
            updated_at=now,
        )
    return _out(uow, _row(uow, actor, number))


def _post_and_fill(
    uow: UnitOfWork, actor: Actor, t: Any, moves: list[MovementInput], key: str | None
) -> None:
    """Post the moves into the destination; arriving stock serves its backorders first."""
    org = actor.org_id
    wh = t.to_warehouse_id
    fill = t.from_warehouse_id != wh and availability.backorders_first(uow, org, wh)
    item_ids = sorted({r.item_id for r in transfers.lines_of(uow.conn, org, t.id)})
    if fill:  # commitment locks before the posting's balance locks
        locking.lock_commitments(uow.conn, org, [(i, wh) for i in item_ids])
    postings.post_in(uow, actor, moves, idempotency_key=key)
    if fill:
        availability.fill_backorders(uow, org, item_ids, wh)


def _step(
    db: Database,
    actor: Actor,
    number: str,
    *,
    expected: str,
    doing: str,
    idempotency_key: str | None,
    apply: Any,
) -> dict[str, Any]:
    actor.require(Permission.POST_MOVEMENTS)
    key = f"transfer-{doing}:{number}:{idempotency_key}" if idempotency_key else None

    def work(uow: UnitOfWork) -> dict[str, Any]:
        t = _row(uow, actor, number)
        if key is not None and ledger.find_posting(uow.conn, actor.org_id, key) is not None:
            return _out(uow, t) | {"replayed": True}
        locking.lock_for_change(uow.conn, tables.transfers, actor.org_id, t.id)
        t = _row(uow, actor, number)
        if t.status != expected:
            raise Conflict(
                f"transfer {number} is {t.status.replace('_', ' ')}: cannot {doing} it",
                code=f"transfer_{t.status}",
            )
        apply(uow, t, key)
        return _out(uow, _row(uow, actor, number)) | {"replayed": False}

    return write_retrying(db, work)


def _emit(uow: UnitOfWork, actor: Actor, kind: str, t: Any, lines: list[Any]) -> None:
    """A transfer's shipped or received event, with its lines."""
    events.emit(
        uow,
        actor,
        kind,
        "transfer",
        t.number,
        {
            "number": t.number,
            "from": t.from_path,
            "to": t.to_path,
            "via": t.via_path,
            "lines": [
                {
                    "sku": x.sku,
                    "quantity": from_micro(x.qty, x.precision),
                    "lot": x.lot_code,
                    "serial": x.serial,
                }
                for x in lines
            ],
        },
    )


def ship_transfer(
    db: Database, actor: Actor, number: str, *, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Planned > in transit: the goods leave their source for the transit location."""

    def apply(uow: UnitOfWork, t: Any, key: str | None) -> None:
        if t.via_path is None:
            raise Conflict(f"transfer {number} is direct", code="transfer_direct")
        lines = transfers.lines_of(uow.conn, actor.org_id, t.id)
        postings.post_in(
            uow,
            actor,
            _moves(t, lines, t.from_path, t.via_path, "transfer out"),
            idempotency_key=key,
        )
        now = utcnow()
        transfers.update_transfer(
            uow.conn, actor.org_id, t.id, status="in_transit", shipped_at=now, updated_at=now
        )
        _emit(uow, actor, "transfer.shipped", t, lines)

    return _step(
        db,
        actor,
        number,
        expected="planned",
        doing="ship",
        idempotency_key=idempotency_key,
        apply=apply,
    )


def receive_transfer(
    db: Database, actor: Actor, number: str, *, idempotency_key: str | None = None
) -> dict[str, Any]:
    """In transit > received: the goods arrive at their destination."""

    def apply(uow: UnitOfWork, t: Any, key: str | None) -> None:
        lines = transfers.lines_of(uow.conn, actor.org_id, t.id)
        _post_and_fill(uow, actor, t, _moves(t, lines, t.via_path, t.to_path, "transfer in"), key)
        now = utcnow()
        transfers.update_transfer(
            uow.conn, actor.org_id, t.id, status="received", received_at=now, updated_at=now
        )
        _emit(uow, actor, "transfer.received", t, lines)

    return _step(
        db,
        actor,
        number,
        expected="in_transit",
        doing="receive",
        idempotency_key=idempotency_key,
        apply=apply,
    )


def cancel_transfer(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """Cancel a planned transfer (nothing has moved yet)."""

    def apply(uow: UnitOfWork, t: Any, _key: str | None) -> None:
        transfers.update_transfer(
            uow.conn, actor.org_id, t.id, status="cancelled", updated_at=utcnow()
        )

    return _step(
        db, actor, number, expected="planned", doing="cancel", idempotency_key=None, apply=apply
    )


def get_transfer(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """A transfer with its lines and where it stands."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return _out(uow, _row(uow, actor, number))


def list_transfers(
    db: Database, actor: Actor, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Transfers, newest first."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = transfers.list_transfers(
            uow.conn, actor.org_id, status=status, limit=limit, offset=offset
        )
        return [_out(uow, t) for t in rows if actor.may_touch_warehouse(t.from_warehouse_id)]
