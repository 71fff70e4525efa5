"""Counting: recording counted quantities (blind), recounts, and a manager's approval or
rejection of the variances beyond tolerance.

Recording a line reads the book quantity in the same transaction and keeps it with the count:
the variance is counted - book at that moment, and that variance (not counted - book now) is
what is posted. So stock that moves while a count is open is neither lost nor double-counted:
count 10 with the book at 10, ship 3, approve: nothing to adjust, and the book says 7.

A variance within the class's tolerance is approved at once and its adjustment posted; beyond
it the line asks for a recount; a recount still beyond it waits for a manager, who approves
(posting the adjustment to or from @adjustment with a reason) or rejects (posting nothing).
Clerks never see book quantities or variances; managers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.counting import CountSettings
from onhand.domain.errors import Conflict, InvalidInput, NotFound
from onhand.domain.items import Tracking
from onhand.domain.locations import subtree_bounds
from onhand.domain.movements import check_text
from onhand.domain.quantities import check_quantity, from_micro, to_micro
from onhand.services import count_keys, events, postings
from onhand.services.common import audit, stock_location, utcnow
from onhand.services.count_plans import line_row
from onhand.services.count_settings import settings_in
from onhand.services.count_views import count_out, document, locked_document
from onhand.services.postings import MovementInput, write_retrying
from onhand.store import catalog, classification, counting
from onhand.store.unit_of_work import Database, UnitOfWork

ADJUSTMENT = "@adjustment"
MAX_ENTRIES = 1000
DECIDED = ("approved", "rejected")
AUTO_REASON = "count_variance"


@dataclass(frozen=True, slots=True)
class CountEntry:
    """One counted quantity at a location: of an item, and its lot or serial when tracked."""

    sku: str
    quantity: Decimal
    lot: str | None = None
    serial: str | None = None


# --- recording -------------------------------------------------------------------------------


def _adjust(
    uow: UnitOfWork, actor: Actor, doc: Any, line: Any, variance: int, count_no: int, reason: str
) -> int | None:
    """Post a variance between @adjustment and the line's location; the posting's id. The key
    names the line and its count, so a retried approval posts once."""
    if variance == 0:
        return None
    gain = variance > 0
    move = MovementInput(
        sku=line.sku,
        from_location=ADJUSTMENT if gain else line.path,
        to_location=line.path if gain else ADJUSTMENT,
        quantity=from_micro(abs(variance), line.precision),
        lot=line.lot or None,
        serial=line.serial or None,
        ref_type="CC",
        ref_id=doc.number,
        reason=reason,
    )
    key = f"count:{doc.number}:{line.line_no}:{count_no}"
    return postings.post_in(uow, actor, [move], idempotency_key=key).posting_id


def _decide(
    uow: UnitOfWork,
    actor: Actor,
    doc: Any,
    line: Any,
    status: str,
    reason: str | None,
    *,
    variance: int,
    count_no: int,
) -> None:
    """Approve (posting ``variance``, from count number ``count_no``) or reject a line."""
    now = utcnow()
    posting_id = None
    if status == "approved":
        posting_id = _adjust(uow, actor, doc, line, variance, count_no, reason or AUTO_REASON)
    counting.update_line(
        uow.conn,
        actor.org_id,
        line.id,
        status=status,
        posting_id=posting_id,
        reason=reason,
        decided_at=now,
        decided_by=actor.user_id,
    )
    counting.resolve_discrepancies(uow.conn, actor.org_id, line.item_id, line.location_id, now)


def _record(
    uow: UnitOfWork,
    actor: Actor,
    doc: Any,
    line: Any,
    counted: int,
    settings: CountSettings,
    unit_cost: int,
) -> None:
    if line.status not in ("open", "recount"):
        waiting = (
            "waits for a manager's decision"
            if line.status == "review"
            else f"is {line.status} already: it is counted, nothing more to record there"
        )
        raise Conflict(
            f"line {line.line_no} of {doc.number} ({line.sku} at {line.path}) {waiting}",
            code="line_not_countable",
            line=line.line_no,
        )
    conn, org = uow.conn, actor.org_id
    book = counting.book_of(conn, org, line.item_id, line.location_id, line.lot, line.serial)
    abc = line.abc or "C"
    tolerance = to_micro(settings.tolerance(abc, from_micro(book)))
    within = abs(counted - book) <= tolerance
    first = line.status == "open"
    now = utcnow()
    values: dict[str, Any] = {
        "counted": counted,
        "book": book,
        "tolerance": tolerance,
        "unit_cost": unit_cost,
        "recorded_at": now,
        "recorded_by": actor.user_id,
        "count_no": line.count_no + 1,
    }
    if first:
        values |= {"first_counted": counted, "first_book": book, "first_at": now}
        values["first_within"] = within
    if not within:
        values["status"] = "recount" if first else "review"
    counting.update_line(conn, org, line.id, **values)
    if counted != book:
        events.emit(
            uow,
            actor,
            "count.variance",
            "count",
            doc.number,
            {
                "count": doc.number,
                "line_no": line.line_no,
                "sku": line.sku,
                "location": line.path,
                "lot": line.lot or None,
                "serial": line.serial or None,
                "book": from_micro(book, line.precision),
                "counted": from_micro(counted, line.precision),
                "variance": from_micro(counted - book, line.precision),
                "within_tolerance": within,
                "next": "approved" if within else values["status"],
            },
        )
    if within:
        _decide(
            uow,
            actor,
            doc,
            line,
            "approved",
            AUTO_REASON,
            variance=counted - book,
            count_no=line.count_no + 1,
        )


def _check_entry(n: int, e: CountEntry, item: Any) -> tuple[str, str, int]:
    where = f"entry {n}: "
    if item is None:
        raise InvalidInput(f"{where}SKU {e.sku[:80]!r} not found", code="sku_not_found", line=n)
    lot, serial = e.lot or "", e.serial or ""
    for text, what in ((lot, "lot"), (serial, "serial")):
        if text:
            check_text(text, field=what, limit=64)
    if item.tracking is Tracking.LOT and (not lot or serial):
        raise InvalidInput(f"{where}{item.sku} is lot-tracked: name the lot", code="lot_required")
    if item.tracking is Tracking.SERIAL and (not serial or lot or e.quantity not in (0, 1)):
        raise InvalidInput(
            f"{where}{item.sku} is serial-tracked: count each serial as 1 (present) or 0",
            code="serial_required",
        )
    if item.tracking is Tracking.NONE and (lot or serial):
        raise InvalidInput(
            f"{where}{item.sku} is tracked by neither lot nor serial", code="not_tracked"
        )
    if e.quantity != 0:
        check_quantity(e.quantity, precision=item.precision, uom=item.uom, field=f"{where}quantity")
    elif not e.quantity.is_finite():
        raise InvalidInput(f"{where}quantity must be a number", code="invalid_number")
    return lot, serial, to_micro(e.quantity)


def record_counts(
    db: Database,
    actor: Actor,
    number: str,
    *,
    location: str,
    entries: list[CountEntry],
    complete: bool = False,
    idempotency_key: str | None = None,
    unchanged_since: str | None = None,
) -> dict[str, Any]:
    """Record what was counted at one location: a batch of (item, lot, serial, quantity), all
    or nothing. Stock the document did not list is added as a new line. With ``complete``, the
    batch is everything there is: the location's other uncounted lines are recorded as 0 (a
    scan or RFID read of a whole bin).

    The same ``idempotency_key`` again records nothing and answers the count as it is, with
    ``replayed`` true; with another batch it is refused. ``unchanged_since`` is the version
    of the location's lines (domain.counting.bin_version) the counter was shown: if a count
    was recorded there since, the batch is refused rather than counted as a recount."""
    actor.require(Permission.POST_MOVEMENTS)
    if len(entries) > MAX_ENTRIES or (not entries and not complete):
        raise InvalidInput(f"record 1 to {MAX_ENTRIES} counts at a time", code="invalid_line_count")
    key = count_keys.checked_key(idempotency_key)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        doc = locked_document(uow, actor, number)
        loc = stock_location(uow, actor, location)
        todo = _keys(uow, actor, loc, entries)
        payload = count_keys.digest(doc, loc, todo, complete=complete)
        # A retry answers before the document's state is looked at: the first record may
        # have closed the count or decided the lines.
        if count_keys.recorded_already(uow, actor, key, payload):
            return count_out(uow, actor, document(uow, actor, number)) | {"replayed": True}
        if doc.status != "open":
            raise Conflict(f"count {number} is closed", code="count_closed")
        _check_in_scope(doc, loc)
        settings = settings_in(uow, org)
        lines = counting.lines_of(conn, org, doc.id)
        count_keys.check_unchanged(lines, loc, unchanged_since)
        lines = _with_found_lines(uow, actor, doc, loc, lines, [k for k, _ in todo])
        by_key = {(r.location_id, r.item_id, r.lot, r.serial): r for r in lines}
        if complete:
            given = {k for k, _ in todo}
            todo += [
                (k, 0)
                for k, r in sorted(by_key.items(), key=lambda kv: kv[1].line_no)
                if k[0] == loc.id and k not in given and r.status in ("open", "recount")
            ]
        if not todo:
            raise InvalidInput(f"nothing at {loc.path} is left to count", code="nothing_to_count")
        costs = counting.unit_costs(conn, org, sorted({k[1] for k, _ in todo}))
        for k, qty in todo:
            _record(uow, actor, doc, by_key[k], qty, settings, costs[k[1]])
        _close_if_done(uow, actor, doc)
        count_keys.remember(uow, actor, doc, loc, key, payload, len(todo))
        audit(uow, actor, "count", number, "recorded", location=loc.path, entries=len(todo))
        return count_out(uow, actor, document(uow, actor, number)) | {"replayed": False}

    return write_retrying(db, work)


Key = tuple[int, int, str, str]  # location, item, lot, serial ('' for none)


def _keys(
    uow: UnitOfWork, actor: Actor, loc: Any, entries: list[CountEntry]
) -> list[tuple[Key, int]]:
    """Each entry's line key and counted quantity (micro-units), checked."""
    refs = catalog.item_refs_by_sku(uow.conn, actor.org_id, [e.sku for e in entries])
    out: list[tuple[Key, int]] = []
    seen: set[Key] = set()
    for n, e in enumerate(entries, start=1):
        item = refs.get(e.sku)
        lot, serial, qty = _check_entry(n, e, item)
        assert item is not None
        key = (loc.id, item.id, lot, serial)
        if key in seen:
            raise InvalidInput(
                f"entry {n}: {e.sku} is counted twice in this batch", code="duplicate_entry"
            )
        seen.add(key)
        out.append((key, qty))
    return out


