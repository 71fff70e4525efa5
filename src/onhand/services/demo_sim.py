"""A day-by-day simulation of the demo company: what physically happens, as movements.

Each day, in this order: deliveries arrive at receiving (from @supplier, or from @transit for the
store), are put away to their bins, customers buy what is on the shelf (never more: a missed sale
is lost), expired lots are scrapped, stock counts find small differences (to and from
@adjustment), damaged units are scrapped, the store's replenishment leaves the central warehouse
through @transit, and purchase orders are placed for arrival after the supplier's lead time.

The simulation keeps its own picture of every bin, so every movement it plans is one the ledger
accepts; lines come out in time order, so any prefix of a day can be posted on its own.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from onhand.services.demo_catalog import DemoItem, Profile, Warehouse
from onhand.services.postings import MovementInput

TRANSIT_DAYS = 2
FORECAST_ALPHA = 0.1


@dataclass(slots=True)
class Packet:
    """Some stock of one lot or serial (or neither), in steps of the unit's precision."""

    qty: int
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None


@dataclass(slots=True)
class Slot:
    """One item in one warehouse: its bin, what the bin holds, and its replenishment."""

    item: DemoItem
    warehouse: Warehouse
    bin: str
    share: float
    forecast: float  # expected daily demand, in steps (smoothed from what customers asked)
    stock: list[Packet] = field(default_factory=list)  # first out first: FEFO for lots
    on_hand: int = 0
    on_order: int = 0
    source: Slot | None = None  # the slot a store is replenished from

    def take(self, qty: int) -> list[Packet]:
        """Remove up to ``qty`` from the bin, first packets first; return what was taken."""
        taken: list[Packet] = []
        while qty > 0 and self.stock:
            head = self.stock[0]
            if head.qty <= qty:
                taken.append(self.stock.pop(0))
                qty -= head.qty
            else:
                head.qty -= qty
                taken.append(Packet(qty, head.lot, head.expiry, head.serial))
                qty = 0
        self.on_hand -= sum(p.qty for p in taken)
        return taken

    def put(self, packets: list[Packet]) -> None:
        for p in packets:
            # Same lot (or no lot and no serial): one packet; serial units stay apart.
            same = (
                None
                if p.serial
                else next((s for s in self.stock if s.lot == p.lot and not s.serial), None)
            )
            if same is not None:
                same.qty += p.qty
            else:
                self.stock.append(Packet(p.qty, p.lot, p.expiry, p.serial))
            self.on_hand += p.qty
        if self.item.create.tracking == "lot":
            self.stock.sort(key=lambda s: (s.expiry or date.max, s.lot or ""))

    def order_levels(self) -> tuple[int, int]:
        """(reorder point, order-up-to level) in steps, from the demand forecast."""
        item = self.item
        lead = TRANSIT_DAYS if self.source is not None else item.lead_time
        daily = max(self.forecast, item.pack * 0.05)
        cover = 21.0
        if item.create.shelf_life_days:
            cover = min(cover, item.create.shelf_life_days / 3)
        reorder = math.ceil(daily * (lead + 2) * 1.4) + item.pack
        return reorder, reorder + math.ceil(daily * cover)


@dataclass(slots=True)
class Arrival:
    slot: Slot
    source: str  # "@supplier" or "@transit"
    ref_type: str
    ref_id: str
    qty: int = 0  # from a supplier: the packets are made on arrival (lots are dated then)
    packets: list[Packet] = field(default_factory=list)


