"""Picking: pick lists per warehouse, sorted by bin path, and pick confirmation.

A pick list turns what open orders have reserved into tasks: take this quantity of this item
(lot, serial) from this bin for this order line, chosen by the item's allocation rule (FIFO, FEFO,
serials: domain.allocation). Confirming a task checks the scanned location and lot, and moves the
picked stock to the warehouse's outbound location, where it waits to be shipped. A short pick
gives the missing quantity back to the order as a backorder and flags the bin for a count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.allocation import StockUnit, allocate
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.movements import check_text
from onhand.domain.quantities import from_micro, to_micro
from onhand.domain.traceability import recalled
from onhand.services import availability, postings
from onhand.services.common import document_number, not_found, utcnow
from onhand.services.postings import MovementInput, write_retrying
from onhand.services.sales_orders import qty, settle_pick_lists, warehouse_row
from onhand.store import catalog, locking, picking, recalls, sales, sites
from onhand.store.unit_of_work import Database, UnitOfWork

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def outbound_location(uow: UnitOfWork, org_id: int, warehouse: Any) -> Any:
    """The warehouse's outbound location, where picked stock waits to be shipped."""
    row = sales.settings_of(uow.conn, org_id, [warehouse.id]).get(warehouse.id)
    if row is None or row.outbound_location_id is None:
        raise Conflict(
            f"{warehouse.path} has no outbound location for picked stock: set one with "
            "PUT /warehouses/{code}/settings",
            code="no_outbound_location",
        )
    return sites.location_by_id(uow.conn, org_id, row.outbound_location_id)


def _task_out(t: Any) -> dict[str, Any]:
    return {
        "seq": t.seq,
        "order": t.order,
        "line_no": t.line_no,
        "sku": t.sku,
        "location": t.location,
        "lot": t.lot,
        "serial": t.serial,
        "quantity": from_micro(t.qty, t.precision),
        "picked": from_micro(t.qty_picked, t.precision),
        "status": t.status,
    }


def _list_out(uow: UnitOfWork, org_id: int, number: str) -> dict[str, Any]:
    pl = picking.pick_list_by_number(uow.conn, org_id, number)
    return _list_of(pl, picking.tasks_of_list(uow.conn, org_id, pl.id))


def _list_of(pl: Any, tasks: list[Any]) -> dict[str, Any]:
    return {
        "number": pl.number,
        "warehouse": pl.warehouse,
        "status": pl.status,
        "tasks": [_task_out(t) for t in tasks],
        "created_at": pl.created_at,
    }


def _units(rows: list[Any]) -> list[StockUnit]:
    return [
        StockUnit(
            location_id=r.location_id,
            location_path=r.path,
            lot_id=r.lot_id or None,
            lot_code=r.lot,
            expiry=r.expiry_date,
            serial_id=r.serial_id or None,
            serial=r.serial,
            received_at=r.received_at or EPOCH,
            qty=int(r.qty),
            held=bool(r.lot_held) or bool(r.serial_held),
        )
        for r in rows
    ]


def _still_to_allocate(line: Any, tasks: list[Any]) -> int:
    """Reserved for the line and neither in an open task nor picked and waiting to ship."""
    covered = sum(
        (t.qty - t.qty_picked) if t.status == "open" else (t.qty_picked - t.qty_shipped)
        for t in tasks
    )
    return qty(line).reserved - covered