def _with_found_lines(
    uow: UnitOfWork, actor: Actor, doc: Any, loc: Any, lines: list[Any], keys: list[Key]
) -> list[Any]:
    """The document's lines, after adding one for each key it did not list (stock found)."""
    known = {(r.location_id, r.item_id, r.lot, r.serial) for r in lines}
    new = [k for k in keys if k not in known]
    if not new:
        return lines
    conn, org = uow.conn, actor.org_id
    latest = classification.latest_run(conn, org)
    abc = classification.abc_of_items(conn, org, None if latest is None else latest.id)
    next_no = max((r.line_no for r in lines), default=0)
    counting.insert_lines(
        conn,
        [
            line_row(
                org,
                doc.id,
                next_no + n,
                _Found(k[1], k[0], loc.warehouse_id, k[2], k[3]),
                abc.get(k[1], "C"),
                expected=False,
            )
            for n, k in enumerate(new, start=1)
        ],
    )
    return counting.lines_of(conn, org, doc.id)


@dataclass(frozen=True, slots=True)
class _Found:
    item_id: int
    location_id: int
    warehouse_id: int
    lot: str
    serial: str


def _check_in_scope(doc: Any, loc: Any) -> None:
    if doc.warehouse_id is not None and loc.warehouse_id != doc.warehouse_id:
        raise InvalidInput(
            f"{loc.path} is not in the warehouse {doc.warehouse} of count {doc.number}",
            code="location_outside_count",
        )
    if doc.kind == "location" and doc.scope is not None:
        lo, hi = subtree_bounds(doc.scope)
        if not (loc.path == doc.scope or lo <= loc.path < hi):
            raise InvalidInput(
                f"{loc.path} is not in {doc.scope}, the scope of count {doc.number}",
                code="location_outside_count",
            )