class Simulation:
    """The company's stock, day by day."""

    def __init__(
        self,
        rng: random.Random,
        items: list[DemoItem],
        warehouses: tuple[Warehouse, ...],
        start: date,
    ) -> None:
        self.rng = rng
        self.start = start
        self.arrivals: defaultdict[int, list[Arrival]] = defaultdict(list)
        self.counters: defaultdict[str, int] = defaultdict(int)
        self.lot_counter: defaultdict[str, int] = defaultdict(int)
        self.serial_counter: defaultdict[str, int] = defaultdict(int)
        self.slots: list[Slot] = []
        by_code = {w.code: w for w in warehouses}
        bins = {w.code: w.bin_paths() for w in warehouses}
        home: dict[tuple[str, str], Slot] = {}
        for item in items:
            for code in item.stocked_in:
                wh = by_code[code]
                slot = Slot(
                    item=item,
                    warehouse=wh,
                    bin=rng.choice(bins[code]),
                    share=wh.demand_share,
                    forecast=item.rate * wh.demand_share * item.pack,
                )
                home[(item.sku, code)] = slot
                self.slots.append(slot)
        for slot in self.slots:
            if slot.warehouse.supplied_by:
                slot.source = home.get((slot.item.sku, slot.warehouse.supplied_by))

    # Helpers ---------------------------------------------------------------------------------

    def _next(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{kind}-{self.counters[kind]:06d}"

    def _at(self, day: date, hour: int, minute: int | None = None) -> datetime:
        m = self.rng.randrange(60) if minute is None else minute
        return datetime(day.year, day.month, day.day, hour, m, self.rng.randrange(60), tzinfo=UTC)

    def _line(
        self,
        slot: Slot,
        p: Packet,
        src: str,
        dst: str,
        at: datetime,
        ref_type: str | None,
        ref_id: str | None,
        reason: str | None = None,
        expiry: date | None = None,
    ) -> MovementInput:
        item = slot.item.create
        return MovementInput(
            sku=item.sku,
            from_location=src,
            to_location=dst,
            quantity=Decimal(p.qty).scaleb(-item.precision),
            lot=p.lot,
            serial=p.serial,
            expiry_date=expiry,
            effective_at=at,
            ref_type=ref_type,
            ref_id=ref_id,
            reason=reason,
        )

    def _new_packets(self, slot: Slot, qty: int, day: date) -> list[Packet]:
        """Fresh stock from a supplier: a new lot (dated today), or numbered serial units."""
        item = slot.item.create
        if item.tracking == "serial":
            out = []
            for _ in range(qty // slot.item.scale):
                self.serial_counter[item.sku] += 1
                out.append(
                    Packet(
                        slot.item.scale, serial=f"{item.sku}-SN{self.serial_counter[item.sku]:05d}"
                    )
                )
            return out
        if item.tracking == "lot":
            self.lot_counter[item.sku] += 1
            shelf = item.shelf_life_days or 365
            expiry = day + timedelta(days=shelf - self.rng.randint(0, shelf // 10))
            return [
                Packet(qty, lot=f"L{day:%y%m%d}-{self.lot_counter[item.sku]:03d}", expiry=expiry)
            ]
        return [Packet(qty)]

    def _demand(self, slot: Slot, index: int, day: date) -> int:
        """What customers ask for at this slot today, in steps."""
        item, rng = slot.item, self.rng
        week = slot.warehouse.weekday[day.weekday()]
        if item.profile is Profile.INTERMITTENT:
            # Demand on few days: the rate is the chance of an order on a given day.
            if rng.random() >= min(item.rate, 0.25) * slot.share * week:
                return 0
            return item.pack * (1 + int(rng.expovariate(0.5)))
        rate = item.rate * slot.share * week
        if item.profile is Profile.SEASONAL:
            angle = 2 * math.pi * (day.timetuple().tm_yday - item.peak_day) / 365.25
            rate *= 1 + item.amplitude * math.cos(angle)
        elif item.profile is Profile.TRENDING:
            rate *= max(0.1, 1 + item.slope * (index / 365 - 0.5))
        return item.pack * poisson(rng, rate)

    # The simulation --------------------------------------------------------------------------

    def opening(self, day: date) -> list[MovementInput]:
        """Opening stock counted into the bins at go-live, from @adjustment."""
        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        lines = []
        for slot in self.slots:
            _, up_to = slot.order_levels()
            qty = self._round_case(slot, int(up_to * self.rng.uniform(0.6, 1.0)))
            packets = self._new_packets(slot, qty, day - timedelta(days=self.rng.randint(0, 10)))
            slot.put(packets)
            lines += [
                self._line(
                    slot,
                    p,
                    "@adjustment",
                    slot.bin,
                    at,
                    "GOLIVE",
                    "opening",
                    "opening_balance",
                    p.expiry,
                )
                for p in packets
            ]
        return lines

    def day(self, index: int) -> list[MovementInput]:
        """Every movement of day ``index`` (0 = the first day), in time order."""
        day = self.start + timedelta(days=index)
        receipts, putaway = self._arrivals(index, day)
        sales = self._sales(index, day)
        losses = self._expired(day) + self._counts(day) + self._damage(day)
        transfers = self._replenish(index, day)
        return receipts + putaway + sales + losses + transfers

    def _arrivals(self, index: int, day: date) -> tuple[list[MovementInput], list[MovementInput]]:
        receipts, putaway = [], []
        for arrival in self.arrivals.pop(index, []):
            slot = arrival.slot
            packets = arrival.packets or self._new_packets(slot, arrival.qty, day)
            recv = slot.warehouse.receiving
            at = self._at(day, 6)
            from_supplier = arrival.source == "@supplier"
            for p in packets:
                line = self._line(
                    slot,
                    p,
                    arrival.source,
                    recv,
                    at,
                    arrival.ref_type,
                    arrival.ref_id,
                    None,
                    p.expiry if from_supplier else None,
                )
                if from_supplier:  # prices creep up over the years, so FIFO layers differ
                    cost = slot.item.create.unit_cost * (1 + Decimal(index) / 5000)
                    line = replace(line, unit_cost=cost.quantize(Decimal("0.0001")))
                receipts.append(line)
                putaway.append(
                    self._line(
                        slot, p, recv, slot.bin, at + timedelta(hours=1), "PUTAWAY", arrival.ref_id
                    )
                )
            slot.put(packets)
            slot.on_order -= sum(p.qty for p in packets)
        return receipts, putaway

    def _sales(self, index: int, day: date) -> list[MovementInput]:
        lines = []
        for slot in self.slots:
            want = self._demand(slot, index, day)
            slot.forecast += FORECAST_ALPHA * (want - slot.forecast)
            if want == 0 or slot.on_hand == 0:
                continue
            at, ref = self._at(day, self.rng.randint(8, 19)), self._next("SO")
            lines += [
                self._line(slot, p, slot.bin, "@customer", at, "SO", ref) for p in slot.take(want)
            ]
        return lines

    def _expired(self, day: date) -> list[MovementInput]:
        lines = []
        for slot in self.slots:
            while slot.stock and slot.stock[0].expiry is not None and slot.stock[0].expiry <= day:
                p = slot.stock[0]
                at = self._at(day, 20)
                lines += [
                    self._line(
                        slot, q, slot.bin, "@scrap", at, "SCRAP", self._next("SCR"), "expired"
                    )
                    for q in slot.take(p.qty)
                ]
        return lines

    def _counts(self, day: date) -> list[MovementInput]:
        """A few cycle counts a day find a small loss (more often) or a gain."""
        lines = []
        for _ in range(poisson(self.rng, 1.5)):
            slot = self.rng.choice(self.slots)
            if slot.item.create.tracking == "serial" or not slot.stock:
                continue
            at, ref = self._at(day, 20), self._next("CNT")
            qty = slot.item.pack * self.rng.randint(1, 3)
            if self.rng.random() < 0.7:
                lines += [
                    self._line(slot, p, slot.bin, "@adjustment", at, "COUNT", ref, "count_loss")
                    for p in slot.take(qty)
                ]
            else:
                found = Packet(qty, slot.stock[-1].lot, slot.stock[-1].expiry)
                slot.put([found])
                lines.append(
                    self._line(slot, found, "@adjustment", slot.bin, at, "COUNT", ref, "count_gain")
                )
        return lines

    def _damage(self, day: date) -> list[MovementInput]:
        lines = []
        for _ in range(poisson(self.rng, 0.4)):
            slot = self.rng.choice(self.slots)
            if slot.on_hand:
                at, ref = self._at(day, 20), self._next("SCR")
                lines += [
                    self._line(slot, p, slot.bin, "@scrap", at, "SCRAP", ref, "damaged")
                    for p in slot.take(slot.item.pack)
                ]
        return lines

    def _replenish(self, index: int, day: date) -> list[MovementInput]:
        """Purchase orders (no movement until they arrive) and store transfers via @transit."""
        lines = []
        for slot in self.slots:
            reorder, up_to = slot.order_levels()
            position = slot.on_hand + slot.on_order
            if position > reorder:
                continue
            qty = self._round_case(slot, up_to - position)
            if slot.source is None:
                arrive = index + slot.item.lead_time + self.rng.randint(-1, 1)
                self.arrivals[max(arrive, index + 1)].append(
                    Arrival(slot, "@supplier", "PO", self._next("PO"), qty=qty)
                )
                slot.on_order += qty
                continue
            packets = slot.source.take(min(qty, slot.source.on_hand))
            if not packets:
                continue
            at, ref = self._at(day, 21), self._next("TR")
            lines += [
                self._line(slot.source, p, slot.source.bin, "@transit", at, "TR", ref)
                for p in packets
            ]
            self.arrivals[index + TRANSIT_DAYS].append(
                Arrival(slot, "@transit", "TR", ref, packets=packets)
            )
            slot.on_order += sum(p.qty for p in packets)
        return lines

    def _round_case(self, slot: Slot, qty: int) -> int:
        case = slot.item.case
        return max(case, -(-qty // case) * case)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: Knuth's method for small means, a normal approximation above."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
