"""The demo company's master data: warehouses with zones, aisles and bins, and items across
categories, each with a demand profile (stable, seasonal, trending or intermittent).

Everything is drawn from a seeded random generator, so the same seed gives the same company.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from onhand.services.items import ItemCreate


class Profile(StrEnum):
    STABLE = "stable"
    SEASONAL = "seasonal"
    TRENDING = "trending"
    INTERMITTENT = "intermittent"


@dataclass(frozen=True, slots=True)
class Warehouse:
    code: str
    name: str
    zones: int
    aisles: int
    bins: int
    demand_share: float  # of an item's demand that this warehouse sees
    # Sunday..Saturday are quieter in a warehouse than in a shop (Monday first).
    weekday: tuple[float, ...]
    supplied_by: str | None = None  # None: buys from suppliers; else a warehouse code

    @property
    def receiving(self) -> str:
        return f"{self.code}/RECV"

    def bin_paths(self) -> list[str]:
        return [
            f"{self.code}/{chr(65 + z)}/{a:02d}/{b:02d}"
            for z in range(self.zones)
            for a in range(1, self.aisles + 1)
            for b in range(1, self.bins + 1)
        ]


WAREHOUSE_WEEK = (1.15, 1.1, 1.05, 1.1, 1.2, 0.3, 0.1)
STORE_WEEK = (0.8, 0.8, 0.9, 1.0, 1.2, 1.6, 0.7)
WAREHOUSES = (
    Warehouse("WH1", "Central warehouse", 3, 4, 5, 1.0, WAREHOUSE_WEEK),
    Warehouse("WH2", "North warehouse", 2, 3, 5, 0.6, WAREHOUSE_WEEK),
    Warehouse("WH3", "City store", 1, 2, 4, 0.35, STORE_WEEK, supplied_by="WH1"),
)


def location_specs(warehouses: tuple[Warehouse, ...] = WAREHOUSES) -> list[dict[str, object]]:
    """Specs for services.locations.create_locations, parents before children."""
    specs: list[dict[str, object]] = []

    def add(code: str, parent: str | None, name: str) -> None:
        specs.append(
            {
                "code": code,
                "parent": parent,
                "name": name,
                "kind": "internal",
                "allow_negative": False,
            }
        )

    for wh in warehouses:
        add(wh.code, None, wh.name)
        add("RECV", wh.code, f"{wh.name}: receiving dock")
        add("OUT", wh.code, f"{wh.name}: shipping dock")
        for z in range(wh.zones):
            zone = chr(65 + z)
            add(zone, wh.code, f"Zone {zone}")
            for a in range(1, wh.aisles + 1):
                add(f"{a:02d}", f"{wh.code}/{zone}", f"Aisle {a:02d}")
                for b in range(1, wh.bins + 1):
                    add(f"{b:02d}", f"{wh.code}/{zone}/{a:02d}", f"Bin {b:02d}")
    return specs


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    prefix: str
    products: tuple[str, ...]
    variants: tuple[str, ...]
    weight: float  # share of the catalogue
    uom: str = "ea"
    precision: int = 0
    pack: Decimal = Decimal(1)  # what one customer order line usually takes
    tracking: str = "none"
    shelf_life: tuple[int, int] | None = None
    cost: tuple[float, float] = (1.0, 20.0)
    rate: tuple[float, float] = (0.3, 6.0)  # orders per day at the central warehouse
    profiles: tuple[Profile, ...] = (Profile.STABLE,)
    peak_day: int = 0  # day of the year seasonal demand peaks on


SIZES = ("S", "M", "L", "XL")
MODELS = tuple(f"type {n}" for n in ("A", "B", "C", "D", "E", "F", "G", "H"))
CATEGORIES = (
    Category(
        "Hardware",
        "HW",
        ("Hex bolt", "Wood screw", "Wall plug", "Washer", "Hinge", "Cable tie", "Nail", "Bracket"),
        ("M4", "M5", "M6", "M8", "M10", "40 mm", "60 mm", "80 mm", "100 mm"),
        0.2,
        cost=(0.05, 4.0),
        rate=(1.0, 12.0),
        profiles=(Profile.STABLE, Profile.TRENDING),
    ),
    Category(
        "Garden",
        "GD",
        (
            "Garden hose",
            "Plant pot",
            "Watering can",
            "Pruning shears",
            "Garden gloves",
            "Sprinkler",
        ),
        ("small", "medium", "large", "green", "terracotta", "black"),
        0.12,
        cost=(2.0, 40.0),
        rate=(0.5, 6.0),
        profiles=(Profile.SEASONAL,),
        peak_day=165,
    ),
    Category(
        "Heating",
        "HT",
        (
            "Radiator valve",
            "Fan heater",
            "Thermostat",
            "Pipe insulation",
            "Firelighters",
            "De-icer",
        ),
        ("standard", "compact", "pro", "2 kW", "3 kW", "1 m", "2 m"),
        0.1,
        cost=(1.5, 60.0),
        rate=(0.4, 5.0),
        profiles=(Profile.SEASONAL,),
        peak_day=15,
    ),
    Category(
        "Dry food",
        "FD",
        ("Rice", "Flour", "Coffee beans", "Oats", "Lentils", "Sugar"),
        ("organic", "classic", "fine", "wholegrain", "bulk"),
        0.12,
        uom="kg",
        precision=3,
        pack=Decimal("0.5"),
        tracking="lot",
        shelf_life=(180, 720),
        cost=(0.8, 12.0),
        rate=(1.0, 10.0),
        profiles=(Profile.STABLE, Profile.TRENDING),
    ),
    Category(
        "Fresh",
        "FR",
        ("Yoghurt", "Cheese", "Butter", "Milk", "Cream"),
        ("natural", "light", "organic", "family pack"),
        0.08,
        uom="l",
        precision=2,
        pack=Decimal("1.5"),
        tracking="lot",
        shelf_life=(12, 40),
        cost=(0.6, 6.0),
        rate=(2.0, 10.0),
        profiles=(Profile.STABLE,),
    ),
    Category(
        "Chemicals",
        "CH",
        ("Cleaner", "Degreaser", "Disinfectant", "Paint thinner", "Wood stain"),
        ("1 l", "5 l", "spray", "concentrate"),
        0.1,
        uom="l",
        precision=2,
        pack=Decimal("0.75"),
        tracking="lot",
        shelf_life=(365, 1095),
        cost=(2.0, 25.0),
        rate=(0.3, 4.0),
        profiles=(Profile.STABLE, Profile.INTERMITTENT),
    ),
    Category(
        "Electronics",
        "EL",
        ("USB cable", "AA battery", "AAA battery", "Extension lead", "LED bulb", "Power bank"),
        ("1 m", "2 m", "4 pack", "8 pack", "warm white", "10 000 mAh"),
        0.1,
        cost=(1.0, 35.0),
        rate=(0.5, 8.0),
        profiles=(Profile.TRENDING, Profile.STABLE),
    ),
    Category(
        "Power tools",
        "PT",
        ("Cordless drill", "Angle grinder", "Jigsaw", "Laser level", "Impact driver"),
        ("18 V", "12 V", "pro", "compact"),
        0.0,
        tracking="serial",
        cost=(60.0, 400.0),
        rate=(0.2, 0.8),
        profiles=(Profile.TRENDING, Profile.STABLE),
    ),
    Category(
        "Spare parts",
        "SP",
        ("Pump seal", "Bearing", "Drive belt", "Gasket", "Filter cartridge", "Valve"),
        MODELS,
        0.18,
        cost=(3.0, 120.0),
        rate=(0.03, 0.25),
        profiles=(Profile.INTERMITTENT,),
    ),
)


@dataclass(slots=True)
class DemoItem:
    """An item and how its customers behave."""

    create: ItemCreate
    category: Category
    profile: Profile
    rate: float  # mean customer order lines per day at a warehouse with demand share 1
    pack: int  # one order line, in steps of the unit's precision
    case: int  # suppliers deliver multiples of this, in steps
    amplitude: float = 0.0  # seasonal swing
    peak_day: int = 0
    slope: float = 0.0  # trending: relative change per year
    lead_time: int = 7
    stocked_in: list[str] = field(default_factory=list)

    @property
    def sku(self) -> str:
        return self.create.sku

    @property
    def scale(self) -> int:
        return 10**self.create.precision


def ean13(rng: random.Random) -> str:
    """A valid EAN-13 in the German GS1 range (400-440), check digit included."""
    digits = [4, 0, rng.randint(0, 4)] + [rng.randint(0, 9) for _ in range(9)]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def make_items(rng: random.Random, count: int) -> list[DemoItem]:
    """``count`` items across the categories; a few are serial-tracked power tools."""
    serial = min(max(2, count // 50), count // 3)
    weights = [c.weight for c in CATEGORIES]
    picks = rng.choices(CATEGORIES, weights=weights, k=count - serial)
    picks += [next(c for c in CATEGORIES if c.tracking == "serial")] * serial
    items: list[DemoItem] = []
    used_names: set[str] = set()
    used_barcodes: set[str] = set()
    for n, cat in enumerate(picks, start=1):
        name = f"{rng.choice(cat.products)} {rng.choice(cat.variants)}"
        if name in used_names:
            name = f"{name} ({n})"
        used_names.add(name)
        item = _item(rng, cat, f"{cat.prefix}-{n:04d}", name)
        item.create.barcodes = [b for b in item.create.barcodes if b not in used_barcodes]
        used_barcodes.update(item.create.barcodes)
        items.append(item)
    return items


def _item(rng: random.Random, cat: Category, sku: str, name: str) -> DemoItem:
    scale = 10**cat.precision
    shelf = rng.randint(*cat.shelf_life) if cat.shelf_life else None
    cost = Decimal(str(round(rng.uniform(*cat.cost), 2)))
    create = ItemCreate(
        sku=sku,
        name=name,
        category=cat.name,
        uom=cat.uom,
        precision=cat.precision,
        unit_cost=cost,
        currency="EUR",
        tracking=cat.tracking,
        shelf_life_days=shelf,
        barcodes=[ean13(rng)] if rng.random() < 0.85 else [],
    )
    # Order rates are skewed: a few fast movers, many slow ones (lognormal, like real catalogues).
    low, high = cat.rate
    rate = min(high, max(low, low * rng.lognormvariate(0.8, 0.9)))
    pack = int(cat.pack * scale)
    case = pack * (1 if cat.tracking == "serial" else rng.choice((1, 6, 12, 24)))
    item = DemoItem(
        create=create,
        category=cat,
        profile=rng.choice(cat.profiles),
        rate=rate,
        pack=pack,
        case=case,
        lead_time=rng.randint(3, 14),
    )
    if item.profile is Profile.SEASONAL:
        item.amplitude = rng.uniform(0.6, 0.95)
        item.peak_day = (cat.peak_day + rng.randint(-20, 20)) % 365
    elif item.profile is Profile.TRENDING:
        item.slope = rng.choice((-1, 1, 1)) * rng.uniform(0.3, 0.9)
    item.stocked_in = ["WH1"]
    if rng.random() < 0.55:
        item.stocked_in.append("WH2")
    if rng.random() < 0.35 and cat.profiles != (Profile.INTERMITTENT,):
        item.stocked_in.append("WH3")
    return item
