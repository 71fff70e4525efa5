"""The replenishment planning data set: 5,000 items x 2 warehouses (10,000 item-locations) with two
years of daily sales, cached as a SQLite database under bench/results/.

Master data goes through the services (organisation, locations, items, suppliers, each item's
preferred supplier, open purchase orders); the two years of movements are simulated with numpy
and bulk-inserted as a valid ledger (postings, movements with their hash chains, balances, chain
heads), so that `onhand verify` accepts it, in a fraction of the time posting them would take.

Each item-location follows a daily (s, S) policy with lost sales:
- half the items are smooth (demand on most days, Poisson with a weekly pattern, half of them
  with a yearly season), half intermittent (demand on 3-30 % of days, 1-6 units at a time);
- a receipt arrives the supplier's lead time (plus noise) after the order;
- about 5 % of item-locations have a supply disruption (orders placed in one 30-day window
  arrive 25 days late): stockouts, and the demand while out is lost, not recorded;
- 1 % of sales come back as a return a day later, and now and then a unit is scrapped.

    python bench/planning_data.py [--items 5000] [--days 730] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from common import RESULTS, open_db, print_table, remove_sqlite, sqlite_url
from onhand.domain.chain import GENESIS, MovementRecord, movement_hash
from onhand.services import accounts, items, locations, purchase_orders, suppliers

DATASET_VERSION = 1
WAREHOUSES = ("WH1", "WH2")
SUPPLIERS = 20
BINS = 50  # per warehouse: zones A-E x 10
OPEN_PO_ITEMS = 400  # item-locations with an open purchase order at the end


@dataclass
class PlanningData:
    path: str
    url: str
    token: str
    skus: list[str]
    start: str  # first day of the history (ISO)
    end: str  # last day
    movements: int
    build_seconds: float

    @property
    def first(self) -> date:
        return date.fromisoformat(self.start)

    @property
    def last(self) -> date:
        return date.fromisoformat(self.end)


def _paths(n_items: int, n_days: int) -> tuple[Path, Path]:
    stem = f"planning-{n_items}x{n_days}"
    return RESULTS / f"{stem}.db", RESULTS / f"{stem}.json"


def ensure(
    n_items: int = 5000, n_days: int = 730, *, rebuild: bool = False, quiet: bool = False
) -> PlanningData:
    """The cached data set, built first if missing or out of date."""
    path, meta_path = _paths(n_items, n_days)
    if not rebuild and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("version") == DATASET_VERSION:
            return PlanningData(**meta["data"])
    return _build(n_items, n_days, path, meta_path, quiet=quiet)


@dataclass
class _Sim:
    """Simulated daily flows per item-location (rows: item-major, warehouse-minor)."""

    sales: np.ndarray  # (n, days) units sold
    receipts: np.ndarray  # (n, days) units received
    returns: np.ndarray  # (n, days)
    scrap: np.ndarray  # (n, days)
    opening: np.ndarray  # (n,) received the day before the history starts
    on_order: np.ndarray  # (n,) ordered, not yet arrived at the end


def simulate(n: int, n_days: int, lead: np.ndarray, seed: int = 5) -> _Sim:
    """Demand and an (s, S) policy with lost sales, vectorised over item-locations, one day at a
    time (receipts, then sales, returns and scrap, the order of the day's movements). ``lead``
    (n,) is each item-location's expected lead time in days."""
    rng = np.random.default_rng(seed)
    smooth = np.arange(n) // len(WAREHOUSES) % 2 == 0
    rate = np.where(smooth, rng.uniform(2, 30, n), rng.uniform(0.03, 0.3, n))
    day = np.arange(n_days)
    weekly = np.where(day % 7 >= 5, 0.6, 1.16)
    seasonal = np.where(np.arange(n) // len(WAREHOUSES) % 4 == 0, rng.uniform(0.2, 0.5, n), 0.0)
    season = 1 + seasonal[:, None] * np.sin(2 * np.pi * day[None, :] / 365.25)
    mean = np.where(smooth[:, None], rate[:, None] * weekly[None, :] * season, 0.0)
    demand = np.where(
        smooth[:, None],
        rng.poisson(mean),
        (rng.random((n, n_days)) < rate[:, None]) * rng.integers(1, 7, (n, n_days)),
    )
    daily = np.where(smooth, rate, rate * 3.5)
    low = np.ceil(daily * (lead + 4)).astype(np.int64)
    high = low + np.ceil(daily * 14).astype(np.int64) + 1
    delay = np.zeros((n, n_days), dtype=np.int64)
    hit = rng.random(n) < 0.05
    begin = rng.integers(30, n_days - 60, n)
    window = (day[None, :] >= begin[:, None]) & (day[None, :] < begin[:, None] + 30)
    delay[hit[:, None] & window] = 25
    jitter = rng.integers(-1, 3, (n, n_days))
    comes_back = rng.random((n, n_days)) < 0.01
    damaged = rng.random((n, n_days)) < 0.002
    arriving = np.zeros((n_days + int(lead.max()) + 40, n), dtype=np.int64)
    stock = high.copy()
    position = high.copy()
    flows = {k: np.zeros((n, n_days), dtype=np.int64) for k in ("in", "sold", "back", "scrap")}
    rows = np.arange(n)
    for t in range(n_days):
        got = arriving[t]
        stock += got
        sold = np.minimum(demand[:, t], stock)
        stock -= sold
        back = (comes_back[:, t] & (flows["sold"][:, t - 1] > 0)).astype(np.int64) if t else 0
        stock += back
        scrap = (damaged[:, t] & (stock > 0)).astype(np.int64)
        stock -= scrap
        position += back - scrap - sold
        order = np.where(position <= low, high - position, 0)
        when = t + np.maximum(1, lead + jitter[:, t] + delay[:, t])
        placed = order > 0
        arriving[when[placed], rows[placed]] += order[placed]
        position += order
        for k, v in (("in", got), ("sold", sold), ("back", back), ("scrap", scrap)):
            flows[k][:, t] = v
    return _Sim(flows["sold"], flows["in"], flows["back"], flows["scrap"], high, position - stock)


def _ts(day: date, hour: int, minute: int = 0) -> str:
    # The text SQLAlchemy stores a naive UTC time as on SQLite (compared as text).
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:00.000000"


def _build(n_items: int, n_days: int, path: Path, meta_path: Path, *, quiet: bool) -> PlanningData:
    started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    remove_sqlite(path)
    meta_path.unlink(missing_ok=True)
    db = open_db(sqlite_url(path))
    new = accounts.create_organisation(
        db, name="Plan Co", slug="plan", admin_username="planner", admin_password="plan-password"
    )
    actor = accounts.authenticate(db, new.token)
    specs: list[dict[str, Any]] = []
    for wh in WAREHOUSES:
        specs.append({"code": wh, "parent": None})
        specs.append({"code": "RECV", "parent": wh})
        for zone in "ABCDE":
            specs.append({"code": zone, "parent": wh})
            specs += [{"code": f"{b:02d}", "parent": f"{wh}/{zone}"} for b in range(1, 11)]
    locations.create_locations(
        db, actor, [{"name": None, "kind": "internal", "allow_negative": False} | s for s in specs]
    )
    skus = [f"P-{n:05d}" for n in range(n_items)]
    rng = np.random.default_rng(3)
    cost = rng.uniform(0.5, 80, n_items).round(2)
    items.create_items(
        db,
        actor,
        [
            items.ItemCreate(
                sku=s, name=f"Item {s}", category=f"cat-{n % 15}", unit_cost=Decimal(str(cost[n]))
            )
            for n, s in enumerate(skus)
        ],
    )
    lead_days = rng.integers(3, 22, SUPPLIERS)
    for k in range(SUPPLIERS):
        suppliers.create_supplier(
            db,
            actor,
            suppliers.SupplierCreate(
                code=f"S{k:02d}",
                name=f"Supplier {k}",
                lead_time_days=int(lead_days[k]),
                lead_time_sd_days=int(k % 4),
            ),
        )
    supplier_of = np.arange(n_items) % SUPPLIERS
    raw = sqlite3.connect(path)
    ids = dict(raw.execute("SELECT sku, id FROM items WHERE org_id = ?", (actor.org_id,)))
    loc = dict(raw.execute("SELECT path, id FROM locations WHERE org_id = ?", (actor.org_id,)))
    sup = dict(raw.execute("SELECT code, id FROM suppliers WHERE org_id = ?", (actor.org_id,)))
    now = _ts(datetime.now(UTC).date(), 0)
    raw.executemany(
        "INSERT INTO supplier_items (org_id, supplier_id, item_id, supplier_sku, price,"
        " min_order_qty, pack_size, preferred, created_at, created_by, updated_at)"
        " VALUES (?, ?, ?, NULL, ?, ?, ?, 1, ?, ?, ?)",
        [
            (
                actor.org_id,
                sup[f"S{supplier_of[n]:02d}"],
                ids[s],
                int(cost[n] * 0.6 * 10**6),
                (10 * 10**6) if n % 3 == 0 else 0,
                (6 * 10**6) if n % 5 == 0 else None,
                now,
                actor.user_id,
                now,
            )
            for n, s in enumerate(skus)
        ],
    )
    raw.commit()

    # Simulate: rows are (item, warehouse), item-major.
    n = n_items * len(WAREHOUSES)
    lead = np.repeat(lead_days[supplier_of], len(WAREHOUSES))
    sim = simulate(n, n_days, lead)
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = end - timedelta(days=n_days - 1)
    item_of = np.repeat(np.array([ids[s] for s in skus]), len(WAREHOUSES))
    wh_of = np.tile(np.arange(len(WAREHOUSES)), n_items)
    bin_of = [
        loc[f"{WAREHOUSES[w]}/{'ABCDE'[(r // 10) % 5]}/{r % 10 + 1:02d}"]
        for r, w in enumerate(wh_of.tolist())
    ]
    virtual = {k: loc[f"@{k}"] for k in ("supplier", "customer", "scrap")}
    count = _insert_ledger(raw, actor, sim, start, item_of, bin_of, virtual)
    _open_orders(db, actor, sim, skus, supplier_of, end)
    raw.execute("ANALYZE")
    raw.commit()
    raw.close()
    db.dispose()
    data = PlanningData(
        path=str(path),
        url=sqlite_url(path),
        token=new.token,
        skus=skus,
        start=start.isoformat(),
        end=end.isoformat(),
        movements=count,
        build_seconds=time.perf_counter() - started,
    )
    meta_path.write_text(json.dumps({"version": DATASET_VERSION, "data": asdict(data)}))
    if not quiet:
        print_table(
            "Planning data set",
            ["items", "item-locations", "days", "movements", "build s"],
            [[n_items, n, n_days, count, data.build_seconds]],
        )
    return data


CHUNK = 200_000


def _insert_ledger(
    raw: sqlite3.Connection,
    actor: Any,
    sim: _Sim,
    start: date,
    item_of: np.ndarray,
    bin_of: list[int],
    virtual: dict[str, int],
) -> int:
    """One posting per day (posting 1: the opening stock, the day before the history); each
    movement hashed into its item's chain, in time order; then balances and chain heads."""
    org, user = actor.org_id, actor.user_id
    n, n_days = sim.sales.shape
    # kind -> (hour of the day, source, destination; None = the item-location's bin)
    kinds = {
        0: (7, "supplier", None, "PO"),
        1: (12, None, "customer", "SO"),
        2: (15, "customer", None, "RMA"),
        3: (18, None, "scrap", None),
    }
    parts = [(np.full(n, -1), np.arange(n), np.zeros(n, dtype=np.int64), sim.opening)]
    for k, matrix in enumerate((sim.receipts, sim.sales, sim.returns, sim.scrap)):
        r, d = np.nonzero(matrix)
        parts.append((d, r, np.full(len(r), k), matrix[r, d]))
    day, row, kind, qty = (np.concatenate([p[i] for p in parts]) for i in range(4))
    hour = np.array([kinds[k][0] for k in range(4)])[kind]
    order = np.lexsort((row, hour, day))
    day, row, kind, qty = day[order], row[order], kind[order], qty[order]
    total = len(day)
    last: dict[int, tuple[int, int, str]] = {}  # item -> (movement id, seq, hash)
    stock: dict[tuple[int, int], int] = {}
    recorded = datetime.combine(start + timedelta(days=n_days), datetime.min.time(), tzinfo=UTC)
    rec_text = recorded.strftime("%Y-%m-%d %H:%M:%S.%f")
    midnight = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    insert = (
        "INSERT INTO movements (id, org_id, posting_id, item_id, chain_seq, prev_id, prev_hash,"
        " hash, from_location_id, to_location_id, qty, effective_at, recorded_at, ref_type,"
        " ref_id, reason, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    for lo in range(0, total, CHUNK):
        rows: list[tuple[Any, ...]] = []
        piece = zip(
            range(lo + 1, min(total, lo + CHUNK) + 1),
            day[lo : lo + CHUNK].tolist(),
            row[lo : lo + CHUNK].tolist(),
            kind[lo : lo + CHUNK].tolist(),
            qty[lo : lo + CHUNK].tolist(),
            strict=True,
        )
        for mid, d, r, k, q in piece:
            item, here = int(item_of[r]), bin_of[r]
            hour, s_kind, d_kind, ref_type = kinds[k]
            src = virtual[s_kind] if s_kind else here
            dst = virtual[d_kind] if d_kind else here
            ref_id = f"{ref_type}-{d + 1:05d}-{r}" if ref_type else None
            reason = "damaged" if k == 3 else None
            posting = d + 2
            prev_id, seq, prev_hash = last.get(item, (None, 0, GENESIS))
            when = midnight + timedelta(days=d, hours=hour, seconds=r % 3600)
            micro = q * 10**6
            record = MovementRecord(
                mid, org, item, seq + 1, prev_id, prev_hash, posting, None, None, src, dst,
                micro, when, recorded, ref_type, ref_id, reason, user, None,
            )  # fmt: skip
            digest = movement_hash(record)
            last[item] = (mid, seq + 1, digest)
            rows.append(
                (
                    mid, org, posting, item, seq + 1, prev_id, prev_hash, digest, src, dst,
                    micro, when.strftime("%Y-%m-%d %H:%M:%S.%f"), rec_text, ref_type, ref_id,
                    reason, user,
                )
            )  # fmt: skip
            # Every location keeps a balance, the virtual ones too (negative at @supplier).
            stock[(item, src)] = stock.get((item, src), 0) - micro
            stock[(item, dst)] = stock.get((item, dst), 0) + micro
        raw.executemany(insert, rows)
    counts = np.bincount(day + 1, minlength=n_days + 1)
    raw.executemany(
        "INSERT INTO postings (id, org_id, idempotency_key, payload_hash, actor_id,"
        " movement_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (p + 1, org, f"plan-{p + 1}", "0" * 64, user, int(c), rec_text)
            for p, c in enumerate(counts.tolist())
            if c
        ],
    )
    raw.executemany(
        "INSERT INTO balances (org_id, item_id, location_id, lot_id, serial_id, qty)"
        " VALUES (?, ?, ?, 0, 0, ?)",
        [(org, i, place, q) for (i, place), q in stock.items() if q],
    )
    raw.executemany(
        "INSERT INTO chain_heads (org_id, item_id, seq, movement_id, hash) VALUES (?, ?, ?, ?, ?)",
        [(org, i, seq, m, h) for i, (m, seq, h) in last.items()],
    )
    raw.commit()
    return total


def _open_orders(
    db: Any, actor: Any, sim: _Sim, skus: list[str], supplier_of: np.ndarray, end: date
) -> None:
    """Open purchase orders (ordered, not received) for the first item-locations with stock on
    order at the end, one order per supplier and warehouse, through the service."""
    lines: dict[tuple[int, int], list[purchase_orders.PoLineInput]] = {}
    waiting = np.nonzero(sim.on_order > 0)[0][:OPEN_PO_ITEMS]
    for r in waiting.tolist():
        item, wh = divmod(r, len(WAREHOUSES))
        key = (int(supplier_of[item]), wh)
        lines.setdefault(key, []).append(
            purchase_orders.PoLineInput(
                sku=skus[item],
                quantity=Decimal(int(sim.on_order[r])),
                expected_date=end + timedelta(days=1 + r % 10),
            )
        )
    for (k, wh), got in sorted(lines.items()):
        po = purchase_orders.create_po(
            db,
            actor,
            purchase_orders.PoCreate(
                supplier=f"S{k:02d}", receive_to=f"{WAREHOUSES[wh]}/RECV", lines=got
            ),
        )
        purchase_orders.order_po(db, actor, po["number"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    data = ensure(args.items, args.days, rebuild=args.rebuild)
    print(json.dumps({k: v for k, v in asdict(data).items() if k != "skus"}, indent=2))


if __name__ == "__main__":
    main()
