"""Valuing movements as they are posted: the perpetual valuation every report reads.

``value_items`` runs inside each posting's transaction, after its movements are written and while
the posting holds its items' chain locks, so an item's movements are valued one posting at a time,
in chain order (the order they were recorded). Entries are dated by the movement's effective time,
so "the value on March 3rd" is a sum over entries, as "the quantity on March 3rd" is a sum over
movements. ``catch_up`` values what an upgrade left behind (movements posted before valuation
existed) before a report reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from onhand.domain import valuation_totals as totals
from onhand.domain.chain import GENESIS
from onhand.domain.errors import InvalidInput
from onhand.domain.items import check_currency
from onhand.domain.quantities import FACTOR, check_money, to_micro
from onhand.domain.valuation import (
    Entry,
    Fact,
    ItemValuation,
    Kind,
    Layer,
    Method,
    Position,
    share,
)
from onhand.services.common import utcnow
from onhand.store import locking
from onhand.store import valuation as store
from onhand.store import valuation_totals as totals_store
from onhand.store.unit_of_work import Database, UnitOfWork

CATCH_UP_CHUNK = 200


def scope_of(kind: str, location_id: int, warehouse_id: int | None) -> int | None:
    """The scope a location's stock is valued in: its warehouse, the transit location itself,
    or none (suppliers, customers, adjustment, scrap)."""
    if kind == "internal":
        return warehouse_id
    if kind == "transit":
        return location_id
    return None


@dataclass(frozen=True, slots=True)
class Costing:
    """The organisation's currency and methods."""

    currency: str
    method: Method
    by_category: dict[str, Method]

    def method_of(self, category: str | None) -> Method:
        if category is not None and category in self.by_category:
            return self.by_category[category]
        return self.method


def load_costing(uow: UnitOfWork, org_id: int) -> Costing:
    currency, method = store.settings(uow.conn, org_id)
    by_category = {c: Method(m) for c, m in store.category_method_map(uow.conn, org_id).items()}
    return Costing(currency, Method(method), by_category)


def convert(amount: Decimal, rate: Decimal) -> int:
    """An amount in another currency, in micro-units of the organisation's, rounded half up."""
    return int((amount * rate * FACTOR).to_integral_value(rounding=ROUND_HALF_UP))


def rate_for(uow: UnitOfWork, org_id: int, costing: Costing, currency: str, day: date) -> Decimal:
    """The rate in force on ``day`` for ``currency``; refused when none is known."""
    if currency == costing.currency:
        return Decimal(1)
    found = store.rate_on(uow.conn, org_id, currency, day)
    if found is None:
        raise InvalidInput(
            f"no exchange rate for {currency} on or before {day.isoformat()}: add one "
            f"(units of {costing.currency} for 1 {currency}) before valuing in {currency}",
            code="exchange_rate_missing",
        )
    return Decimal(found)


def catalogue_cost(unit_cost: int, currency: str, costing: Costing, rates: dict[str, Any]) -> int:
    """An item's catalogue cost in the organisation's currency, at ``rates[currency]`` (the
    rate in force today, or the first known; see catalogue_rates); 0 when its currency has no
    rate at all (the valuation report says so)."""
    if currency == costing.currency:
        return unit_cost
    found = rates.get(currency)
    if found is None:
        return 0
    return convert(Decimal(unit_cost) / FACTOR, Decimal(found))


def catalogue_rates(uow: UnitOfWork, org_id: int, currencies: set[str]) -> dict[str, Any]:
    """The rate each currency's catalogue costs are converted at: in force today, else the
    first known."""
    today = utcnow().date()
    return {c: store.nearest_rate(uow.conn, org_id, c, today) for c in sorted(currencies)}


@dataclass(frozen=True, slots=True)
class GivenCost:
    """The cost a posted arrival came with: a unit price in a currency (None: the
    organisation's)."""

    unit_price: Decimal
    currency: str | None = None