def create_pick_list(
    db: Database, actor: Actor, warehouse: str, *, orders: list[str] | None = None
) -> dict[str, Any]:
    """A pick list for the reserved, not yet allocated lines of open orders of a warehouse (or
    of the orders named), tasks sorted by bin path."""
    actor.require(Permission.POST_MOVEMENTS)
    number_of = document_number(db, actor.org_id, "PL")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        number = number_of(uow)
        wh = warehouse_row(uow, actor, warehouse)
        outbound = outbound_location(uow, org, wh)
        rows = sales.open_lines(conn, org, wh.id, orders)
        if orders is not None:
            found = {r.number for r in rows}
            for n in orders:
                if n not in found and sales.order_by_number(conn, org, n) is None:
                    raise not_found("sales order", n)
        locking.lock_commitments(conn, org, [(r.item_id, wh.id) for r in rows])
        refs = catalog.item_refs_by_id(conn, org, sorted({r.item_id for r in rows}))
        existing = picking.tasks_of_lines(conn, org, [r.id for r in rows])
        today = utcnow().date()
        planned: list[tuple[str, str, Any, Any, int]] = []
        pool: dict[int, list[StockUnit]] = {}
        for line in rows:
            want = _still_to_allocate(line, [t for t in existing if t.so_line_id == line.id])
            if want <= 0:
                continue
            if line.item_id not in pool:
                pool[line.item_id] = _units(
                    picking.candidates(conn, org, line.item_id, wh.id, outbound.id)
                )
            got = allocate(refs[line.item_id].tracking, pool[line.item_id], want, today=today)
            taken: dict[tuple[int, int | None, int | None], int] = {}
            for p in got.picks:
                planned.append((p.unit.location_path, refs[line.item_id].sku, line, p.unit, p.qty))
                key = (p.unit.location_id, p.unit.lot_id, p.unit.serial_id)
                taken[key] = taken.get(key, 0) + p.qty
            pool[line.item_id] = [
                u
                for u in (
                    _less(u, taken.get((u.location_id, u.lot_id, u.serial_id), 0))
                    for u in pool[line.item_id]
                )
                if u.qty > 0
            ]
        if not planned:
            raise Conflict(
                f"nothing to pick in {wh.path}: no reserved stock waits for a pick",
                code="nothing_to_pick",
            )
        now = utcnow()
        list_id = picking.insert_pick_list(
            conn,
            {
                "org_id": org,
                "number": number,
                "warehouse_id": wh.id,
                "status": "open",
                "created_at": now,
                "created_by": actor.user_id,
                "updated_at": now,
            },
        )
        planned.sort(key=lambda p: (p[0], p[1], p[2].so_id, p[2].line_no))
        picking.insert_tasks(
            conn,
            [
                {
                    "org_id": org,
                    "pick_list_id": list_id,
                    "seq": seq,
                    "so_line_id": line.id,
                    "item_id": line.item_id,
                    "location_id": unit.location_id,
                    "lot_id": unit.lot_id or 0,
                    "serial_id": unit.serial_id or 0,
                    "qty": q,
                    "qty_picked": 0,
                    "qty_shipped": 0,
                    "status": "open",
                }
                for seq, (_, _, line, unit, q) in enumerate(planned, start=1)
            ],
        )
        return _list_out(uow, org, number)

    return write_retrying(db, work)


def _less(unit: StockUnit, taken: int) -> StockUnit:
    return replace(unit, qty=unit.qty - taken) if taken else unit


@dataclass(slots=True)
class PickConfirmation:
    """What the picker did for one task: scanned location (and lot, serial), quantity taken."""

    seq: int
    location: str
    quantity: Decimal
    lot: str | None = None
    serial: str | None = None


def _refuse_recalled(uow: UnitOfWork, org: int, number: str, done: list[tuple[Any, int]]) -> None:
    """A task printed before its lot or serial was recalled is not picked (confirm it as 0
    picked: a short pick, the rest reserved again from what may be promised)."""
    picked = [t for t, q in done if q and (t.lot_id or t.serial_id)]
    held = recalls.open_recalls_of(uow.conn, org, {t.item_id for t in picked})
    for t in picked:
        recall = held.get((t.item_id, t.lot_id or 0, t.serial_id or 0))
        if recall is not None:
            raise recalled(
                t.sku,
                lot=t.lot,
                serial=t.serial,
                number=recall,
                doing=f"be picked (task {t.seq} of {number}: confirm it as 0 picked)",
                line=None,
            )