def _close_if_done(uow: UnitOfWork, actor: Actor, doc: Any) -> None:
    lines = counting.lines_of(uow.conn, actor.org_id, doc.id)
    if lines and all(r.status in DECIDED for r in lines):
        counting.update_document(
            uow.conn, actor.org_id, doc.id, status="closed", updated_at=utcnow()
        )
        audit(uow, actor, "count", doc.number, "closed")


# --- decisions -------------------------------------------------------------------------------


def _decide_lines(
    db: Database,
    actor: Actor,
    number: str,
    line_nos: list[int] | None,
    status: str,
    reason: str | None,
) -> dict[str, Any]:
    actor.require(Permission.MANAGE_COUNTS)
    if reason is not None:
        check_text(reason, field="reason", limit=64)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        conn, org = uow.conn, actor.org_id
        doc = locked_document(uow, actor, number)
        lines = {r.line_no: r for r in counting.lines_of(conn, org, doc.id)}
        if line_nos is None:
            chosen = [r for r in lines.values() if r.status == "review"]
        else:
            unknown = sorted(set(line_nos) - set(lines))
            if unknown:
                raise NotFound(
                    f"count {number} has no line {unknown[0]}", code="count_line_not_found"
                )
            chosen = [lines[n] for n in sorted(set(line_nos))]
        for line in chosen:
            if line.status == status:
                continue  # a retry: decided already, posted once
            if line.status != "review":
                raise Conflict(
                    f"line {line.line_no} of {number} is {line.status}: only a line beyond "
                    "tolerance after its recount waits for a decision",
                    code="line_not_in_review",
                    line=line.line_no,
                )
            _decide(
                uow,
                actor,
                doc,
                line,
                status,
                reason or status_reason(status),
                variance=line.counted - line.book,
                count_no=line.count_no,
            )
            audit(uow, actor, "count", number, status, line=line.line_no)
            if status == "approved":
                events.emit(
                    uow,
                    actor,
                    "count.approved",
                    "count",
                    number,
                    {
                        "count": number,
                        "line_no": line.line_no,
                        "sku": line.sku,
                        "location": line.path,
                        "variance": from_micro(line.counted - line.book, line.precision),
                        "reason": reason or status_reason(status),
                    },
                )
        _close_if_done(uow, actor, doc)
        return count_out(uow, actor, document(uow, actor, number))

    return write_retrying(db, work)


def status_reason(status: str) -> str:
    return AUTO_REASON if status == "approved" else "rejected"


def approve_lines(
    db: Database,
    actor: Actor,
    number: str,
    *,
    lines: list[int] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Approve lines awaiting a decision (all of them unless named): each posts its variance,
    counted - book when it was counted, to or from @adjustment with ``reason``. Approving an
    approved line again changes nothing."""
    return _decide_lines(db, actor, number, lines, "approved", reason)


def reject_lines(
    db: Database,
    actor: Actor,
    number: str,
    *,
    lines: list[int] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Reject lines awaiting a decision (all unless named): the book stays as it is."""
    return _decide_lines(db, actor, number, lines, "rejected", reason)
