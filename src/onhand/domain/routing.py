"""Routing: which warehouses ship which order lines.

Quantities are micro-unit integers. Availability is what each warehouse can ship per item (its
available-to-promise); a negative figure (an overcommitted warehouse) counts as nothing. Priority:
lower is preferred, a warehouse without one comes after every warehouse that has one, and equal
priorities are ordered by warehouse id.

Rules:
1. When one warehouse can ship the whole order, the best-priority such warehouse ships it all.
2. Otherwise the order is split over the fewest warehouses that together cover it. Among sets of
   that size, the one whose sorted priority list is lexicographically smallest wins, then the one
   whose sorted warehouse ids are. Within the chosen set each line goes whole to the
   best-priority warehouse that can still take it whole, largest lines placed first (so that a
   small line does not take the room a large one needed); only lines that fit nowhere whole are
   split over the set in priority order.
3. When no set covers the order, what can be filled is filled: per item, the smaller of the
   ordered quantity and the total available. That reduced order is routed by rules 1 and 2
   (fewest warehouses, then priority), so that a shortage does not scatter the rest of the order
   over more warehouses than it needs. The remainder is reported as unfilled.

Rules 1 and 2 are one search: sets by growing size, size one first. The search is exact over
subsets when at most ``EXACT_SEARCH_LIMIT`` warehouses hold anything useful (2**12 = 4096 subsets
at worst). Past that it is the greedy set-cover approximation: repeatedly take the warehouse
covering the largest share of what is still missing (each item weighted by the share of its need
covered, so units of different items do not swamp each other; ties by priority); it uses at most
about ln(n) times the fewest warehouses possible. A plan never names a warehouse that ships
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

from onhand.domain.errors import InvalidInput
from onhand.domain.quantities import micro_text

EXACT_SEARCH_LIMIT = 12

Stock = dict[int, dict[int, int]]  # warehouse id -> item id -> quantity
Rank = tuple[int, int]  # (0, priority), or (1, 0) for a warehouse without a priority


@dataclass(frozen=True, slots=True)
class OrderLine:
    """An order line, or the part of one that a shipment carries or leaves unfilled."""

    line_no: int
    item_id: int
    qty: int


@dataclass(frozen=True, slots=True)
class FulfilmentPlan:
    """Shipments per warehouse (best priority first) and what no warehouse can ship."""

    shipments: dict[int, tuple[OrderLine, ...]]
    unfilled: tuple[OrderLine, ...]

    @property
    def complete(self) -> bool:
        """True when every line is planned in full."""
        return not self.unfilled


def plan_fulfilment(
    lines: Sequence[OrderLine],
    availability: Mapping[int, Mapping[int, int]],
    *,
    priority: Mapping[int, int],
) -> FulfilmentPlan:
    """Route an order's lines over warehouses by the rules in the module docstring."""
    _check_lines(lines)
    ordered: defaultdict[int, int] = defaultdict(int)
    for line in lines:
        ordered[line.item_id] += line.qty
    stock: Stock = {
        wh: {item: max(0, per_item.get(item, 0)) for item in ordered}
        for wh, per_item in availability.items()
    }
    # What the order can get at all: the rest is unfilled whichever warehouses are chosen.
    target = {item: min(qty, sum(s[item] for s in stock.values())) for item, qty in ordered.items()}

    def rank(wh: int) -> Rank:
        return (0, priority[wh]) if wh in priority else (1, 0)

    useful = sorted(
        (wh for wh, s in stock.items() if any(s[i] > 0 and target[i] > 0 for i in target)),
        key=lambda wh: (rank(wh), wh),
    )
    if len(useful) <= EXACT_SEARCH_LIMIT:
        chosen = _fewest_covering(useful, stock, target, rank)
    else:
        chosen = _greedy_cover(useful, stock, target)
    chosen.sort(key=lambda wh: (rank(wh), wh))
    return _assign(lines, chosen, stock)


def _check_lines(lines: Iterable[OrderLine]) -> None:
    seen: set[int] = set()
    for line in lines:
        if line.line_no in seen:
            raise InvalidInput(
                f"line {line.line_no} appears twice in the order",
                code="duplicate_line",
                line=line.line_no,
            )
        seen.add(line.line_no)
        if line.qty <= 0:
            raise InvalidInput(
                f"line {line.line_no}: the quantity must be greater than zero, "
                f"got {micro_text(line.qty)}",
                code="quantity_not_positive",
                line=line.line_no,
            )


def _covers(warehouses: Iterable[int], stock: Stock, target: dict[int, int]) -> bool:
    whs = list(warehouses)
    return all(sum(stock[wh][item] for wh in whs) >= need for item, need in target.items())


def _fewest_covering(
    useful: list[int], stock: Stock, target: dict[int, int], rank: Callable[[int], Rank]
) -> list[int]:
    for size in range(1, len(useful) + 1):
        covering = [c for c in combinations(useful, size) if _covers(c, stock, target)]
        if covering:
            best = min(covering, key=lambda c: (sorted(map(rank, c)), sorted(c)))
            return list(best)
    return []  # nothing useful anywhere: everything is unfilled


def _greedy_cover(useful: list[int], stock: Stock, target: dict[int, int]) -> list[int]:
    missing = {item: need for item, need in target.items() if need > 0}
    chosen: list[int] = []
    candidates = list(useful)  # in priority order: max() keeps the first of equal shares
    while missing:
        best = max(candidates, key=lambda wh: _share(stock[wh], missing, target))
        candidates.remove(best)
        chosen.append(best)
        for item in list(missing):
            missing[item] -= min(missing[item], stock[best][item])
            if missing[item] == 0:
                del missing[item]
    return chosen


def _share(have: dict[int, int], missing: dict[int, int], target: dict[int, int]) -> Fraction:
    # Each item counts by the share of its need this warehouse would still cover.
    return sum(
        (Fraction(min(left, have[item]), target[item]) for item, left in missing.items()),
        Fraction(0),
    )


def _assign(lines: Sequence[OrderLine], chosen: list[int], stock: Stock) -> FulfilmentPlan:
    left = {wh: dict(stock[wh]) for wh in chosen}
    parts: dict[int, list[OrderLine]] = {wh: [] for wh in chosen}
    split: list[OrderLine] = []
    # First pass: whole lines, largest first, each to the best warehouse that can still take it.
    for line in sorted(lines, key=lambda ln: (-ln.qty, ln.line_no)):
        wh = next((w for w in chosen if left[w][line.item_id] >= line.qty), None)
        if wh is None:
            split.append(line)
            continue
        left[wh][line.item_id] -= line.qty
        parts[wh].append(line)
    # Second pass: what fits nowhere whole is split over the set in priority order.
    unfilled: list[OrderLine] = []
    for line in sorted(split, key=lambda ln: ln.line_no):
        need = line.qty
        for wh in chosen:
            take = min(need, left[wh][line.item_id])
            if take > 0:
                left[wh][line.item_id] -= take
                parts[wh].append(OrderLine(line.line_no, line.item_id, take))
                need -= take
        if need > 0:
            unfilled.append(OrderLine(line.line_no, line.item_id, need))
    shipments = {wh: tuple(sorted(p, key=lambda ln: ln.line_no)) for wh, p in parts.items() if p}
    return FulfilmentPlan(shipments, tuple(unfilled))
