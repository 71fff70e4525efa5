"""Reconciling RFID reads against the book, as a count would: matched, missing, unexpected.

Plain data in, plain data out, so that the counting code can take a reconciliation and turn it
into count lines. Serial-tracked items are reconciled unit by unit (an SGTIN's serial against
the book's serial); other items are counted: each distinct tag is one unit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class BookLine:
    """What the book holds at a location: one serial, or a quantity of an item (and lot)."""

    sku: str
    location: str
    quantity: Decimal
    serial: str | None = None


@dataclass(frozen=True, slots=True)
class TagRead:
    """One distinct tag read, decoded and looked up: ``sku`` is None when no item has the
    GTIN; ``serialised`` says whether the item is serial-tracked."""

    epc: str
    gtin: str
    serial: str
    sku: str | None
    serialised: bool = False


@dataclass(frozen=True, slots=True)
class Matched:
    sku: str
    serial: str
    location: str
    epc: str


@dataclass(frozen=True, slots=True)
class Unexpected:
    epc: str
    gtin: str
    serial: str
    sku: str | None
    reason: str  # unknown_gtin | not_in_book_here


@dataclass(frozen=True, slots=True)
class ItemCount:
    sku: str
    book: Decimal
    read: Decimal

    @property
    def difference(self) -> Decimal:
        return self.read - self.book


@dataclass(slots=True)
class Reconciliation:
    matched: list[Matched] = field(default_factory=list)
    missing: list[BookLine] = field(default_factory=list)
    unexpected: list[Unexpected] = field(default_factory=list)
    counts: list[ItemCount] = field(default_factory=list)


def serial_key(serial: str) -> str:
    """An SGTIN-96 serial is a number: book serials made of digits compare without leading
    zeros ("000123" is tag serial 123); any other serial compares as it is."""
    return (serial.lstrip("0") or "0") if serial.isascii() and serial.isdigit() else serial


def reconcile(book: Iterable[BookLine], reads: Iterable[TagRead]) -> Reconciliation:
    """Compare distinct tag reads with the book lines of the location that was read."""
    out = Reconciliation()
    units: dict[tuple[str, str], BookLine] = {}
    book_qty: dict[str, Decimal] = defaultdict(Decimal)
    for line in book:
        if line.serial is not None:
            units[(line.sku, serial_key(line.serial))] = line
        else:
            book_qty[line.sku] += line.quantity
    read_qty: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for r in reads:
        if r.sku is None:
            out.unexpected.append(Unexpected(r.epc, r.gtin, r.serial, None, "unknown_gtin"))
        elif not r.serialised:
            read_qty[r.sku] += 1
        else:
            key = (r.sku, serial_key(r.serial))
            unit = units.get(key)
            if unit is None:
                out.unexpected.append(
                    Unexpected(r.epc, r.gtin, r.serial, r.sku, "not_in_book_here")
                )
            elif key not in seen:
                seen.add(key)
                out.matched.append(Matched(r.sku, unit.serial or r.serial, unit.location, r.epc))
    out.missing = [line for key, line in units.items() if key not in seen]
    out.counts = [
        ItemCount(sku, book_qty.get(sku, Decimal(0)), Decimal(read_qty.get(sku, 0)))
        for sku in sorted(set(book_qty) | set(read_qty))
    ]
    return out
