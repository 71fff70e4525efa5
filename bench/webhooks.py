"""Webhook events delivered per second to a local receiver, beside a baseline: the same
receiver sent the same signed bodies directly with httpx, at the same concurrency, in the same
run.

The receiver is a separate process (uvicorn, a bare ASGI app) that checks every signature. The
onhand figure is the whole path after the events were committed: the fan-out from the outbox
into delivery rows, claims, signing, sending, and recording each outcome and attempt, until
every delivery is delivered (`Dispatcher.run(follow=True, once=True)`, what `onhand webhooks
deliver --once` runs).

    python bench/webhooks.py [--events 3000] [--rounds 3] [--concurrency 4 16]

PostgreSQL is measured too when ONHAND_BENCH_POSTGRES_URL or ONHAND_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine

from common import HOST, free_port, machine, median, print_table, save_json, sqlite_url
from onhand.domain.webhooks import RetryPolicy, signature_header
from onhand.services import accounts, events, webhooks
from onhand.services.webhook_dispatch import DeliveryOptions, Dispatcher, body_of
from onhand.store import events as outbox
from onhand.store.engine import make_engine
from onhand.store.migrate import upgrade
from onhand.store.unit_of_work import Database

# --- the receiver (its own process) ---------------------------------------------------------


def receiver_app() -> Callable[..., Any]:
    """A bare ASGI receiver: POST /secrets adds a secret; POST elsewhere is a delivery (its
    signature checked: 204, or 401); GET /count answers how many arrived and how many failed."""
    secrets: list[bytes] = []
    counts = {"received": 0, "bad": 0}

    def verified(header: str, body: bytes) -> bool:
        parts = dict(p.split("=", 1) for p in header.split(",") if p.startswith("t="))
        given = [p[3:] for p in header.split(",") if p.startswith("v1=")]
        stamp = parts.get("t", "0")
        if abs(time.time() - int(stamp)) > 300:
            return False
        for s in secrets:
            expected = hmac.new(s, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            if any(hmac.compare_digest(expected, g) for g in given):
                return True
        return False

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        status, answer = 204, b""
        if scope["method"] == "GET":
            status, answer = 200, json.dumps(counts).encode()
        elif scope["path"] == "/secrets":
            secrets.append(body)
        else:
            headers = dict(scope["headers"])
            counts["received"] += 1
            if not verified(headers.get(b"onhand-signature", b"").decode(), body):
                counts["bad"] += 1
                status = 401
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": answer})

    return app


def serve_receiver(port: int) -> None:
    uvicorn.run(receiver_app(), host=HOST, port=port, log_level="warning", lifespan="off")


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--receiver", str(port)])
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/count", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the receiver did not start")


# --- onhand's side ----------------------------------------------------------------------------


def emit(db: Database, org_id: int, n: int) -> None:
    """``n`` stock.moved events of a realistic size, committed and sequenced."""
    movement = {
        "id": 1,
        "sku": "BOLT-M8",
        "from": "@supplier",
        "to": "WH1/A/01",
        "quantity": "12",
        "lot": None,
        "serial": None,
        "effective_at": "2026-12-10T09:00:00Z",
        "reference": "PO-000042",
        "reason": None,
        "reverses": None,
    }
    rows = [
        events.event_row(
            org_id, "stock.moved", "posting", i, {"posting_id": i, "movements": [movement]}
        )
        for i in range(n)
    ]
    for start in range(0, n, 1000):
        chunk = rows[start : start + 1000]
        db.write(lambda uow, chunk=chunk: outbox.insert_events(uow.conn, chunk))
    events.sequence(db)


def onhand_round(db: Database, actor: Any, url: str, n: int, concurrency: int) -> float:
    """Events per second from the outbox to the receiver, every one delivered."""
    made = webhooks.create_webhook(
        db, actor, webhooks.WebhookCreate(url=f"{url}/hook"), allow_private=True
    )
    httpx.post(f"{url}/secrets", content=made["secret"])
    emit(db, actor.org_id, n)
    options = DeliveryOptions(
        policy=RetryPolicy(max_attempts=1),
        allow_private=True,
        concurrency=max(concurrency, 1),
        per_subscription=concurrency,
    )
    dispatcher = Dispatcher(db, options)
    start = time.perf_counter()
    asyncio.run(dispatcher.run(follow=True, once=True))
    seconds = time.perf_counter() - start
    page = webhooks.list_deliveries(db, actor, made["id"], statuses=["delivered"], limit=1)
    assert page["deliveries"], "nothing was delivered"
    backlog = webhooks.get_webhook(db, actor, made["id"])["backlog"]
    assert backlog == {"pending": 0, "retrying": 0, "dead": 0}, backlog
    assert dispatcher.sent == n, dispatcher.sent  # this round's events, once each
    webhooks.delete_webhook(db, actor, made["id"])  # the next round's events are not its
    return n / seconds


def baseline_round(db: Database, url: str, n: int, concurrency: int) -> float:
    """The same bodies, signed, posted straight to the receiver at the same concurrency."""
    secret = "whsec_baseline"
    httpx.post(f"{url}/secrets", content=secret)
    with db.reading() as uow:
        rows = outbox.events_after(uow.conn, after=0, limit=n)
    bodies = [body_of(r) for r in rows]

    async def run() -> None:
        queue = list(reversed(bodies))
        async with httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency), trust_env=False
        ) as client:

            async def worker() -> None:
                while queue:
                    body = queue.pop()
                    headers = {
                        "Content-Type": "application/json",
                        "Onhand-Signature": signature_header([secret], int(time.time()), body),
                    }
                    r = await client.post(f"{url}/hook", content=body, headers=headers)
                    assert r.status_code == 204, r.status_code

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    start = time.perf_counter()
    asyncio.run(run())
    return len(bodies) / (time.perf_counter() - start)


def open_backend(name: str, work: Path) -> tuple[Database, Callable[[], None]]:
    """A migrated database of this backend, and how to drop it."""
    if name == "SQLite":
        engine = make_engine(sqlite_url(work / "hooks.db"))  # synchronous=FULL, as served
        upgrade(engine)
        return Database(engine), lambda: None
    base = os.environ.get("ONHAND_BENCH_POSTGRES_URL") or os.environ["ONHAND_TEST_POSTGRES_URL"]
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    engine = make_engine(f"{base}{sep}options=-csearch_path%3D{schema}")
    upgrade(engine)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

    return Database(engine), drop


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receiver:
        serve_receiver(args.receiver)
        return {}
    backends = ["SQLite"]
    if os.environ.get("ONHAND_BENCH_POSTGRES_URL") or os.environ.get("ONHAND_TEST_POSTGRES_URL"):
        backends.append("PostgreSQL")
    proc, url = start_receiver()
    results: dict[str, Any] = {"machine": machine(), "events": args.events, "runs": {}}
    table = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for backend in backends:
                db, drop = open_backend(backend, Path(tmp))
                try:
                    new = accounts.create_organisation(
                        db, name="Bench", slug="bench", admin_username="admin",
                        admin_password="password-1",
                    )  # fmt: skip
                    actor = accounts.authenticate(db, new.token)
                    emit(db, actor.org_id, args.events)  # the baseline's bodies
                    for c in args.concurrency:
                        base: list[float] = []
                        ours: list[float] = []
                        for r in range(args.rounds):  # alternating, so drift hits both
                            if r % 2 == 0:
                                base.append(baseline_round(db, url, args.events, c))
                            ours.append(onhand_round(db, actor, url, args.events, c))
                            if r % 2 == 1:
                                base.append(baseline_round(db, url, args.events, c))
                        results["runs"][f"{backend} c={c}"] = {"baseline": base, "onhand": ours}
                        b, o = median(base), median(ours)
                        table.append([backend, c, round(b), round(o), f"{o / b:.0%}"])
                finally:
                    db.dispose()
                    drop()
        counts = httpx.get(f"{url}/count").json()
    finally:
        proc.terminate()
        proc.wait(10)
    print_table("Machine", ["", ""], list(results["machine"].items()))
    print_table(
        f"Webhook events delivered per second ({args.events} events a round, median of "
        f"{args.rounds} rounds)",
        ["database", "in flight", "baseline: httpx straight to the receiver", "onhand", "ratio"],
        table,
    )
    print(f"\nreceiver: {counts['received']} requests, {counts['bad']} with a bad signature")
    results["receiver"] = counts
    save_json("webhooks.json", results)
    return results


if __name__ == "__main__":
    main()
