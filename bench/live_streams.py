"""What open live streams cost the server, and how fast a posting reaches them: streams that
wait on the event pump's position watch (the default) beside the same server with the pump
off (ONHAND_EVENT_PUMP=false), where each stream looks at the database on its own timer, in
the same run.

For each mode: `onhand serve` (one worker) on a fresh SQLite file; its CPU time over a quiet
spell with no stream open, then with N idle API streams (`/api/v1/events/stream`) open; then
single postings, each timed from the API's 201 to its event on every stream.

    python bench/live_streams.py [--streams 100] [--seconds 10] [--posts 10]

CPU time is read from /proc (Linux).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any

import httpx

from common import (
    RESULTS,
    build_catalog,
    free_port,
    median,
    open_db,
    percentile,
    print_table,
    remove_sqlite,
    save_json,
    sqlite_url,
    start,
)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def prepare(mode: str) -> tuple[str, str, dict[str, str]]:
    """A fresh database with two items: its URL, a token and a receipt to post."""
    path = RESULTS / "live_streams" / f"{mode}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_sqlite(path)
    db = open_db(sqlite_url(path))
    cat = build_catalog(db, n_items=2)
    sku = cat.skus[0]
    db.dispose()
    return (
        sqlite_url(path),
        cat.token,
        {"sku": sku, "from": "@supplier", "to": cat.home[sku][0], "quantity": "1"},
    )


async def follow(url: str, token: str, arrived: dict[int, float], opened: asyncio.Event) -> None:
    """One API stream from now on: the arrival time of each event position."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream("GET", f"{url}/api/v1/events/stream?after=0", headers=headers) as r,
    ):
        opened.set()
        async for line in r.aiter_lines():
            if line.startswith("id: "):
                arrived[int(line[4:])] = time.monotonic()


def measure(mode: str, streams: int, seconds: float, posts: int) -> dict[str, Any]:
    url, token, receipt = prepare(mode)
    port = free_port()
    argv = [sys.executable, "-m", "onhand.cli", "--database-url", url, "serve", "--port", str(port)]
    env = {"ONHAND_EVENT_PUMP": "true" if mode == "watch" else "false"}
    proc = start(f"onhand ({mode})", argv, port, env)
    pid = proc.process.pid

    async def run() -> dict[str, Any]:
        await asyncio.sleep(2)  # past the start-up work
        before = cpu_seconds(pid)
        await asyncio.sleep(seconds)
        idle = (cpu_seconds(pid) - before) / seconds
        got: list[dict[int, float]] = [{} for _ in range(streams)]
        opened = [asyncio.Event() for _ in range(streams)]
        tasks = [
            asyncio.create_task(follow(proc.url, token, got[i], opened[i])) for i in range(streams)
        ]
        await asyncio.gather(*(o.wait() for o in opened))
        await asyncio.sleep(2)
        before = cpu_seconds(pid)
        await asyncio.sleep(seconds)
        with_streams = (cpu_seconds(pid) - before) / seconds
        delays: list[float] = []
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=f"{proc.url}/api/v1", headers=headers) as api:
            for _ in range(posts):
                last = max((max(g, default=0) for g in got), default=0)
                sent = time.monotonic()
                (await api.post("/movements", json=receipt)).raise_for_status()
                while not all(max(g, default=0) > last for g in got):
                    await asyncio.sleep(0.005)
                delays.extend((min(t for q, t in g.items() if q > last) - sent) * 1000 for g in got)
                await asyncio.sleep(1.5)  # a quiet spell between postings
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {
            "idle_cpu": idle,
            "streams_cpu": with_streams,
            "p50_ms": median(delays),
            "p95_ms": percentile(delays, 95),
        }

    try:
        return asyncio.run(run())
    finally:
        proc.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--posts", type=int, default=10)
    args = parser.parse_args(argv)
    got = {m: measure(m, args.streams, args.seconds, args.posts) for m in ("timer", "watch")}
    rows = [
        [
            "own timer (pump off)" if m == "timer" else "the pump's watch",
            f"{r['idle_cpu']:.1%}",
            f"{r['streams_cpu']:.1%}",
            f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f}",
        ]
        for m, r in got.items()
    ]
    ratio = got["watch"]["streams_cpu"] / max(got["timer"]["streams_cpu"], 1e-9)
    rows.append(["watch / timer", "", f"{ratio:.0%}", ""])
    print_table(
        f"{args.streams} idle API event streams on one server process",
        [
            "streams wait on",
            "CPU, no stream",
            f"CPU, {args.streams} streams",
            "posting sent → on every stream, p50 / p95 ms",
        ],
        rows,
    )
    save_json("live_streams.json", got)
    return got


if __name__ == "__main__":
    main()
