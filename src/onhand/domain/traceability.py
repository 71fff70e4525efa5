"""Traceability rules: what each movement of a lot or serial means for a trace, and the
reconciliation that says every unit received is accounted for.

Every location is either a stock location (internal, transit) or a virtual one (supplier,
customer, adjustment, scrap), and every movement takes a quantity from one to another. So for
one lot, over the whole ledger:

    received - returned to supplier + adjusted = on hand + shipped - returned + scrapped

where received is what came out of supplier locations, shipped what went into customer
locations, returned what came back out of them, scrapped the net into scrap, adjusted the net
out of adjustment locations, and on hand the stock locations' balances (transit included). The
identity holds for any ledger; what a trace checks is that the stored balances, the projection
the stock pages show, say the same as the movements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from onhand.domain.errors import Conflict, InvalidInput
from onhand.domain.items import Tracking
from onhand.domain.locations import STOCK_KINDS, LocationKind
from onhand.domain.quantities import micro_text

# Shipments refer to their sales order (SO); returns to it too when one was named (RMA).
ORDER_REFS = frozenset({"SO", "RMA"})
ORDER_GROUP = "order"
TRANSFER_REF = "TR"


class Category(StrEnum):
    """What one movement is, seen from the traced lot."""

    RECEIPT = "receipt"
    SUPPLIER_RETURN = "supplier_return"
    SHIPMENT = "shipment"
    CUSTOMER_RETURN = "customer_return"
    SCRAP = "scrap"
    SCRAP_REVERSED = "scrap_reversed"
    ADJUSTMENT_IN = "adjustment_in"
    ADJUSTMENT_OUT = "adjustment_out"
    TRANSFER = "transfer"
    MOVE = "move"  # within stock: put-away, pick, bin to bin


# The categories of the "other" table: neither receipts, shipments nor transfers.
OTHER = (
    Category.SUPPLIER_RETURN,
    Category.SCRAP,
    Category.SCRAP_REVERSED,
    Category.ADJUSTMENT_IN,
    Category.ADJUSTMENT_OUT,
)


def is_stock(kind: str) -> bool:
    """Whether a location of this kind holds physical stock (internal or transit)."""
    return kind in STOCK_KINDS


def category(src_kind: str, dst_kind: str, ref_type: str | None) -> Category:
    """A movement's category from its locations' kinds (the virtual side decides)."""
    if src_kind == LocationKind.SUPPLIER:
        return Category.RECEIPT
    if dst_kind == LocationKind.SUPPLIER:
        return Category.SUPPLIER_RETURN
    if dst_kind == LocationKind.CUSTOMER:
        return Category.SHIPMENT
    if src_kind == LocationKind.CUSTOMER:
        return Category.CUSTOMER_RETURN
    if dst_kind == LocationKind.SCRAP:
        return Category.SCRAP
    if src_kind == LocationKind.SCRAP:
        return Category.SCRAP_REVERSED
    if src_kind == LocationKind.ADJUSTMENT:
        return Category.ADJUSTMENT_IN
    if dst_kind == LocationKind.ADJUSTMENT:
        return Category.ADJUSTMENT_OUT
    return Category.TRANSFER if ref_type == TRANSFER_REF else Category.MOVE


def customer_group(ref_type: str | None) -> str:
    """How movements to and from customers are grouped: by order number for shipments and
    returns (a return names its order, or its own RMA number when it had none), else by the
    reference's type (a channel sale, a manual posting)."""
    return ORDER_GROUP if ref_type in ORDER_REFS else (ref_type or "")


@dataclass(frozen=True, slots=True)
class TraceKey:
    """What is traced: one lot or one serial of an item (ids)."""

    item_id: int
    lot_id: int | None = None
    serial_id: int | None = None


def recalled(
    sku: str, *, lot: str | None, serial: str | None, number: str, doing: str, line: int | None
) -> Conflict:
    """The refusal of ``doing`` (e.g. "go to a customer") to a lot or serial under an open
    recall: it may not until the recall is released."""
    what = f"lot {lot!r}" if lot else f"serial {serial!r}"
    where = f"movement {line}: " if line is not None else ""
    return Conflict(
        f"{where}{what} of {sku} is recalled ({number}): it may not {doing} until the recall "
        "is released",
        code="lot_recalled" if lot else "serial_recalled",
        recall=number,
        **({"line": line} if line is not None else {}),
    )


def check_tracking(sku: str, tracking: Tracking, *, lot: str | None, serial: str | None) -> None:
    """A trace names a lot of a lot-tracked item or a serial of a serial-tracked one."""
    if lot is not None and serial is not None:
        raise InvalidInput("trace a lot or a serial, not both", code="lot_and_serial")
    if tracking is Tracking.NONE:
        raise InvalidInput(
            f"item {sku!r} is tracked neither by lot nor by serial: there is nothing to trace",
            code="item_not_tracked",
        )
    if lot is None and serial is None:
        what = "lot" if tracking is Tracking.LOT else "serial"
        raise InvalidInput(f"name the {what} of {sku} to trace", code=f"{what}_required")
    if serial is not None and tracking is not Tracking.SERIAL:
        raise InvalidInput(
            f"item {sku!r} is tracked by lot, not by serial: name a lot", code="serial_not_tracked"
        )
    if lot is not None and tracking is not Tracking.LOT:
        raise InvalidInput(
            f"item {sku!r} is tracked by serial, not by lot: name a serial", code="lot_not_tracked"
        )


