"""Scan workflows: receive, pick, move and count by scanning. Each resolves what the scanner gave (a
bin label, an item or lot barcode, a count) and calls the existing use case; the answer says
what was understood next to what was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.domain.movements import check_text
from onhand.services import counts, picking, postings, purchase_orders, receiving
from onhand.services.counts import CountEntry
from onhand.services.picking import PickConfirmation
from onhand.services.postings import MovementInput
from onhand.services.receiving import ReceiptLineInput
from onhand.services.scanning import Resolved, ScannedItem, resolve_in
from onhand.store.unit_of_work import Database


@dataclass(frozen=True, slots=True)
class Understood:
    """What the scans said, in the words of the answer."""

    sku: str
    lot: str | None
    serial: str | None
    quantity: Decimal
    location: str | None = None
    to: str | None = None

    def out(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "lot": self.lot,
            "serial": self.serial,
            "quantity": self.quantity,
            "location": self.location,
            "to": self.to,
        }


def _item_scan(db: Database, actor: Actor, code: str) -> tuple[Resolved, ScannedItem]:
    """The resolved scan and its item; a scan of anything but an item is refused."""
    with db.reading() as uow:
        r = resolve_in(uow, actor, code)
    if r.item is None:
        raise InvalidInput(
            f"scan an item or lot barcode here; {code[:80]!r} is a {r.kind}",
            code="scan_not_an_item",
        )
    return r, r.item


def _location_scan(db: Database, actor: Actor, code: str, what: str) -> Any:
    """The stock location a bin label names (not a virtual one: stock is scanned in bins)."""
    with db.reading() as uow:
        r = resolve_in(uow, actor, code)
    if r.kind != "location":
        raise InvalidInput(
            f"scan a bin label for {what}; {code[:80]!r} is a {r.kind}",
            code="scan_not_a_location",
        )
    if r.location.kind != "internal" or not r.location.active:
        raise InvalidInput(
            f"{r.location.path} is not an active stock location", code="not_a_stock_location"
        )
    return r.location


def _quantity(given: Decimal | None, r: Resolved, default: Decimal | None) -> Decimal:
    """The quantity typed in, else the barcode's count (30)/(37), else one serial's unit, else
    ``default``."""
    if given is not None:
        return given
    if r.quantity is not None:
        return r.quantity
    if r.serial is not None and r.item is not None and r.item.tracking == "serial":
        return Decimal(1)
    if default is not None:
        return default
    raise InvalidInput("give the quantity: the barcode carries no count", code="quantity_required")


def _key(prefix: str, key: str | None) -> str | None:
    if key is None:
        return None
    check_text(key, field="idempotency_key")
    return f"{prefix}:{key}"


def scan_receive(
    db: Database,
    actor: Actor,
    *,
    po: str,
    item: str,
    quantity: Decimal | None = None,
    location: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Receive what was scanned against the first open line of ``po`` for that item (its lot,
    expiry and serial from the barcode), into the scanned bin or the order's receiving
    location."""
    actor.require(Permission.POST_MOVEMENTS)
    r, scanned = _item_scan(db, actor, item)
    into = _location_scan(db, actor, location, "where the goods go").path if location else None
    qty = _quantity(quantity, r, None)
    order = purchase_orders.get_po(db, actor, po)
    lines = [x for x in order["lines"] if x["sku"] == scanned.sku]
    if not lines:
        raise InvalidInput(f"{po} has no line for {scanned.sku}", code="item_not_on_po")
    line = next((x for x in lines if x["open"] > 0), lines[0])
    serial = r.serial if scanned.tracking == "serial" else None
    lot = r.lot if scanned.tracking == "lot" else None
    entry = ReceiptLineInput(
        line_no=line["line_no"],
        quantity=qty,
        lot=lot,
        # The label's expiry for a new lot, and for a known lot whose expiry it repeats: so a
        # retry of the first receipt of a lot (the lot known by then) posts the same lines.
        expiry_date=r.scan.expiry
        if lot is not None and (not r.lot_known or r.expiry == r.scan.expiry)
        else None,
        serials=[serial] if serial else [],
        location=into,
    )
    done = receiving.receive(db, actor, po, [entry], idempotency_key=idempotency_key)
    understood = Understood(scanned.sku, lot, serial, qty, into or order["receive_to"])
    return {"understood": understood.out(), "notes": r.notes, "line_no": line["line_no"], **done}