def price_arrivals(
    uow: UnitOfWork,
    org_id: int,
    costs: list[GivenCost | None],
    arrivals: list[tuple[int, date, bool]],
) -> list[dict[str, Any] | None]:
    """Check and convert the given costs of a posting's movements (``arrivals``: quantity in
    micro-units, effective day, and whether it brings stock into a scope from outside). Returns
    the movement_costs rows to write once the movements have ids."""
    if not any(costs):
        return [None] * len(costs)
    costing = load_costing(uow, org_id)
    out: list[dict[str, Any] | None] = []
    for n, (cost, (qty, day, arriving)) in enumerate(zip(costs, arrivals, strict=True), 1):
        if cost is None:
            out.append(None)
            continue
        where = f"movement {n}: " if len(costs) > 1 else ""
        if not arriving:
            raise InvalidInput(
                f"{where}a unit cost is taken only for stock arriving in a warehouse from a "
                "supplier, a customer or an adjustment; other movements are valued from the "
                "stock they take",
                code="unit_cost_not_allowed",
            )
        price = check_money(cost.unit_price, field="unit_cost")
        currency = check_currency(cost.currency or costing.currency)
        rate = rate_for(uow, org_id, costing, currency, day)
        out.append(
            {
                "org_id": org_id,
                "value": convert(price * qty / FACTOR, rate),
                "unit_price": to_micro(price),
                "currency": currency,
                "rate": str(rate),
            }
        )
    return out


def save_costs(uow: UnitOfWork, rows: list[dict[str, Any] | None]) -> None:
    """Keep the given costs of a posting's arrivals (rows from price_arrivals, with their
    movement ids)."""
    store.insert_movement_costs(uow.conn, [r for r in rows if r])


def value_items(uow: UnitOfWork, org_id: int, item_ids: list[int]) -> int:
    """Value the items' movements not valued yet, in chain order; how many were valued. The
    caller holds the items' chain locks (a posting does)."""
    conn = uow.conn
    rows = store.unvalued_movements(conn, org_id, item_ids)
    if not rows:
        return 0
    costing = load_costing(uow, org_id)
    by_item: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_item[r.item_id].append(r)
    books = load_books(uow, org_id, costing, list(by_item))
    bases = _bases(uow, org_id, rows)
    now = utcnow()
    entries: list[dict[str, Any]] = []
    seqs: dict[int, int] = {}
    for item_id, moves in by_item.items():
        book = books[item_id]
        for m in moves:
            fact = _fact(m, bases)
            made = book.post(fact)
            entries.extend(entry_row(item_id, e, now) for e in made)
            for e in made:  # an undo later in the same batch finds what this one took
                if e.qty < 0 and e.movement_id is not None:
                    bases.setdefault(("m", e.movement_id), (-e.value, -e.qty))
        seqs[item_id] = moves[-1].chain_seq
    save_books(uow, org_id, books)
    record_entries(uow, org_id, entries)
    store.save_valued_seq(conn, org_id, seqs)
    return len(rows)


def lock_items(uow: UnitOfWork, org_id: int, item_ids: list[int]) -> None:
    """Hold the items' valuation against postings: their chain heads, which every posting locks
    (PostgreSQL; SQLite writers are serialised already)."""
    locking.lock_chain_heads(uow.conn, org_id, item_ids, GENESIS)


def restate_items(uow: UnitOfWork, org_id: int, item_ids: list[int], now: datetime) -> int:
    """After an item's method or standard cost changed: each of its positions takes the value
    the rule now in force gives (revaluation entries for the differences). Returns how many
    entries were made."""
    if not item_ids:
        return 0
    lock_items(uow, org_id, item_ids)
    value_items(uow, org_id, item_ids)
    books = load_books(uow, org_id, load_costing(uow, org_id), item_ids)
    rows = []
    for item_id, book in books.items():
        made = book.revalue(book.method, book.standard_cost, now)
        rows.extend(entry_row(item_id, e, now) for e in made)
    save_books(uow, org_id, books)
    record_entries(uow, org_id, rows)
    return len(rows)