@dataclass(frozen=True, slots=True)
class Flow:
    """Movements of the lot between two kinds of location, summed (micro-units)."""

    src_kind: str
    dst_kind: str
    qty: int


@dataclass(frozen=True, slots=True)
class LocationBalance:
    """The lot at one stock location: the stored balance and the ledger's sum (micro-units)."""

    location_id: int
    kind: str
    stored: int
    ledger: int


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Where every unit went, in micro-units; ``balanced`` when the stored balances agree with
    the movements, location by location and in total."""

    received: int
    returned_to_supplier: int
    shipped: int
    returned: int
    scrapped: int  # net: into scrap less out of it
    adjusted: int  # net: found (out of adjustment) less lost (into it)
    on_hand: int  # stored balances in stock locations, transit included
    in_transit: int
    mismatched: tuple[int, ...] = field(default=())  # locations whose balance is not the ledger's

    @property
    def expected_on_hand(self) -> int:
        """What the movements leave on hand."""
        return (
            self.received
            - self.returned_to_supplier
            - self.shipped
            + self.returned
            - self.scrapped
            + self.adjusted
        )

    @property
    def difference(self) -> int:
        """Stored on hand less what the movements leave (0 when balanced)."""
        return self.on_hand - self.expected_on_hand

    @property
    def balanced(self) -> bool:
        return self.difference == 0 and not self.mismatched


def reconcile(flows: Iterable[Flow], balances: Iterable[LocationBalance]) -> Reconciliation:
    """The reconciliation of a lot from its flows between kinds of location and its balances."""
    into: dict[str, int] = defaultdict(int)
    out_of: dict[str, int] = defaultdict(int)
    for f in flows:
        into[f.dst_kind] += f.qty
        out_of[f.src_kind] += f.qty
    held = list(balances)
    return Reconciliation(
        received=out_of[LocationKind.SUPPLIER],
        returned_to_supplier=into[LocationKind.SUPPLIER],
        shipped=into[LocationKind.CUSTOMER],
        returned=out_of[LocationKind.CUSTOMER],
        scrapped=into[LocationKind.SCRAP] - out_of[LocationKind.SCRAP],
        adjusted=out_of[LocationKind.ADJUSTMENT] - into[LocationKind.ADJUSTMENT],
        on_hand=sum(b.stored for b in held if is_stock(b.kind)),
        in_transit=sum(b.stored for b in held if b.kind == LocationKind.TRANSIT),
        mismatched=tuple(sorted(b.location_id for b in held if b.stored != b.ledger)),
    )


def reconciliation_sentence(r: Reconciliation) -> str:
    """The reconciliation as an equation a person reads."""

    q = micro_text

    left = f"received {q(r.received)}"
    if r.returned_to_supplier:
        left += f" - returned to supplier {q(r.returned_to_supplier)}"
    if r.adjusted:
        left += (
            f" + found {q(r.adjusted)}" if r.adjusted > 0 else f" - lost {q(-r.adjusted)}"
        ) + " (adjustments)"
    right = f"on hand {q(r.expected_on_hand)}"
    if r.in_transit:
        right += f" (in transit {q(r.in_transit)})"
    right += f" + shipped {q(r.shipped)} - returned {q(r.returned)} + scrapped {q(r.scrapped)}"
    if r.balanced:
        return f"{left} = {right}: balanced"
    return (
        f"{left} = {right}, but the stored balances hold {q(r.on_hand)}"
        + (
            f" and differ from the ledger at {len(r.mismatched)} location(s)"
            if r.mismatched
            else ""
        )
        + ": run onhand verify"
    )


# Grouping movements as the trace's tables do: for the offline verifier, which recomputes the
# tables from the movements a proof carries, and for tests. The service does the same in SQL.


@dataclass(frozen=True, slots=True)
class Move:
    """One movement as a trace sees it: ids, micro-units, kinds of its two locations."""

    id: int
    posting_id: int
    src_id: int
    dst_id: int
    src_kind: str
    dst_kind: str
    qty: int
    at: datetime
    ref_type: str | None
    ref_id: str | None
    reason: str | None
    reverses_id: int | None = None

    @property
    def category(self) -> Category:
        return category(self.src_kind, self.dst_kind, self.ref_type)


Stamp = datetime | None


def _earliest(a: Stamp, b: Stamp) -> Stamp:
    return b if a is None or (b is not None and b < a) else a


def _latest(a: Stamp, b: Stamp) -> Stamp:
    return b if a is None or (b is not None and b > a) else a


@dataclass(slots=True)
class Tables:
    """A trace's quantities (micro-units) and dates grouped as its tables show them."""

    flows: dict[tuple[str, str], int] = field(default_factory=dict)
    # (posting, location it arrived at) -> received
    receipts: dict[tuple[int, int], int] = field(default_factory=dict)
    # (posting, location) -> [first effective_at, its ref_types, its ref_ids]
    receipt_info: dict[tuple[int, int], list[Any]] = field(default_factory=dict)
    # (group, reference) -> [shipped, returned]
    customers: dict[tuple[str, str | None], list[int]] = field(default_factory=dict)
    # (group, reference) -> [first shipped, last shipped, last returned]
    customer_dates: dict[tuple[str, str | None], list[Stamp]] = field(default_factory=dict)
    # number -> [sent, arrived]
    transfers: dict[str | None, list[int]] = field(default_factory=dict)
    transfer_dates: dict[str | None, list[Stamp]] = field(default_factory=dict)  # [first, last]
    # (category, ref_type, ref_id, reason) -> quantity
    other: dict[tuple[str, str | None, str | None, str | None], int] = field(default_factory=dict)
    other_dates: dict[tuple[str, str | None, str | None, str | None], list[Stamp]] = field(
        default_factory=dict
    )  # [first, last]
    ledger: dict[int, int] = field(default_factory=dict)  # stock location -> on hand


