"""CSV import of opening balances: quantities posted from @adjustment, all or nothing.

Rows are checked with the posting rules the API applies (domain.movements.check_draft), against
the stored items, locations, lots and serials, and against each other; every bad row is listed by
line number and nothing is posted unless the whole file is good.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.items import ItemRef
from onhand.domain.locations import STOCK_KINDS, LocationRef
from onhand.domain.movements import MAX_BATCH, MovementDraft, check_draft
from onhand.services import postings
from onhand.services.common import utcnow
from onhand.services.csv_read import (
    ImportResult,
    Problem,
    Row,
    collect,
    decimal,
    iso_date,
    optional,
    read_rows,
    reject_if,
    required_text,
)
from onhand.services.postings import MovementInput
from onhand.store import catalog, ledger, sites
from onhand.store.unit_of_work import Database

BALANCE_COLUMNS = ("sku", "location", "quantity", "lot", "expiry_date", "serial")
OPENING_SOURCE = "@adjustment"
OPENING_REASON = "opening_balance"


def _movement_of(
    row: Row, item_map: dict[str, ItemRef], loc_map: dict[str, LocationRef]
) -> MovementInput:
    sku = required_text(row, "sku", "the SKU")
    path = required_text(row, "location", "the location")
    raw_qty = decimal(row, "quantity")
    if raw_qty is None:
        raise InvalidInput("the quantity is missing", code="value_missing")
    item = item_map.get(sku)
    if item is None:
        raise InvalidInput(f"SKU {sku[:80]!r} not found", code="sku_not_found")
    loc = loc_map.get(path)
    if loc is None:
        raise InvalidInput(f"location {path[:200]!r} not found", code="location_not_found")
    if loc.kind not in STOCK_KINDS:
        raise InvalidInput(
            f"{path!r} is a {loc.kind.value} location: stock cannot be held there",
            code="not_a_stock_location",
        )
    expiry = iso_date(row, "expiry_date")
    lot, serial = optional(row, "lot"), optional(row, "serial")
    if expiry is not None and lot is None:
        raise InvalidInput("expiry_date is given without a lot", code="expiry_without_lot")
    draft = MovementDraft(
        item=item,
        source=loc_map[OPENING_SOURCE],
        destination=loc,
        quantity=raw_qty,
        lot=lot,
        serial=serial,
        effective_at=utcnow(),
        ref_type=None,
        ref_id=None,
        reason=OPENING_REASON,
    )
    check_draft(draft, now=draft.effective_at)  # the posting rules, as the API applies them
    return MovementInput(
        sku=sku,
        from_location=OPENING_SOURCE,
        to_location=path,
        quantity=raw_qty,
        lot=lot,
        serial=serial,
        expiry_date=expiry,
        reason=OPENING_REASON,
    )


def import_balances(db: Database, actor: Actor, data: bytes) -> ImportResult:
    """Post the quantities of a CSV file as opening balances from @adjustment, all or nothing.

    The posting's idempotency key is derived from the file's content: importing the same file
    again changes nothing and says so (``replayed``). Files above the batch limit are posted as
    several postings in one transaction.
    """
    actor.require(Permission.POST_MOVEMENTS)
    problems: list[Problem] = []
    rows = read_rows(
        data,
        what="balances",
        columns=BALANCE_COLUMNS,
        required=("sku", "location", "quantity"),
        problems=problems,
    )
    key = f"import:balances:{hashlib.sha256(data).hexdigest()[:40]}"
    done = _imported_before(db, actor, key)
    if done is not None:
        return done
    check = _BalanceCheck.load(db, actor, rows)
    check.problems.extend(problems)
    for row in rows:
        check.row(row)
    reject_if(check.problems, "balances")
    lines = check.lines_with_expiry()
    if not lines:
        return ImportResult(rows=0)
    batches = [lines[i : i + MAX_BATCH] for i in range(0, len(lines), MAX_BATCH)]
    results = postings.post_batches(db, actor, batches, idempotency_key=key)
    return ImportResult(
        rows=len(rows),
        posting_ids=[r.posting_id for r in results],
        movements=len(lines),
        replayed=all(r.replayed for r in results),
    )


def _imported_before(db: Database, actor: Actor, key: str) -> ImportResult | None:
    """The result of an earlier import of the same file (same content, same key), if any.

    Checked before the rows: once imported, its serials are in stock and its rows would clash.
    """
    found: list[Any] = []
    with db.reading() as uow:
        while (
            row := ledger.find_posting(uow.conn, actor.org_id, f"{key}:{len(found) + 1}")
        ) is not None:
            found.append(row)
    if not found:
        return None
    return ImportResult(
        rows=sum(p.movement_count for p in found),
        posting_ids=[p.id for p in found],
        movements=sum(p.movement_count for p in found),
        replayed=True,
    )


@dataclass
class _BalanceCheck:
    """The state the rows of a balances file are checked against (and against each other)."""

    items: dict[str, ItemRef]
    locations: dict[str, LocationRef]
    lots: dict[tuple[int, str], Any]
    serial_places: dict[tuple[int, str], str | None]  # where a known serial is (None: nowhere)
    problems: list[Problem] = field(default_factory=list)
    lines: list[MovementInput] = field(default_factory=list)
    seen: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    lot_expiry: dict[tuple[str, str], tuple[date, int]] = field(default_factory=dict)
    serial_line: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Database, actor: Actor, rows: list[Row]) -> _BalanceCheck:
        with db.reading() as uow:
            conn, org = uow.conn, actor.org_id
            item_map = catalog.item_refs_by_sku(conn, org, [r.get("sku") for r in rows])
            paths = [r.get("location") for r in rows] + [OPENING_SOURCE]
            loc_map = sites.location_refs_by_path(conn, org, paths)
            ids = {
                r.get("sku"): item_map[r.get("sku")].id for r in rows if r.get("sku") in item_map
            }
            lot_pairs = [
                (ids[r.get("sku")], r.get("lot"))
                for r in rows
                if r.get("sku") in ids and r.get("lot")
            ]
            serial_pairs = [
                (ids[r.get("sku")], r.get("serial"))
                for r in rows
                if r.get("sku") in ids and r.get("serial")
            ]
            lot_rows = catalog.lots_by_code(conn, org, lot_pairs)
            serial_rows = catalog.serials_by_code(conn, org, serial_pairs)
            where = sites.location_refs_by_id(
                conn, org, [s.location_id for s in serial_rows.values() if s.location_id]
            )
        places = {
            k: where[s.location_id].path if s.location_id in where else None
            for k, s in serial_rows.items()
        }
        return cls(items=item_map, locations=loc_map, lots=lot_rows, serial_places=places)

    def row(self, row: Row) -> None:
        move = collect(
            self.problems, row.line, partial(_movement_of, row, self.items, self.locations)
        )
        if move is None:
            return
        message = self._clash(move, row.line)
        if message:
            self.problems.append(Problem(row.line, message))
        else:
            self.lines.append(move)

    def _clash(self, move: MovementInput, line: int) -> str | None:
        """A problem between this row and the others, or with what is stored already."""
        item = self.items[move.sku]
        if move.serial:
            pair = (move.sku, move.serial)
            if pair in self.serial_line:
                return f"serial {move.serial!r} of {move.sku} is already on line {self.serial_line[pair]}"
            self.serial_line[pair] = line
            place = self.serial_places.get((item.id, move.serial))
            if place is not None and place != OPENING_SOURCE:
                return f"serial {move.serial!r} of {move.sku} is already recorded at {place}"
        key = (move.sku, move.to_location, move.lot or "", move.serial or "")
        if key in self.seen:
            lot = f" lot {move.lot!r}" if move.lot else ""
            return (
                f"{move.sku}{lot} at {move.to_location} is already on line {self.seen[key]}: "
                "put the total on one line"
            )
        self.seen[key] = line
        if move.lot and move.expiry_date:
            return self._expiry_clash(item, move, line)
        return None

    def _expiry_clash(self, item: ItemRef, move: MovementInput, line: int) -> str | None:
        lot, expiry = move.lot or "", move.expiry_date
        stored = self.lots.get((item.id, lot))
        if stored is not None and stored.expiry_date and stored.expiry_date != expiry:
            return f"lot {lot!r} of {move.sku} expires on {stored.expiry_date}, not {expiry}"
        known = self.lot_expiry.get((move.sku, lot))
        if known is None:
            self.lot_expiry[(move.sku, lot)] = (expiry, line)  # type: ignore[assignment]
        elif known[0] != expiry:
            return (
                f"lot {lot!r} of {move.sku} expires on {known[0]} (line {known[1]}), not {expiry}"
            )
        return None

    def lines_with_expiry(self) -> list[MovementInput]:
        """Every line of a lot carries the lot's expiry, whichever line of the file gave it."""
        out = []
        for move in self.lines:
            known = self.lot_expiry.get((move.sku, move.lot or ""))
            if move.lot and known and move.expiry_date is None:
                move = replace(move, expiry_date=known[0])
            out.append(move)
        return out