def confirm_picks(
    db: Database,
    actor: Actor,
    number: str,
    confirmations: list[PickConfirmation],
    *,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Confirm picked tasks: the scanned location and lot must be the task's; the picked stock
    moves to the outbound location. Less than asked is a short pick: the rest goes back to the
    order as a backorder and the bin is flagged for a count."""
    actor.require(Permission.POST_MOVEMENTS)
    if not confirmations:
        raise InvalidInput("confirm at least one task", code="nothing_confirmed")
    if idempotency_key is not None:
        check_text(idempotency_key, field="idempotency_key")
    key = f"pick:{number}:{idempotency_key}" if idempotency_key else None

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        pl = picking.pick_list_by_number(conn, org, number)
        if pl is None:
            raise not_found("pick list", number)
        actor.require_warehouse(pl.warehouse_id, pl.warehouse)
        tasks = {t.seq: t for t in picking.tasks_of_list(conn, org, pl.id)}
        wh = sites.location_by_id(conn, org, pl.warehouse_id)
        outbound = outbound_location(uow, org, wh)
        done = _checked(number, tasks, confirmations)
        moves = [
            MovementInput(
                sku=t.sku,
                from_location=t.location,
                to_location=outbound.path,
                quantity=from_micro(picked, t.precision),
                lot=t.lot,
                serial=t.serial,
                ref_type="SO",
                ref_id=t.order,
                reason="pick",
            )
            for t, picked in done
            if picked
        ]
        if postings.earlier_posting(uow, org, key, moves) is not None:
            return _list_out(uow, org, number) | {"replayed": True}
        for t, _ in done:
            if t.status != "open":
                raise Conflict(
                    f"task {t.seq} of {number} is {t.status} already", code="task_not_open"
                )
        _refuse_recalled(uow, org, number, done)
        locking.lock_commitments(conn, org, [(t.item_id, pl.warehouse_id) for t, _ in done])
        if moves:
            postings.post_in(uow, actor, moves, idempotency_key=key)
        now = utcnow()
        for t, picked in done:
            short = t.qty - picked
            picking.update_task(
                conn,
                org,
                t.id,
                qty_picked=picked,
                status="short" if short else "picked",
                picked_at=now,
                picked_by=actor.user_id,
            )
            if short:
                line = sales.line_by_id(conn, org, t.so_line_id)
                availability.release(uow, org, line, short)
                picking.record_discrepancy(
                    conn,
                    org_id=org,
                    location_id=t.location_id,
                    item_id=t.item_id,
                    kind="short_pick",
                    qty=short,
                    at=now,
                    actor_id=actor.user_id,
                    note=f"{number} task {t.seq}",
                )
        settle_pick_lists(uow, org, [pl.id])
        return _list_out(uow, org, number) | {"replayed": False}

    return write_retrying(db, work)


def _checked(
    number: str, tasks: dict[int, Any], confirmations: list[PickConfirmation]
) -> list[tuple[Any, int]]:
    """Each confirmation against its task: (task, quantity picked in micro-units)."""
    done, seen = [], set()
    for n, c in enumerate(confirmations, start=1):
        t = tasks.get(c.seq)
        if t is None:
            raise InvalidInput(
                f"confirmation {n}: {number} has no task {c.seq}", code="task_not_found", line=n
            )
        if c.seq in seen:
            raise InvalidInput(
                f"confirmation {n}: task {c.seq} is confirmed twice", code="task_duplicate", line=n
            )
        seen.add(c.seq)
        if c.location != t.location:
            raise InvalidInput(
                f"task {c.seq}: scanned {c.location[:200]!r}, but the stock is at {t.location}",
                code="wrong_location",
                line=n,
            )
        if (c.lot or None) != t.lot:
            raise InvalidInput(
                f"task {c.seq}: scanned lot {c.lot!r}, the task is for lot {t.lot!r}",
                code="wrong_lot",
                line=n,
            )
        if t.serial is not None and c.serial != t.serial:
            raise InvalidInput(
                f"task {c.seq}: scanned serial {c.serial!r}, the task is for {t.serial!r}",
                code="wrong_serial",
                line=n,
            )
        picked = to_micro(c.quantity) if c.quantity.is_finite() and abs(c.quantity) < 10**12 else -1
        if picked < 0 or picked > t.qty or c.quantity != from_micro(picked, t.precision):
            raise InvalidInput(
                f"task {c.seq}: the picked quantity must be between 0 and "
                f"{from_micro(t.qty, t.precision)}, in the unit's precision",
                code="invalid_pick_quantity",
                line=n,
            )
        done.append((t, picked))
    return done


def get_pick_list(db: Database, actor: Actor, number: str) -> dict[str, Any]:
    """A pick list with its tasks in walking order."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        pl = picking.pick_list_by_number(uow.conn, actor.org_id, number)
        if pl is None:
            raise not_found("pick list", number)
        actor.require_warehouse(pl.warehouse_id, pl.warehouse)
        return _list_out(uow, actor.org_id, number)


def list_pick_lists(
    db: Database,
    actor: Actor,
    *,
    warehouse: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Pick lists, newest first, of a warehouse or all the actor may see, by status."""
    actor.require(Permission.READ)
    if status is not None and status not in ("open", "done", "cancelled"):
        raise InvalidInput("status must be open, done or cancelled", code="invalid_status")
    with db.reading() as uow:
        # The restriction goes into the query, so a page is full of lists the actor may see.
        wh_ids = (
            {warehouse_row(uow, actor, warehouse).id}
            if warehouse is not None
            else actor.warehouse_ids
        )
        rows = picking.list_pick_lists(
            uow.conn, actor.org_id, warehouse_ids=wh_ids, status=status, limit=limit
        )
        tasks: dict[int, list[Any]] = {r.id: [] for r in rows}
        for t in picking.tasks_of_lists(uow.conn, actor.org_id, list(tasks)):
            tasks[t.pick_list_id].append(t)
    return [_list_of(r, tasks[r.id]) for r in rows]


def list_discrepancies(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Open discrepancies, oldest first: locations whose records may be wrong."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = picking.open_discrepancies(uow.conn, actor.org_id)
    return [
        {
            "location": r.path,
            "sku": r.sku,
            "kind": r.kind,
            "quantity": from_micro(r.qty, r.precision),
            "note": r.note,
            "created_at": r.created_at,
        }
        for r in rows
        if actor.may_touch_warehouse(r.warehouse_id)
    ]