def tabulate(moves: Iterable[Move]) -> Tables:
    """Group a lot's movements into the trace's tables (the sums and dates the service reads
    with SQL)."""
    t = Tables()
    for m in moves:
        t.flows[(m.src_kind, m.dst_kind)] = t.flows.get((m.src_kind, m.dst_kind), 0) + m.qty
        if is_stock(m.dst_kind):
            t.ledger[m.dst_id] = t.ledger.get(m.dst_id, 0) + m.qty
        if is_stock(m.src_kind):
            t.ledger[m.src_id] = t.ledger.get(m.src_id, 0) - m.qty
        cat = m.category
        if m.src_kind == LocationKind.SUPPLIER:
            at = (m.posting_id, m.dst_id)
            t.receipts[at] = t.receipts.get(at, 0) + m.qty
            info = t.receipt_info.setdefault(at, [None, set(), set()])
            info[0] = _earliest(info[0], m.at)
            info[1].add(m.ref_type)
            info[2].add(m.ref_id)
        if LocationKind.CUSTOMER in (m.src_kind, m.dst_kind):
            key = (customer_group(m.ref_type), m.ref_id)
            row = t.customers.setdefault(key, [0, 0])
            dates = t.customer_dates.setdefault(key, [None, None, None])
            if m.dst_kind == LocationKind.CUSTOMER:
                row[0] += m.qty
                dates[0] = _earliest(dates[0], m.at)
                dates[1] = _latest(dates[1], m.at)
            if m.src_kind == LocationKind.CUSTOMER:
                row[1] += m.qty
                dates[2] = _latest(dates[2], m.at)
        if m.ref_type == TRANSFER_REF:
            # A reversal runs the other way and takes back where its original counted.
            pair = t.transfers.setdefault(m.ref_id, [0, 0])
            sign = 1 if m.reverses_id is None else -1
            leaves, reaches = m.src_kind != LocationKind.TRANSIT, m.dst_kind != LocationKind.TRANSIT
            if leaves if sign > 0 else reaches:
                pair[0] += sign * m.qty
            if reaches if sign > 0 else leaves:
                pair[1] += sign * m.qty
            span = t.transfer_dates.setdefault(m.ref_id, [None, None])
            span[0], span[1] = _earliest(span[0], m.at), _latest(span[1], m.at)
        if cat in OTHER:
            key4 = (cat.value, m.ref_type, m.ref_id, m.reason)
            t.other[key4] = t.other.get(key4, 0) + m.qty
            span = t.other_dates.setdefault(key4, [None, None])
            span[0], span[1] = _earliest(span[0], m.at), _latest(span[1], m.at)
    return t


def reconcile_tables(
    t: Tables, stored: Mapping[int, int], kinds: Mapping[int, str]
) -> Reconciliation:
    """The reconciliation of tabulated movements against stored balances per location."""
    flows = [Flow(s, d, q) for (s, d), q in t.flows.items()]
    ids = set(t.ledger) | set(stored)
    balances = [
        LocationBalance(
            i, kinds.get(i, LocationKind.INTERNAL), stored.get(i, 0), t.ledger.get(i, 0)
        )
        for i in ids
    ]
    return reconcile(flows, balances)


def totals(r: Reconciliation) -> dict[str, int]:
    """A reconciliation's quantities by name (micro-units), as a trace states them."""
    return {
        "received": r.received,
        "returned_to_supplier": r.returned_to_supplier,
        "shipped": r.shipped,
        "returned": r.returned,
        "scrapped": r.scrapped,
        "adjusted": r.adjusted,
        "expected_on_hand": r.expected_on_hand,
        "on_hand": r.on_hand,
        "in_transit": r.in_transit,
    }