def scan_pick(
    db: Database,
    actor: Actor,
    *,
    pick_list: str,
    location: str,
    item: str,
    quantity: Decimal | None = None,
    seq: int | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Confirm the open task of ``pick_list`` for the scanned bin and item (and lot, serial),
    or task ``seq``; the picking service checks bin and lot against the task."""
    actor.require(Permission.POST_MOVEMENTS)
    where = _location_scan(db, actor, location, "the bin picked from").path
    r, scanned = _item_scan(db, actor, item)
    tasks = picking.get_pick_list(db, actor, pick_list)["tasks"]
    if seq is not None:
        task = next((t for t in tasks if t["seq"] == seq), None)
    else:
        task = next(
            (
                t
                for t in tasks
                if t["status"] == "open"
                and t["sku"] == scanned.sku
                and t["location"] == where
                and (t["lot"] is None or t["lot"] == r.lot)
                and (t["serial"] is None or t["serial"] == r.serial)
            ),
            None,
        )
        if task is None and idempotency_key is not None:
            # A retried scan finds its task picked already: confirming it again answers the
            # first confirmation (same key) or says the task is done (another key).
            task = next(
                (
                    t
                    for t in tasks
                    if t["sku"] == scanned.sku
                    and t["location"] == where
                    and (t["lot"] is None or t["lot"] == r.lot)
                    and (t["serial"] is None or t["serial"] == r.serial)
                ),
                None,
            )
    if task is None:
        raise InvalidInput(
            f"{pick_list} has no open task for {scanned.sku}"
            + (f" lot {r.lot!r}" if r.lot else "")
            + f" at {where}",
            code="no_matching_task",
        )
    if task["sku"] != scanned.sku:
        raise InvalidInput(
            f"task {task['seq']} is for {task['sku']}, the scan is {scanned.sku}",
            code="wrong_item",
        )
    qty = _quantity(quantity, r, task["quantity"])
    lot = r.lot if scanned.tracking == "lot" else None
    serial = r.serial if scanned.tracking == "serial" else None
    confirmation = PickConfirmation(
        seq=task["seq"], location=where, quantity=qty, lot=lot, serial=serial
    )
    done = picking.confirm_picks(
        db, actor, pick_list, [confirmation], idempotency_key=idempotency_key
    )
    understood = Understood(scanned.sku, lot, serial, qty, where)
    return {"understood": understood.out(), "notes": r.notes, "seq": task["seq"], "pick_list": done}


def scan_move(
    db: Database,
    actor: Actor,
    *,
    source: str,
    to: str,
    item: str,
    quantity: Decimal | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Move the scanned item (lot, serial) from one bin to another of the same warehouse."""
    actor.require(Permission.POST_MOVEMENTS)
    src_loc = _location_scan(db, actor, source, "the bin taken from")
    dst_loc = _location_scan(db, actor, to, "the bin put into")
    src, dst = str(src_loc.path), str(dst_loc.path)
    r, scanned = _item_scan(db, actor, item)
    if src_loc.warehouse_id != dst_loc.warehouse_id:
        raise InvalidInput(
            f"{src} and {dst} are in different warehouses: use a transfer",
            code="not_same_warehouse",
        )
    qty = _quantity(quantity, r, None)
    lot = r.lot if scanned.tracking == "lot" else None
    serial = r.serial if scanned.tracking == "serial" else None
    line = MovementInput(
        sku=scanned.sku,
        from_location=src,
        to_location=dst,
        quantity=qty,
        lot=lot,
        serial=serial,
        ref_type="move",
        reason="bin-move",
    )
    posted = postings.post_movements(
        db, actor, [line], idempotency_key=_key("scanmove", idempotency_key)
    )
    understood = Understood(scanned.sku, lot, serial, qty, src, dst)
    return {
        "understood": understood.out(),
        "notes": r.notes,
        "posting_id": posted.posting_id,
        "movement_ids": posted.movement_ids,
        "replayed": posted.replayed,
    }


MAX_COUNT_SCANS = 1000


@dataclass(frozen=True, slots=True)
class CountScan:
    """One scan at the bin being counted, with the quantity typed in, if any."""

    code: str
    quantity: Decimal | None = None


def scan_count(
    db: Database,
    actor: Actor,
    *,
    count: str,
    location: str,
    scans: list[CountScan],
    complete: bool = False,
    idempotency_key: str | None = None,
    unchanged_since: str | None = None,
) -> dict[str, Any]:
    """Record a bin's count from scans: each item, lot or serial scan counts the quantity typed
    in, else the barcode's count (30)/(37), else one; scans of the same item and lot add up, a
    serial counts once however often it is scanned. With ``complete`` the scans are everything
    in the bin: what else the count expected there is recorded as 0. Blind, as every count.

    A retry with the same ``idempotency_key`` records nothing and answers ``replayed``; see
    counts.record_counts for ``unchanged_since``."""
    actor.require(Permission.POST_MOVEMENTS)
    if len(scans) > MAX_COUNT_SCANS:
        raise InvalidInput(f"at most {MAX_COUNT_SCANS} scans at once", code="too_many_scans")
    if not scans and not complete:
        raise InvalidInput(
            "scan at least one item, or say that the bin is complete (an empty bin)",
            code="no_scans",
        )
    loc = _location_scan(db, actor, location, "the bin counted")
    totals: dict[tuple[str, str | None, str | None], Decimal] = {}
    notes: list[str] = []
    with db.reading() as uow:
        for n, scan in enumerate(scans, start=1):
            try:
                r = resolve_in(uow, actor, scan.code)
                qty = _quantity(scan.quantity, r, Decimal(1))
            except OnhandError as e:
                extra = e.extra | {"line": n}
                raise type(e)(f"scan {n}: {e.message}", code=e.code, **extra) from None
            item = r.item
            if item is None:
                raise InvalidInput(
                    f"scan {n}: scan an item or lot barcode; {scan.code[:80]!r} is a {r.kind}",
                    code="scan_not_an_item",
                    line=n,
                )
            lot = r.lot if item.tracking == "lot" else None
            serial = r.serial if item.tracking == "serial" else None
            key = (item.sku, lot, serial)
            if serial is not None:
                totals[key] = qty  # a unit is there or not: scanning it twice is still one
            else:
                totals[key] = totals.get(key, Decimal(0)) + qty
            notes += [f"scan {n}: {note}" for note in r.notes]
    entries = [
        CountEntry(sku=sku, quantity=qty, lot=lot, serial=serial)
        for (sku, lot, serial), qty in totals.items()
    ]
    recorded = counts.record_counts(
        db,
        actor,
        count,
        location=str(loc.path),
        entries=entries,
        complete=complete,
        idempotency_key=idempotency_key,
        unchanged_since=unchanged_since,
    )
    return {
        "understood": [
            Understood(e.sku, e.lot, e.serial, e.quantity, str(loc.path)).out() for e in entries
        ],
        "notes": notes,
        "count": recorded,
        "replayed": recorded["replayed"],
    }
