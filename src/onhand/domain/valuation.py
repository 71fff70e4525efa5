"""Perpetual valuation of stock: cost layers, FIFO, LIFO, moving average and standard cost.

Pure rules over integers: quantities in micro-units, money in micro-units of the organisation's
currency, so every sum is exact and the store can add them up in SQL.

A *scope* is where stock is valued: a warehouse (every internal location below its root) or the
transit location. Stock moving inside a scope changes no value; stock entering or leaving one does,
and each such change is an :class:`Entry`.

Each item keeps, per scope, a :class:`Position` (quantity and book value) and its open cost layers
(what came in, when, at what actual cost). Layers are consumed oldest first (newest first under
LIFO), so they also give the age of the stock. The book value follows the method:

- fifo / lifo: the sum of the open layers;
- average: a running total; an issue takes value x taken / quantity;
- standard: quantity x the standard cost; the difference to the actual cost is a purchase price
  variance (``ppv``), an expense and not stock.

Stock issued beyond what is there (a location allowing negative stock) is valued at the last known
unit cost and owed as a *shortfall*; the next receipt first settles it, and the difference between
that estimate and the receipt's actual cost is a ``settlement`` entry, counted in the cost of goods
sold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import FACTOR


class Method(StrEnum):
    FIFO = "fifo"
    LIFO = "lifo"
    AVERAGE = "average"
    STANDARD = "standard"


METHODS = tuple(m.value for m in Method)
# Methods whose book value is the sum of the open layers.
LAYERED = frozenset({Method.FIFO, Method.LIFO})


def check_method(value: str) -> Method:
    try:
        return Method(value)
    except ValueError:
        raise InvalidInput(
            f"valuation method {value[:40]!r} is not one of {', '.join(METHODS)}",
            code="invalid_valuation_method",
        ) from None


class Kind(StrEnum):
    """What an entry records. ``expense`` is what it charges to the profit and loss account."""

    RECEIPT = "receipt"
    CUSTOMER_RETURN = "customer_return"  # negative cost of goods sold
    ADJUSTMENT = "adjustment"  # count gains and losses (shrinkage)
    ISSUE = "issue"  # to a customer: cost of goods sold
    SUPPLIER_RETURN = "supplier_return"
    SCRAP = "scrap"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    SETTLEMENT = "settlement"  # a shortfall's estimate corrected to the actual cost
    LANDED_COST = "landed_cost"
    PPV = "ppv"  # purchase price variance under standard cost
    REVALUATION = "revaluation"


# Entries that make up the cost of goods sold (their ``expense`` summed).
COGS_KINDS = frozenset({Kind.ISSUE, Kind.CUSTOMER_RETURN, Kind.SETTLEMENT, Kind.LANDED_COST})

# The entry kind of stock entering from, or leaving to, a location of each virtual kind.
IN_KINDS = {
    "supplier": Kind.RECEIPT,
    "customer": Kind.CUSTOMER_RETURN,
    "adjustment": Kind.ADJUSTMENT,
    "scrap": Kind.ADJUSTMENT,
}
OUT_KINDS = {
    "supplier": Kind.SUPPLIER_RETURN,
    "customer": Kind.ISSUE,
    "adjustment": Kind.ADJUSTMENT,
    "scrap": Kind.SCRAP,
}
# Stock leaving to a supplier is refunded at cost, and a receipt is paid at cost: no expense.
NO_EXPENSE = frozenset({Kind.RECEIPT, Kind.SUPPLIER_RETURN})


def share(value: int, part: int, whole: int) -> int:
    """``value x part / whole``, rounded half away from zero; all of it when part is whole."""
    if part == whole:
        return value
    num = abs(value) * part * 2 + whole
    out = num // (2 * whole)
    return out if value >= 0 else -out


def money(qty: int, unit_cost: int) -> int:
    """The value of ``qty`` micro-units at ``unit_cost`` (money micro-units per unit)."""
    return share(unit_cost, qty, FACTOR)


def unit_cost_of(value: int, qty: int) -> int:
    """Money micro-units per unit of a value held by a quantity (qty > 0)."""
    return share(value, FACTOR, qty)


@dataclass(slots=True)
class Layer:
    """An open cost layer: what is left of one arrival in a scope."""

    origin: int  # the receipt (or other arrival from outside) the stock first came in by
    received_at: datetime  # when it first came in: its age, kept across transfers
    qty: int
    value: int  # actual cost of what is left
    key: int | None = None  # the store's id; None until saved
    changed: bool = False


@dataclass(slots=True)
class Position:
    """One item in one scope."""

    qty: int = 0
    value: int = 0  # book value under the item's method
    short_qty: int = 0  # issued beyond the layers, owed to the next arrival
    short_value: int = 0  # what that shortfall was valued at
    last_unit_cost: int | None = None
    layers: list[Layer] = field(default_factory=list)
    closed: list[Layer] = field(default_factory=list)  # emptied layers, to delete from the store
    changed: bool = False

    def layer_value(self) -> int:
        return sum(layer.value for layer in self.layers) - self.short_value


@dataclass(frozen=True, slots=True)
class Slice:
    """Part of a layer taken out: it becomes a layer where it goes."""

    origin: int
    received_at: datetime
    qty: int
    value: int


@dataclass(frozen=True, slots=True)
class Fact:
    """One movement as valuation sees it. A scope is None outside any (supplier, customer, ...)."""

    movement_id: int
    at: datetime
    qty: int
    source_scope: int | None
    destination_scope: int | None
    source_kind: str
    destination_kind: str
    # The known cost of all of the stock coming in (at its price, or what it left at when this
    # undoes an issue); None takes the scope's current unit cost.
    value: int | None = None
    reverses: int | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    scope: int
    kind: Kind
    qty: int  # signed: + in, - out
    value: int  # change of the stock's book value
    expense: int  # charged to profit and loss
    at: datetime
    movement_id: int | None = None


class ItemValuation:
    """The valuation of one item over its scopes; :meth:`post` values its movements in order."""

    def __init__(
        self,
        *,
        method: Method,
        standard_cost: int,
        positions: dict[int, Position] | None = None,
    ) -> None:
        self.method = method
        # The standard cost under ``standard``, and the cost of last resort otherwise (the item's
        # catalogue cost), for stock arriving with no known cost where nothing is known yet.
        self.standard_cost = standard_cost
        self.positions: dict[int, Position] = positions if positions is not None else {}

    def position(self, scope: int) -> Position:
        pos = self.positions.get(scope)
        if pos is None:
            pos = self.positions[scope] = Position()
        return pos

    def current_unit_cost(self, scope: int) -> int:
        """What one more unit arriving with no known cost is worth in this scope."""
        if self.method is Method.STANDARD:
            return self.standard_cost
        pos = self.positions.get(scope)
        if pos is not None and pos.qty > 0:
            return unit_cost_of(pos.value, pos.qty)
        if pos is not None and pos.last_unit_cost is not None:
            return pos.last_unit_cost
        return self.standard_cost

    def post(self, fact: Fact) -> list[Entry]:
        """Value one movement: the entries it makes (none for a move inside one scope)."""
        src, dst = fact.source_scope, fact.destination_scope
        if src == dst:
            return []
        if src is None:
            assert dst is not None
            return self._arrive(fact, dst)
        value, slices = self._take(self.position(src), fact, src)
        if dst is None:
            kind = OUT_KINDS.get(fact.destination_kind, Kind.ADJUSTMENT)
            expense = 0 if kind in NO_EXPENSE else value
            return [Entry(src, kind, -fact.qty, -value, expense, fact.at, fact.movement_id)]
        out = Entry(src, Kind.TRANSFER_OUT, -fact.qty, -value, 0, fact.at, fact.movement_id)
        return [out, *self._put(self.position(dst), slices, value, fact, dst, Kind.TRANSFER_IN)]

    def _arrive(self, fact: Fact, scope: int) -> list[Entry]:
        if fact.value is None:
            unit = self.current_unit_cost(scope)
            actual = money(fact.qty, unit)
        else:
            actual = fact.value
            unit = unit_cost_of(actual, fact.qty)
        book = money(fact.qty, self.standard_cost) if self.method is Method.STANDARD else actual
        kind = IN_KINDS.get(fact.source_kind, Kind.ADJUSTMENT)
        pos = self.position(scope)
        pos.last_unit_cost = unit
        slices = [Slice(fact.movement_id, fact.at, fact.qty, actual)]
        entries = self._put(pos, slices, book, fact, scope, kind)
        if book != actual:
            entries.append(Entry(scope, Kind.PPV, 0, 0, actual - book, fact.at, fact.movement_id))
        return entries

    def _put(
        self,
        pos: Position,
        slices: list[Slice],
        book: int,
        fact: Fact,
        scope: int,
        kind: Kind,
    ) -> list[Entry]:
        """Stock arrives in a scope: settle any shortfall, then open layers for the rest."""
        expense = 0 if kind in NO_EXPENSE or kind is Kind.TRANSFER_IN else -book
        entries = [Entry(scope, kind, fact.qty, book, expense, fact.at, fact.movement_id)]
        pos.qty += fact.qty
        pos.value += book
        pos.changed = True
        if pos.short_qty:
            settled = min(fact.qty, pos.short_qty)
            estimate = share(pos.short_value, settled, pos.short_qty)
            slices, dropped = _drop_first(slices, settled)
            # Under fifo and lifo the book value is the layers', so the settled units' actual
            # cost is what their slices held; otherwise it is their share of the book value.
            actual = dropped if self.method in LAYERED else share(book, settled, fact.qty)
            pos.short_qty -= settled
            pos.short_value -= estimate
            if actual != estimate:
                pos.value += estimate - actual
                entries.append(
                    Entry(
                        scope,
                        Kind.SETTLEMENT,
                        0,
                        estimate - actual,
                        actual - estimate,
                        fact.at,
                        fact.movement_id,
                    )
                )
        for s in slices:
            pos.layers.append(Layer(s.origin, s.received_at, s.qty, s.value, changed=True))
        if self.method in LAYERED:
            pos.value = pos.layer_value()
        return entries

    def _take(self, pos: Position, fact: Fact, scope: int) -> tuple[int, list[Slice]]:
        """Stock leaves a scope: the layers it takes, and its book value."""
        wanted = fact.qty
        available = pos.qty if pos.qty > 0 else 0
        fallback = self.current_unit_cost(scope)
        slices = self._consume(pos, min(wanted, available), fact.reverses)
        short = wanted - sum(s.qty for s in slices)
        if self.method is Method.STANDARD:
            value = money(wanted, self.standard_cost)
        elif self.method is Method.AVERAGE:
            taken = wanted - short
            value = share(pos.value, taken, pos.qty) if taken else 0
            value += money(short, fallback)
        else:
            value = sum(s.value for s in slices) + money(short, fallback)
        if short:
            estimate = money(short, fallback)
            pos.short_qty += short
            pos.short_value += estimate
            slices.append(Slice(fact.movement_id, fact.at, short, estimate))
        pos.qty -= wanted
        pos.value -= value
        pos.changed = True
        if self.method in LAYERED:
            pos.value = pos.layer_value()
        return value, slices

    def _consume(self, pos: Position, qty: int, prefer: int | None) -> list[Slice]:
        order = list(pos.layers) if self.method is not Method.LIFO else pos.layers[::-1]
        if prefer is not None:  # a reversal takes back the very stock it undoes, where it can
            order.sort(key=lambda layer: layer.origin != prefer)
        slices: list[Slice] = []
        for layer in order:
            if qty == 0:
                break
            take = min(qty, layer.qty)
            value = share(layer.value, take, layer.qty)
            slices.append(Slice(layer.origin, layer.received_at, take, value))
            layer.qty -= take
            layer.value -= value
            layer.changed = True
            qty -= take
        emptied = [layer for layer in pos.layers if layer.qty == 0]
        if emptied:
            pos.closed.extend(layer for layer in emptied if layer.key is not None)
            pos.layers = [layer for layer in pos.layers if layer.qty > 0]
        return slices

    def add_cost(
        self, origin: int, origin_qty: int, amount: int, at: datetime, *, origin_scope: int
    ) -> list[Entry]:
        """A landed cost of ``amount`` on the arrival ``origin`` (``origin_qty`` came in at
        ``origin_scope``): the layers still holding some of it take their share; the share of
        what has already gone is a cost of goods sold. Under standard cost it is all a variance."""
        entries: list[Entry] = []
        placed = 0
        for scope, pos in self.positions.items():
            added = 0
            for layer in pos.layers:
                if layer.origin == origin:
                    part = share(amount, layer.qty, origin_qty)
                    layer.value += part
                    layer.changed = True
                    added += part
            if not added:
                continue
            placed += added
            pos.changed = True
            if self.method is Method.STANDARD:
                entries.append(Entry(scope, Kind.PPV, 0, 0, added, at))
            else:
                pos.value += added
                entries.append(Entry(scope, Kind.LANDED_COST, 0, added, 0, at))
        gone = amount - placed
        if gone:
            kind = Kind.PPV if self.method is Method.STANDARD else Kind.LANDED_COST
            entries.append(Entry(origin_scope, kind, 0, 0, gone, at))
        return entries

    def revalue(self, method: Method, standard_cost: int, at: datetime) -> list[Entry]:
        """Switch to another method or standard cost: each scope's book value becomes what the
        new rule gives for the stock held; the differences are revaluation entries."""
        self.method, self.standard_cost = method, standard_cost
        entries = []
        for scope, pos in self.positions.items():
            if method is Method.STANDARD:
                target = money(pos.qty, standard_cost)
            elif method is Method.AVERAGE:
                target = pos.value
            else:
                target = pos.layer_value()
            if target != pos.value:
                delta = target - pos.value
                pos.value = target
                pos.changed = True
                entries.append(Entry(scope, Kind.REVALUATION, 0, delta, -delta, at))
        return entries


def _drop_first(slices: list[Slice], qty: int) -> tuple[list[Slice], int]:
    """The slices without their first ``qty`` units (which settled a shortfall), and the value
    those units held."""
    out = []
    dropped = 0
    for s in slices:
        if qty >= s.qty:
            qty -= s.qty
            dropped += s.value
        elif qty:
            rest = s.qty - qty
            kept = share(s.value, rest, s.qty)
            dropped += s.value - kept
            out.append(Slice(s.origin, s.received_at, rest, kept))
            qty = 0
        else:
            out.append(s)
    return out, dropped


LANDED_COST_KINDS = ("freight", "duty", "handling", "insurance", "other")
ALLOCATION_BASES = ("value", "quantity", "weight")


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` (non-negative, not all zero), exactly:
    each share rounded down, the units left over to the largest remainders (ties: first)."""
    total = sum(weights)
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    sign = -1 if amount < 0 else 1
    whole = abs(amount)
    shares = [whole * w // total for w in weights]
    rest = whole - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(whole * weights[i] % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return [sign * s for s in shares]
