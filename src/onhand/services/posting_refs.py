"""Lots and serials named by a posting: found or created, and serials moved, in its transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from onhand.domain.access import Actor
from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import ItemRef, Tracking
from onhand.domain.locations import STOCK_KINDS
from onhand.domain.movements import MovementDraft
from onhand.store import catalog, locking
from onhand.store.unit_of_work import UnitOfWork


def lot_ids(
    uow: UnitOfWork,
    actor: Actor,
    expiries: list[date | None],
    drafts: list[MovementDraft],
    now: datetime,
) -> dict[tuple[int, str], int]:
    """Ids of the lots named, creating new ones (expiry given, or from the item's shelf life).

    ``expiries`` holds each line's expiry date, if given, in the order of ``drafts``."""
    wanted: dict[tuple[int, str], tuple[ItemRef, date | None, datetime]] = {}
    for n, (given, d) in enumerate(zip(expiries, drafts, strict=True), start=1):
        if not d.lot:
            continue
        item, expiry, effective = wanted.setdefault(
            (d.item.id, d.lot), (d.item, given, d.effective_at)
        )
        # Every line that gives an expiry must agree, not only the first one naming the lot.
        if given is not None and expiry is not None and given != expiry:
            raise InvalidInput(
                f"movement {n}: lot {d.lot!r} of {item.sku} is given two expiry dates in one "
                f"posting ({expiry} and {given})",
                code="lot_expiry_mismatch",
                line=n,
            )
        if expiry is None:
            wanted[(d.item.id, d.lot)] = (item, given, effective)
    if not wanted:
        return {}
    conn, org = uow.conn, actor.org_id
    found = catalog.lots_by_code(conn, org, list(wanted))
    missing = []
    for pair, (item, expiry, effective) in wanted.items():
        if pair in found:
            lot = found[pair]
            if expiry and lot.expiry_date and lot.expiry_date != expiry:
                raise InvalidInput(
                    f"lot {pair[1]!r} of {item.sku} expires on {lot.expiry_date}, not {expiry}",
                    code="lot_expiry_mismatch",
                )
            continue
        if expiry is None and item.shelf_life_days:
            expiry = (effective + timedelta(days=item.shelf_life_days)).date()
        missing.append(
            {
                "org_id": org,
                "item_id": item.id,
                "code": pair[1],
                "expiry_date": expiry,
                "on_hold": False,
                "created_at": now,
                "created_by": actor.user_id,
            }
        )
    if missing:
        # Sorted: inserts of one new lot by two postings wait on each other like locks.
        catalog.insert_lots(conn, sorted(missing, key=lambda r: (r["item_id"], r["code"])))
        found = catalog.lots_by_code(conn, org, list(wanted))
    return {pair: row.id for pair, row in found.items()}


def serial_ids(
    uow: UnitOfWork, actor: Actor, drafts: list[MovementDraft], now: datetime
) -> dict[tuple[int, str], int]:
    pairs = {(d.item.id, d.serial) for d in drafts if d.serial}
    if not pairs:
        return {}
    conn, org = uow.conn, actor.org_id
    found = catalog.serials_by_code(conn, org, list(pairs))
    missing = sorted(p for p in pairs if p not in found)
    if missing:
        catalog.insert_serials(conn, org, missing, now, actor.user_id)
        found = catalog.serials_by_code(conn, org, list(pairs))
    return {pair: row.id for pair, row in found.items()}


def move_serials(
    uow: UnitOfWork, org: int, drafts: list[MovementDraft], serial_ids: dict[tuple[int, str], int]
) -> None:
    moves = [
        (
            serial_ids[(d.item.id, d.serial)],
            d.source.id,
            d.destination.id,
            d.source.kind not in STOCK_KINDS,
        )
        for d in drafts
        if d.item.tracking is Tracking.SERIAL and d.serial
    ]
    if not moves:
        return
    failed = set(locking.move_serials(uow.conn, org, moves))
    for d in drafts:
        if d.serial and serial_ids.get((d.item.id, d.serial)) in failed:
            raise Conflict(
                f"serial {d.serial!r} of {d.item.sku} is not at {d.source.path}",
                code="serial_not_at_location",
                sku=d.item.sku,
                serial=d.serial,
                location=d.source.path,
            )