def catch_up(db: Database, org_id: int) -> int:
    """Value whatever movements of the organisation are not valued yet (after an upgrade);
    cheap when there are none. Returns how many were valued."""
    with db.reading() as uow:
        behind = store.items_behind(uow.conn, org_id)
    done = 0
    for part in locking.chunks(behind, CATCH_UP_CHUNK):
        ids = list(part)

        def work(uow: UnitOfWork, ids: list[int] = ids) -> int:
            lock_items(uow, org_id, ids)
            return value_items(uow, org_id, ids)

        done += db.write(work)
    return done


def _fact(m: Any, bases: dict[tuple[Any, ...], tuple[int, int]]) -> Fact:
    src = scope_of(m.src_kind, m.src_id, m.src_wh)
    dst = scope_of(m.dst_kind, m.dst_id, m.dst_wh)
    value = m.cost
    if value is None and src is None and dst is not None:
        basis = None
        if m.reverses_id is not None:
            basis = bases.get(("m", m.reverses_id))
        elif m.src_kind == "customer" and m.ref_type == "RMA" and m.ref_id:
            basis = bases.get(("so", m.item_id, m.ref_id))
        if basis is not None and basis[1] > 0:
            value = share(basis[0], m.qty, basis[1])
    return Fact(
        movement_id=m.id,
        at=m.effective_at,
        qty=m.qty,
        source_scope=src,
        destination_scope=dst,
        source_kind=m.src_kind,
        destination_kind=m.dst_kind,
        value=value,
        reverses=m.reverses_id,
    )


def _bases(uow: UnitOfWork, org_id: int, rows: list[Any]) -> dict[tuple[Any, ...], tuple[int, int]]:
    """What undone issues and customer returns against an order come back at."""
    undone = [r.reverses_id for r in rows if r.reverses_id is not None and r.cost is None]
    orders = sorted(
        {
            (r.item_id, r.ref_id)
            for r in rows
            if r.src_kind == "customer" and r.ref_type == "RMA" and r.ref_id and r.cost is None
        }
    )
    bases: dict[tuple[Any, ...], tuple[int, int]] = {}
    if undone:
        for mid, basis in store.entry_bases(uow.conn, org_id, undone).items():
            bases[("m", mid)] = basis
    if orders:
        for (item_id, ref), basis in store.issue_bases(uow.conn, org_id, orders).items():
            bases[("so", item_id, ref)] = basis
    return bases


def load_books(
    uow: UnitOfWork, org_id: int, costing: Costing, item_ids: list[int]
) -> dict[int, ItemValuation]:
    """The items' valuation as stored: positions and open layers, under today's rules."""
    conn = uow.conn
    infos = store.item_costing(conn, org_id, item_ids)
    positions: dict[int, dict[int, Position]] = defaultdict(dict)
    for p in store.positions_of(conn, org_id, item_ids):
        positions[p.item_id][p.scope_id] = Position(
            qty=p.qty,
            value=p.value,
            short_qty=p.short_qty,
            short_value=p.short_value,
            last_unit_cost=p.last_unit_cost,
        )
    for r in store.layers_of(conn, org_id, item_ids):
        pos = positions[r.item_id].setdefault(r.scope_id, Position())
        pos.layers.append(Layer(r.origin_movement_id, r.received_at, r.qty, r.value, key=r.id))
    foreign = {i.currency for i in infos.values()} - {costing.currency}
    rates = catalogue_rates(uow, org_id, foreign)
    books = {}
    for item_id in item_ids:
        info = infos[item_id]
        books[item_id] = ItemValuation(
            method=costing.method_of(info.category),
            standard_cost=catalogue_cost(info.unit_cost, info.currency, costing, rates),
            positions=positions[item_id],
        )
    return books


