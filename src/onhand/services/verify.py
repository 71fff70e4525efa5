"""`onhand verify`: conservation, balances = replay of the ledger, valuation positions = their
entries and the ledger's stock, hash chains and checkpoints."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from onhand.domain.chain import (
    CHECKPOINT_V2,
    GENESIS,
    ChainHead,
    Finding,
    checkpoint_hash,
    verify_chain,
)
from onhand.domain.quantities import from_micro
from onhand.services.common import utcnow
from onhand.store import locking, verification
from onhand.store.unit_of_work import Database


@dataclass(slots=True)
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    movements: int = 0
    chains: int = 0
    checkpoints: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(
    db: Database,
    *,
    org_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check every invariant the ledger promises; report each finding with the row it concerns."""
    started = time.perf_counter()
    report = VerifyReport()
    with db.reading() as uow:
        conn = uow.conn
        for r in verification.conservation_breaks(conn, org_id):
            report.findings.append(
                Finding(
                    "conservation",
                    f"{_what(r)} sums to {_qty(r.total, r.precision)} over all locations "
                    "(virtual ones included), not 0",
                )
            )
        for r in verification.replay_mismatches(conn, org_id):
            report.findings.append(
                Finding(
                    "replay",
                    f"the balance of {_what(r)} at {r.path} is {_qty(r.stored, r.precision)} "
                    f"but the ledger gives {_qty(r.ledger, r.precision)}",
                )
            )
        for r in verification.valuation_mismatches(conn, org_id):
            report.findings.append(
                Finding(
                    "valuation",
                    f"item {r.item_id} (organisation {r.org_id}) in scope {r.scope_id}: the "
                    f"valuation holds {from_micro(r.pq)} worth {from_micro(r.pv)}, its entries "
                    f"sum to {from_micro(r.eq)} worth {from_micro(r.ev)}, and the ledger puts "
                    f"{from_micro(r.lq)} there",
                )
            )
        for r in verification.totals_mismatches(conn, org_id):
            report.findings.append(
                Finding(
                    "valuation",
                    f"item {r.item_id} (organisation {r.org_id}) in scope {r.scope_id}: the "
                    f"running totals of valuation entry {r.entry_id} differ from those "
                    "the entries before it give",
                )
            )
        heads = verification.heads(conn, org_id)
        seen: set[tuple[int, int]] = set()
        for (org, item), rows in verification.chain_rows(conn, org_id):
            seen.add((org, item))
            report.chains += 1
            report.movements += len(rows)
            head = heads.get((org, item))
            if head is None:
                report.findings.append(
                    Finding("chain", f"movements of item {item} have no chain head", rows[0][0].id)
                )
            report.findings.extend(verify_chain(rows, head, org_id=org, item_id=item))
            if progress is not None:
                progress(len(rows))
        for key, head in heads.items():
            if key not in seen and head.seq > 0:
                report.findings.append(
                    Finding(
                        "chain",
                        f"item {key[1]}'s chain head names {head.seq} movements but none are stored",
                        head.movement_id,
                    )
                )
        if org_id is None:
            report.findings.extend(_check_checkpoints(conn, report))
    report.seconds = time.perf_counter() - started
    return report


def _what(r: Any) -> str:
    """An item key as a person reads it: SKU, lot, serial and the ids behind them."""
    out = f"item {r.sku!r} (id {r.item_id}, organisation {r.org_id})"
    if r.lot is not None:
        out += f" lot {r.lot!r}"
    if r.serial is not None:
        out += f" serial {r.serial!r}"
    return out


def _qty(micro: int, precision: int) -> str:
    # A tampered value may carry more decimals than the unit allows: show it exactly.
    return (
        str(from_micro(micro))
        if micro % 10 ** (6 - precision)
        else str(from_micro(micro, precision))
    )


def _parse_heads(body: str) -> list[ChainHead] | None:
    """A checkpoint's heads, or None when the stored JSON is not what a checkpoint writes."""
    try:
        heads = [ChainHead(*h) for h in json.loads(body)]
    except (ValueError, TypeError):
        return None
    ok = all(
        isinstance(h.org_id, int)
        and isinstance(h.item_id, int)
        and isinstance(h.seq, int)
        and (h.movement_id is None or isinstance(h.movement_id, int))
        and isinstance(h.hash, str)
        for h in heads
    )
    return heads if ok else None


def _check_checkpoints(conn: object, report: VerifyReport) -> list[Finding]:
    findings: list[Finding] = []
    rows = verification.all_checkpoints(conn)  # type: ignore[arg-type]
    report.checkpoints = len(rows)
    prev = GENESIS
    last: list[ChainHead] | None = None
    for cp in rows:
        heads = _parse_heads(cp.heads)
        if heads is None:
            findings.append(
                Finding("checkpoint", f"checkpoint {cp.id} was altered: its heads cannot be read")
            )
        elif cp.prev_hash != prev or checkpoint_hash(cp.version, heads, cp.prev_hash) != cp.hash:
            findings.append(Finding("checkpoint", f"checkpoint {cp.id} was altered or reordered"))
        prev = cp.hash
        last = heads
    if rows and last is not None:
        # The last checkpoint vouches for every chain head it saw: each must still be stored as
        # it was, so rewriting a chain up to its head and the head row is found here.
        stored = verification.movement_hashes(
            conn,  # type: ignore[arg-type]
            [h.movement_id for h in last if h.movement_id is not None],
        )
        for h in last:
            if h.movement_id is None:
                continue
            if stored.get(h.movement_id) != (h.org_id, h.item_id, h.seq, h.hash):
                findings.append(
                    Finding(
                        "checkpoint",
                        f"movement {h.movement_id}, head of item {h.item_id} at checkpoint "
                        f"{rows[-1].id}, is missing or altered",
                        h.movement_id,
                    )
                )
    return findings


@dataclass(frozen=True, slots=True)
class Checkpoint:
    id: int
    hash: str  # keep a copy outside the database: it vouches for every chain up to here


def checkpoint(db: Database) -> Checkpoint:
    """Record a checkpoint over all chain heads, linked to the previous checkpoint (version 2:
    per-organisation digests, so that one organisation's heads can be proved alone)."""
    with db.writing() as uow:
        locking.lock_checkpoints(uow.conn)
        rows = verification.all_checkpoints(uow.conn)
        prev = rows[-1].hash if rows else GENESIS
        heads = sorted(
            verification.heads(uow.conn, None).values(), key=lambda h: (h.org_id, h.item_id)
        )
        digest = checkpoint_hash(CHECKPOINT_V2, heads, prev)
        cp_id = verification.insert_checkpoint(
            uow.conn,
            now=utcnow(),
            prev_hash=prev,
            digest=digest,
            chain_heads_=heads,
            version=CHECKPOINT_V2,
        )
        uow.commit()
    return Checkpoint(id=cp_id, hash=digest)
