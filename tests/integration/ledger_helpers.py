"""Builders shared by the ledger's integration tests: a small organisation with items and a
location tree, shorthand for postings, and snapshots of everything a posting may change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from onhand.domain.access import Actor
from onhand.services import items, locations, postings, queries
from onhand.services.postings import MovementInput, PostingResult
from onhand.store import tables
from onhand.store.unit_of_work import Database

# sku -> (uom, precision, tracking, shelf life in days)
ITEMS: dict[str, tuple[str, int, str, int | None]] = {
    "BOLT": ("ea", 0, "none", None),
    "FLOUR": ("kg", 3, "none", None),
    "MILK": ("l", 1, "lot", 10),
    "PHONE": ("ea", 0, "serial", None),
}
# path -> (kind, allow_negative); parents come first.
LOCATIONS: dict[str, tuple[str, bool]] = {
    "WH1": ("internal", False),
    "WH1/RECV": ("internal", False),
    "WH1/A": ("internal", False),
    "WH1/A/01": ("internal", False),
    "WH1/A/02": ("internal", False),
    "WH1/NEG": ("internal", True),
    "WH1/TRUCK": ("transit", False),
    "WH2": ("internal", False),
    "WH2/STOCK": ("internal", False),
}
STOCK = [p for p in LOCATIONS if p not in ("WH1", "WH2")]
VIRTUAL = ["@supplier", "@customer", "@adjustment", "@scrap", "@transit"]
TABLES = (
    tables.balances,
    tables.movements,
    tables.postings,
    tables.lots,
    tables.serials,
    tables.chain_heads,
)


@dataclass
class World:
    db: Database
    actor: Actor

    @property
    def org_id(self) -> int:
        return self.actor.org_id


def build_world(db: Database, actor: Actor) -> World:
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(
                sku=sku,
                name=sku.title(),
                uom=uom,
                precision=precision,
                tracking=tracking,
                shelf_life_days=shelf,
            )
            for sku, (uom, precision, tracking, shelf) in ITEMS.items()
        ],
    )
    for path, (kind, negative) in LOCATIONS.items():
        parent, _, code = path.rpartition("/")
        locations.create_location(
            db, actor, code=code, parent=parent or None, kind=kind, allow_negative=negative
        )
    return World(db=db, actor=actor)


def mv(
    sku: str,
    source: str,
    destination: str,
    quantity: str | int,
    *,
    lot: str | None = None,
    serial: str | None = None,
    expiry: date | None = None,
    at: datetime | None = None,
    ref: str | None = None,
) -> MovementInput:
    return MovementInput(
        sku=sku,
        from_location=source,
        to_location=destination,
        quantity=Decimal(str(quantity)),
        lot=lot,
        serial=serial,
        expiry_date=expiry,
        effective_at=at,
        ref_type="TEST" if ref else None,
        ref_id=ref,
    )


def post(w: World, *lines: MovementInput, key: str | None = None) -> PostingResult:
    return postings.post_movements(w.db, w.actor, list(lines), idempotency_key=key)


def snapshot(db: Database, org_id: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a posting may add or change, in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.reading() as uow:
        for table in TABLES:
            q = select(table)
            if org_id is not None:
                q = q.where(table.c.org_id == org_id)
            out[table.name] = sorted(tuple(r) for r in uow.conn.execute(q))
    return out


def on_hand(w: World, sku: str, **kwargs: Any) -> dict[tuple[str, str | None, str | None], Decimal]:
    """Stock of one item: (location, lot, serial) -> quantity, stock locations only."""
    got = queries.on_hand_by_item(w.db, w.actor, sku, **kwargs)
    return {
        (line["location"], line["lot"], line["serial"]): line["quantity"] for line in got["lines"]
    }


def total(w: World, sku: str, **kwargs: Any) -> Decimal:
    return Decimal(queries.on_hand_by_item(w.db, w.actor, sku, **kwargs)["total"])