def save_books(uow: UnitOfWork, org_id: int, books: dict[int, ItemValuation]) -> None:
    """Write what changed in the books: positions, new, changed and emptied layers."""
    pos_rows: list[dict[str, Any]] = []
    new_layers: list[dict[str, Any]] = []
    changed: list[tuple[int, int, int]] = []
    closed: list[int] = []
    for item_id, book in books.items():
        for scope, pos in book.positions.items():
            if not pos.changed:
                continue
            pos_rows.append(
                {
                    "item_id": item_id,
                    "scope_id": scope,
                    "qty": pos.qty,
                    "value": pos.value,
                    "short_qty": pos.short_qty,
                    "short_value": pos.short_value,
                    "last_unit_cost": pos.last_unit_cost,
                }
            )
            for layer in pos.layers:
                if layer.key is None:
                    new_layers.append(
                        {
                            "item_id": item_id,
                            "scope_id": scope,
                            "origin_movement_id": layer.origin,
                            "received_at": layer.received_at,
                            "qty": layer.qty,
                            "value": layer.value,
                        }
                    )
                elif layer.changed:
                    changed.append((layer.key, layer.qty, layer.value))
            closed.extend(layer.key for layer in pos.closed if layer.key is not None)
            pos.closed.clear()
    store.save_positions(uow.conn, org_id, pos_rows)
    store.update_layers(uow.conn, changed)
    store.delete_layers(uow.conn, closed)
    store.insert_layers(uow.conn, org_id, new_layers)


def record_entries(uow: UnitOfWork, org_id: int, rows: list[dict[str, Any]]) -> None:
    """Write entries (``entry_row``s, in the order they were made) with their running totals.
    An entry dated before others of its item and scope rewrites their totals too."""
    conn = uow.conn
    by_pair: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        r["day"] = totals.day_number(r["at"])
        by_pair[(r["item_id"], r["scope_id"])].append(r)
    heads = totals_store.last_entries(conn, org_id, sorted({i for i, _ in by_pair}))
    rewritten: list[tuple[int, totals.Totals]] = []
    for (item_id, scope_id), new in by_pair.items():
        new.sort(key=lambda r: r["at"])  # stable: the order made within the same time
        head = heads.get((item_id, scope_id))
        if head is None or head.at <= new[0]["at"]:
            start = totals_store.totals_of(head) if head else totals.first(new[0]["day"])
            _run(start, new)
            continue
        # Back-dated: the new entries go in among the existing ones, whose totals move.
        before = totals_store.entry_at_or_before(conn, org_id, item_id, scope_id, new[0]["at"])
        later = totals_store.entries_after(conn, org_id, item_id, scope_id, new[0]["at"])
        merged: list[Any] = sorted(
            [*later, *new],
            key=lambda r: (r["at"], 1, 0) if isinstance(r, dict) else (r.at, 0, r.id),
        )
        running = totals_store.totals_of(before) if before else totals.first(new[0]["day"])
        for r in merged:
            if isinstance(r, dict):
                running = _run(running, [r])
            else:
                running = running.after(r.day, Kind(r.kind), r.qty, r.value, r.expense)
                if running != totals_store.totals_of(r):
                    rewritten.append((r.id, running))
    store.insert_entries(conn, org_id, rows)
    totals_store.update_totals(conn, rewritten)


def _run(start: totals.Totals, rows: list[dict[str, Any]]) -> totals.Totals:
    """Set the totals of new entry rows, in order, from those before them."""
    running = start
    for r in rows:
        running = running.after(r["day"], Kind(r["kind"]), r["qty"], r["value"], r["expense"])
        r.update((n, getattr(running, n)) for n in totals.TOTAL_FIELDS)
    return running


def entry_row(item_id: int, e: Entry, now: datetime, **extra: Any) -> dict[str, Any]:
    """An engine entry as a valuation_entries row."""
    return {
        "item_id": item_id,
        "scope_id": e.scope,
        "movement_id": e.movement_id,
        "kind": e.kind.value,
        "qty": e.qty,
        "value": e.value,
        "expense": e.expense,
        "at": e.at,
        "recorded_at": now,
        **extra,
    }
