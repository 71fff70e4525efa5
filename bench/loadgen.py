"""A small HTTP/1.1 load generator: N keep-alive connections posting prepared JSON bodies.

Run as its own process (so it does not share the server's GIL) by api_posts.py. It speaks just
enough HTTP for this job, which keeps it far cheaper per request than the servers it measures.
Load only ever goes to 127.0.0.1, for a bounded time and a bounded number of requests.

    python bench/loadgen.py SPEC.json   ->   prints one JSON object with the results
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

HOST = "127.0.0.1"


def _request(path: str, port: int, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}", f"Content-Length: {len(body)}"]
    head += ["Content-Type: application/json"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _client(
    n: int,
    spec: dict[str, Any],
    requests: list[bytes],
    stop_at: float,
    budget: list[int],
    out: dict[str, Any],
) -> None:
    reader, writer = await asyncio.open_connection(HOST, spec["port"])
    i = n
    try:
        while time.perf_counter() < stop_at and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += spec["concurrency"]
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
            status = int(status_line.split()[1])
            out["latencies"].append(time.perf_counter() - started)
            out["status"][status] += 1
            if status >= 400 and len(out["samples"]) < 3:
                out["samples"].append(body[:300].decode(errors="replace"))
    finally:
        writer.close()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    requests = [
        _request(spec["path"], spec["port"], spec.get("headers", {}), json.dumps(b).encode())
        for b in spec["bodies"]
    ]
    out: dict[str, Any] = {"latencies": [], "status": Counter(), "samples": []}
    if spec.get("warmup", 0) > 0:
        await asyncio.gather(
            *(
                _client(n, spec, requests, time.perf_counter() + spec["warmup"], [10**9], out)
                for n in range(spec["concurrency"])
            )
        )
        out = {"latencies": [], "status": Counter(), "samples": []}
    started = time.perf_counter()
    budget = [spec.get("max_requests", 10**9)]
    await asyncio.gather(
        *(
            _client(n, spec, requests, started + spec["seconds"], budget, out)
            for n in range(spec["concurrency"])
        )
    )
    elapsed = time.perf_counter() - started
    lat = sorted(out["latencies"])
    ok = sum(v for k, v in out["status"].items() if k < 400)
    return {
        "requests": len(lat),
        "ok": ok,
        "status": {str(k): v for k, v in out["status"].items()},
        "seconds": elapsed,
        "rps": ok / elapsed,
        "p50_ms": lat[len(lat) // 2] * 1000 if lat else 0.0,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0,
        "error_samples": out["samples"],
    }


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    try:
        import uvloop

        result = uvloop.run(run(spec))
    except ImportError:
        result = asyncio.run(run(spec))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
