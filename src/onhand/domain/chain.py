"""Tamper evidence: the hash chain over movement rows.

Every item has its own chain (so writers of different items never wait for each other). A
movement's hash is sha256 over a canonical encoding of all its stored fields, its position in the
chain (sequence number and previous movement id) and the previous movement's hash. Checkpoints
hash all chain heads together, each checkpoint including the previous checkpoint's hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

GENESIS = "0" * 64


class MovementRecord(NamedTuple):
    """A stored movement, field order fixed: this order is part of the hash format."""

    id: int
    org_id: int
    item_id: int
    chain_seq: int
    prev_id: int | None
    prev_hash: str
    posting_id: int
    lot_id: int | None
    serial_id: int | None
    from_location_id: int
    to_location_id: int
    qty: int
    effective_at: datetime
    recorded_at: datetime
    ref_type: str | None
    ref_id: str | None
    reason: str | None
    actor_id: int
    reverses_id: int | None


def _micros(ts: datetime) -> int:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    delta = ts - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def canonical(record: MovementRecord) -> bytes:
    """Length-prefixed encoding: unambiguous whatever the strings contain; None is '~'."""
    parts = []
    for value in record:
        if value is None:
            parts.append("~")
            continue
        text = str(_micros(value)) if isinstance(value, datetime) else str(value)
        parts.append(f"{len(text)}:{text}")
    return "|".join(parts).encode()


def movement_hash(record: MovementRecord) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by verification; ``movement_id`` names the row when there is one."""

    check: str
    message: str
    movement_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChainHead:
    org_id: int
    item_id: int
    seq: int
    movement_id: int | None
    hash: str


def verify_chain(
    rows: Iterable[tuple[MovementRecord, str]],
    head: ChainHead | None,
    *,
    org_id: int,
    item_id: int,
) -> Iterator[Finding]:
    """Walk one item's chain (record, stored hash) in sequence order; report every break."""
    expected_seq: int = 1
    prev_id: int | None = None
    prev_hash = GENESIS
    for rec, stored in rows:
        if rec.org_id != org_id or rec.item_id != item_id:
            yield Finding("chain", f"movement {rec.id} is filed in another item's chain", rec.id)
        if rec.chain_seq != expected_seq:
            if rec.chain_seq > expected_seq:
                yield Finding(
                    "chain",
                    f"movements with chain positions {expected_seq}..{rec.chain_seq - 1} of item "
                    f"{item_id} are missing before movement {rec.id}"
                    + (f" (movement {rec.prev_id} was deleted)" if rec.prev_id != prev_id else ""),
                    rec.prev_id if rec.prev_id != prev_id else rec.id,
                )
            else:
                yield Finding(
                    "chain",
                    f"movement {rec.id} repeats chain position {rec.chain_seq} of item {item_id}"
                    " (inserted or reordered row)",
                    rec.id,
                )
        elif rec.prev_id != prev_id:
            yield Finding(
                "chain",
                f"movement {rec.id} should follow movement {prev_id} but names {rec.prev_id} "
                "(deleted, inserted or reordered row)",
                rec.id,
            )
        if rec.prev_hash != prev_hash:
            yield Finding(
                "chain",
                f"movement {rec.id} does not link to the hash of the movement before it",
                rec.id,
            )
        if stored != movement_hash(rec):
            yield Finding(
                "chain", f"movement {rec.id} was altered: its hash does not match", rec.id
            )
        expected_seq, prev_id = rec.chain_seq + 1, rec.id
        prev_hash = stored
    if head is not None and (head.seq != expected_seq - 1 or head.movement_id != prev_id):
        yield Finding(
            "chain",
            f"item {item_id}'s chain ends at position {expected_seq - 1} (movement {prev_id}) but "
            f"its recorded head is position {head.seq} (movement {head.movement_id}): "
            "movements were deleted from or appended to the end",
            head.movement_id,
        )
    elif head is not None and head.hash != prev_hash:
        yield Finding("chain", f"item {item_id}'s chain head hash does not match", prev_id)


def heads_digest(heads: Iterable[ChainHead], previous: str) -> str:
    """Checkpoint hash over all chain heads (sorted) and the previous checkpoint's hash."""
    h = hashlib.sha256(previous.encode())
    for head in sorted(heads, key=lambda x: (x.org_id, x.item_id)):
        h.update(
            f"|{head.org_id}:{head.item_id}:{head.seq}:{head.movement_id}:{head.hash}".encode()
        )
    return h.hexdigest()
