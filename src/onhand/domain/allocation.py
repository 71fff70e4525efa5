"""Allocation: which stock units to pick for a demand, and in which order.

Quantities are micro-unit integers (see ``quantities``). A candidate ``StockUnit`` is what one
balance row offers: an item's quantity at one location, of one lot or serial when tracked.

Never allocated, whatever the tracking mode:
- held stock (the lot or the location is on hold);
- a lot whose expiry date is before ``today``; a lot expiring today is still allocatable (it can
  leave today);
- a candidate with a zero or negative quantity.

Pick order by tracking mode:
- untracked: FIFO, oldest ``received_at`` first, ties by location path then lot id;
- lot-tracked: FEFO, earliest expiry first, lots without expiry after every dated lot, then
  oldest ``received_at``, then location path;
- serial-tracked: whole units only; either exactly the serials asked for, in the order given, or
  the oldest received units first (ties by location path, then serial).

What cannot be covered is reported as ``short``, not refused: the caller decides whether a partial
allocation (and a backorder) is acceptable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from onhand.domain.errors import InvalidInput
from onhand.domain.items import Tracking
from onhand.domain.quantities import FACTOR, micro_text


@dataclass(frozen=True, slots=True)
class StockUnit:
    """Stock of one item at one location (and lot or serial) that may be picked."""

    location_id: int
    location_path: str
    lot_id: int | None
    lot_code: str | None
    expiry: date | None
    serial_id: int | None
    serial: str | None
    received_at: datetime
    qty: int
    held: bool  # the lot or the location is on hold


@dataclass(frozen=True, slots=True)
class Pick:
    """Take ``qty`` from ``unit``."""

    unit: StockUnit
    qty: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """Picks in pick order and the quantity no allocatable stock covers."""

    picks: tuple[Pick, ...]
    short: int

    @property
    def allocated(self) -> int:
        """Total quantity picked."""
        return sum(p.qty for p in self.picks)


def is_allocatable(unit: StockUnit, *, today: date) -> bool:
    """Not held, not expired before today, and holding a positive quantity."""
    return unit.qty > 0 and not unit.held and not _expired(unit, today)


def allocate(
    tracking: Tracking,
    candidates: Iterable[StockUnit],
    qty: int,
    *,
    today: date,
    serials: Sequence[str] | None = None,
) -> Allocation:
    """Choose the stock to pick for ``qty`` of one item, by the rules of its tracking mode.

    ``serials`` names the exact units to allocate and is only accepted for serial-tracked items.
    """
    if qty <= 0:
        raise InvalidInput(
            f"the quantity to allocate must be greater than zero, got {micro_text(qty)}",
            code="quantity_not_positive",
        )
    units = list(candidates)
    if tracking is not Tracking.SERIAL:
        if serials is not None:
            raise InvalidInput(
                "serial numbers were given for an item that is not serial-tracked",
                code="serial_not_tracked",
            )
        key = _fefo_key if tracking is Tracking.LOT else _fifo_key
        return _take_in_order(_allocatable_sorted(units, today, key), qty)
    if qty % FACTOR:
        raise InvalidInput(
            f"a serial-tracked item is allocated in whole units, got {micro_text(qty)}",
            code="serial_whole_units",
        )
    if serials is None:
        return _oldest_serials(units, qty // FACTOR, today)
    return _named_serials(units, serials, qty // FACTOR, today)


def _expired(unit: StockUnit, today: date) -> bool:
    return unit.expiry is not None and unit.expiry < today


def _lot_key(unit: StockUnit) -> tuple[bool, int]:
    return (unit.lot_id is not None, unit.lot_id or 0)


# Each key ends with the location id and serial so that equal-looking units still sort the same
# way every time: the same request always gets the same picks.
def _fifo_key(u: StockUnit) -> tuple[Any, ...]:
    return (u.received_at, u.location_path, _lot_key(u), u.location_id, u.serial or "")


def _fefo_key(u: StockUnit) -> tuple[Any, ...]:
    undated = u.expiry is None  # False sorts first: every dated lot before the undated ones
    return (
        undated,
        u.expiry or date.min,
        u.received_at,
        u.location_path,
        _lot_key(u),
        u.location_id,
        u.serial or "",
    )


def _serial_key(u: StockUnit) -> tuple[Any, ...]:
    return (u.received_at, u.location_path, u.serial or "", u.location_id)


def _allocatable_sorted(
    units: list[StockUnit], today: date, key: Callable[[StockUnit], tuple[Any, ...]]
) -> list[StockUnit]:
    return sorted((u for u in units if is_allocatable(u, today=today)), key=key)


def _take_in_order(units: list[StockUnit], qty: int) -> Allocation:
    picks: list[Pick] = []
    remaining = qty
    for unit in units:
        if remaining == 0:
            break
        take = min(unit.qty, remaining)
        picks.append(Pick(unit, take))
        remaining -= take
    return Allocation(tuple(picks), remaining)


def _is_whole_serial(unit: StockUnit, today: date) -> bool:
    # A serial is one physical unit: a row holding less than one unit is not a pickable serial.
    return unit.serial is not None and unit.qty >= FACTOR and is_allocatable(unit, today=today)


def _oldest_serials(units: list[StockUnit], count: int, today: date) -> Allocation:
    picks: list[Pick] = []
    seen: set[str] = set()
    for unit in sorted(units, key=_serial_key):
        if len(picks) == count:
            break
        serial = unit.serial
        if serial is not None and serial not in seen and _is_whole_serial(unit, today):
            seen.add(serial)
            picks.append(Pick(unit, FACTOR))
    return Allocation(tuple(picks), (count - len(picks)) * FACTOR)


def _named_serials(
    units: list[StockUnit], serials: Sequence[str], count: int, today: date
) -> Allocation:
    if len(serials) != count:
        raise InvalidInput(
            f"{len(serials)} serial numbers were given for a quantity of {count}",
            code="serial_count_mismatch",
            given=len(serials),
            quantity=count,
        )
    by_serial: dict[str, list[StockUnit]] = {}
    for candidate in sorted(units, key=_serial_key):
        if candidate.serial is not None:
            by_serial.setdefault(candidate.serial, []).append(candidate)
    picks: list[Pick] = []
    seen: set[str] = set()
    for serial in serials:
        if serial in seen:
            raise InvalidInput(
                f"serial {serial!r} is listed twice", code="duplicate_serial", serial=serial
            )
        seen.add(serial)
        found = by_serial.get(serial, [])
        unit = next((u for u in found if _is_whole_serial(u, today)), None)
        if unit is None:
            raise InvalidInput(
                f"serial {serial!r} {_why_unavailable(found, today)}",
                code="serial_not_available",
                serial=serial,
            )
        picks.append(Pick(unit, FACTOR))
    return Allocation(tuple(picks), 0)


def _why_unavailable(found: list[StockUnit], today: date) -> str:
    in_stock = [u for u in found if u.qty >= FACTOR]
    if not in_stock:
        return "is not in stock at the locations searched"
    if all(u.held for u in in_stock):
        return f"is on hold at {in_stock[0].location_path}"
    expired = next(u for u in in_stock if not u.held and _expired(u, today))
    return f"belongs to lot {expired.lot_code!r}, which expired on {expired.expiry}"
