"""Shared benchmark helpers: the machine, tables, percentiles, a realistic organisation, a
movement generator that never oversells, and starting/stopping server processes.

Benchmarks are scripts that print tables; nothing here asserts timings.
"""

from __future__ import annotations

import json
import os
import platform
import random
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from onhand.domain.access import Actor
from onhand.services import accounts, items, locations
from onhand.services.postings import MovementInput
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
HOST = "127.0.0.1"  # load is only ever generated against this machine


# Machine and reporting --------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def postgres_version() -> str:
    url = os.environ.get("ONHAND_BENCH_POSTGRES_URL") or os.environ.get("ONHAND_TEST_POSTGRES_URL")
    if not url:
        return "not connected (set ONHAND_TEST_POSTGRES_URL to report it)"
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except Exception as exc:  # reporting only: an unreachable server is not an error here
        return f"unreachable ({type(exc).__name__})"


def machine() -> dict[str, str]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": _ram_gib(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": postgres_version(),
        "load average (1/5/15 min)": " / ".join(f"{x:.2f}" for x in load),
    }


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table (pastes straight into docs/benchmarks.md)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n### {title}\n")
    for n, r in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    sys.stdout.flush()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def save_json(name: str, data: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


# Databases and a realistic organisation ---------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def open_db(url: str) -> Database:
    """A migrated database with the same settings `onhand serve` uses (synchronous=FULL)."""
    engine = make_engine(url)
    upgrade(engine)
    return Database(engine)


@dataclass
class Catalog:
    """What the generated organisation holds: names to post movements against."""

    actor: Actor
    token: str
    skus: list[str]
    lot_skus: set[str]
    bins: list[str]
    home: dict[str, list[str]] = field(default_factory=dict)


def build_catalog(db: Database, *, n_items: int = 1000, seed: int = 7) -> Catalog:
    """An organisation with 2 warehouses x 5 zones x 20 bins and ``n_items`` items (10 % lots)."""
    rng = random.Random(seed)
    new = accounts.create_organisation(
        db, name="Bench Co", slug="bench", admin_username="bench", admin_password="bench-password"
    )
    actor = accounts.authenticate(db, new.token)
    specs: list[dict[str, Any]] = []
    bins: list[str] = []
    for wh in ("WH1", "WH2"):
        specs.append({"code": wh, "parent": None})
        for zone in "ABCDE":
            specs.append({"code": zone, "parent": wh})
            for b in range(1, 21):
                specs.append({"code": f"{b:02d}", "parent": f"{wh}/{zone}"})
                bins.append(f"{wh}/{zone}/{b:02d}")
    full = [{"name": None, "kind": "internal", "allow_negative": False} | spec for spec in specs]
    locations.create_locations(db, actor, full)
    skus = [f"SKU-{n:05d}" for n in range(n_items)]
    lot_skus = {s for n, s in enumerate(skus) if n % 10 == 9}
    batch = [
        items.ItemCreate(
            sku=s,
            name=f"Item {s}",
            category=f"cat-{n % 12}",
            tracking="lot" if s in lot_skus else "none",
            shelf_life_days=365 if s in lot_skus else None,
            unit_cost=Decimal("1.25"),
        )
        for n, s in enumerate(skus)
    ]
    items.create_items(db, actor, batch)
    home = {s: rng.sample(bins, 3) for s in skus}
    return Catalog(actor=actor, token=new.token, skus=skus, lot_skus=lot_skus, bins=bins, home=home)


class MovementMix:
    """Receipts, put-away transfers, sales and count adjustments that never oversell a bin.

    Tracks what each (item, bin, lot) holds so every generated posting is accepted.
    """

    def __init__(self, cat: Catalog, *, seed: int = 11, start: datetime | None = None) -> None:
        self.cat = cat
        self.rng = random.Random(seed)
        self.stock: dict[str, dict[tuple[str, str | None], int]] = {s: {} for s in cat.skus}
        self.lot_no: dict[str, int] = {}
        self.n = 0
        self.clock = start or datetime.now(UTC) - timedelta(days=365)

    def _lot(self, sku: str) -> str | None:
        if sku not in self.cat.lot_skus:
            return None
        if sku not in self.lot_no or self.rng.random() < 0.1:
            self.lot_no[sku] = self.lot_no.get(sku, 0) + 1
        return f"L{self.lot_no[sku]:04d}"

    def line(self, *, dated: bool = True) -> dict[str, Any]:
        """One movement in the API's JSON shape (quantities as strings)."""
        rng, cat = self.rng, self.cat
        self.n += 1
        sku = cat.skus[rng.randrange(len(cat.skus))]
        held = self.stock[sku]
        r = rng.random()
        out: dict[str, Any]
        if r < 0.3 or not held:
            to = rng.choice(cat.home[sku])
            lot = self._lot(sku)
            qty = rng.randint(5, 60)
            held[(to, lot)] = held.get((to, lot), 0) + qty
            out = {"sku": sku, "from": "@supplier", "to": to, "quantity": str(qty)}
            out |= {"lot": lot} if lot else {}
            out |= {"ref_type": "PO", "ref_id": f"PO-{self.n // 20:06d}"}
        else:
            key = rng.choice(list(held))
            src, lot = key
            have = held[key]
            qty = rng.randint(1, max(1, min(have, 12)))
            if r < 0.5:
                dst = rng.choice([b for b in cat.home[sku] if b != src])
                held[(dst, lot)] = held.get((dst, lot), 0) + qty
                ref = {"ref_type": "TR", "ref_id": f"TR-{self.n // 10:06d}"}
            elif r < 0.95:
                dst = "@customer"
                ref = {"ref_type": "SO", "ref_id": f"SO-{self.n // 5:06d}"}
            else:
                dst, qty = "@adjustment", 1
                ref = {"reason": "count"}
            held[key] = have - qty
            if held[key] == 0:
                del held[key]
            out = {"sku": sku, "from": src, "to": dst, "quantity": str(qty)} | ref
            out |= {"lot": lot} if lot else {}
        if dated:
            self.clock += timedelta(seconds=30)
            out["effective_at"] = self.clock.isoformat()
        return out

    def posting(self, size: int, *, dated: bool = True) -> list[dict[str, Any]]:
        return [self.line(dated=dated) for _ in range(size)]


def to_input(line: dict[str, Any]) -> MovementInput:
    """The service layer's form of an API JSON line."""
    eff = line.get("effective_at")
    return MovementInput(
        sku=line["sku"],
        from_location=line["from"],
        to_location=line["to"],
        quantity=Decimal(line["quantity"]),
        lot=line.get("lot"),
        effective_at=datetime.fromisoformat(eff) if eff else None,
        ref_type=line.get("ref_type"),
        ref_id=line.get("ref_id"),
        reason=line.get("reason"),
    )


# Server processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    spec: dict[str, Any] = field(default_factory=dict)  # what loadgen.py sends to it

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start(name: str, argv: list[str], port: int, env: dict[str, str]) -> Proc:
    """Start a server process and wait until its /health answers."""
    proc = subprocess.Popen(
        argv, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"{name} exited early: {err[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return Proc(name, url, proc)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{name} did not become healthy in 60 s")


def chunked(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def serve_onhand(database_url: str) -> Proc:
    """`onhand serve` on a database (uvicorn, one worker, as a user runs it)."""
    port = free_port()
    argv = [sys.executable, "-m", "onhand.cli", "--database-url", database_url, "serve"]
    return start("onhand", [*argv, "--port", str(port)], port, {})


def ms(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of ``runs`` calls of ``fn``."""
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out
