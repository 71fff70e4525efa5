"""Tamper evidence: the hash chain over movement rows.

Every item has its own chain (so writers of different items never wait for each other). A
movement's hash is sha256 over a canonical encoding of all its stored fields, its position in the
chain (sequence number and previous movement id) and the previous movement's hash. Checkpoints
hash all chain heads, each checkpoint including the previous checkpoint's hash: version 1 in one
stream, version 2 (recorded now) each organisation's heads to a digest first (docs/ledger.md).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(ts: datetime) -> int:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return (ts - _EPOCH) // _MICROSECOND


def canonical(record: MovementRecord) -> bytes:
    """Length-prefixed encoding: unambiguous whatever the strings contain; None is '~'.

    Each value is ``len:text`` (a time is its microseconds since 1970 UTC), joined by '|'. This
    runs once per row in `onhand verify`, hence the fast paths for the common types.
    """
    parts: list[str] = []
    append = parts.append
    for value in record:
        if value is None:
            append("~")
            continue
        cls = type(value)
        if cls is str:
            text = value
        elif cls is int:
            text = str(value)
        elif isinstance(value, datetime):
            text = str(_micros(value))
        else:
            text = str(value)
        append(f"{len(text)}:{text}")
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
    """Check one item's chain (record, stored hash), given in sequence order; report every break.

    Each finding names the row to look at: an altered row, the id of a deleted row (known from
    the row that follows it or from the chain head), an inserted row (one that is not on the
    chain that leads back from the recorded head), or a row that sits at the wrong position.
    A sound chain is checked in one pass; the by-id analysis runs only when something is off.
    """
    ordered = list(rows)
    altered: set[int] = set()
    linked = True  # every row follows the one before it, from position 1
    prev: MovementRecord | None = None
    prev_stored = GENESIS
    for rec, stored in ordered:
        if rec.org_id != org_id or rec.item_id != item_id:
            yield Finding("chain", f"movement {rec.id} is filed in another item's chain", rec.id)
        if stored != movement_hash(rec):
            altered.add(rec.id)
            yield Finding(
                "chain", f"movement {rec.id} was altered: its hash does not match", rec.id
            )
        if linked and (
            rec.prev_id != (prev.id if prev else None)
            or rec.prev_hash != prev_stored
            or rec.chain_seq != (prev.chain_seq + 1 if prev else 1)
        ):
            linked = False
        prev, prev_stored = rec, stored
    at_head = head is None or (
        (head.movement_id, head.seq, head.hash)
        == ((prev.id, prev.chain_seq, prev_stored) if prev else (None, 0, GENESIS))
    )
    if linked and at_head:
        return
    by_id = {rec.id: (rec, stored) for rec, stored in ordered}
    if not linked:
        yield from _check_links(ordered, by_id, altered, item_id)
    yield from _check_head(by_id, head, item_id)
    on_chain = _walk_back(ordered, by_id, head)
    for rec, _ in ordered:
        if rec.id not in on_chain:
            after = head is not None and rec.chain_seq > head.seq
            yield Finding(
                "chain",
                f"movement {rec.id} is not linked into item {item_id}'s chain"
                + (" (it comes after the recorded chain head)" if after else "")
                + ": it was inserted",
                rec.id,
            )


def _check_links(
    ordered: list[tuple[MovementRecord, str]],
    by_id: dict[int, tuple[MovementRecord, str]],
    altered: set[int],
    item_id: int,
) -> Iterator[Finding]:
    """Each row must name an existing predecessor, its hash, and the position just before."""
    for rec, _ in ordered:
        if rec.prev_id is None:
            if rec.chain_seq != 1 or rec.prev_hash != GENESIS:
                yield Finding(
                    "chain",
                    f"movement {rec.id} claims to start item {item_id}'s chain but sits at "
                    f"position {rec.chain_seq}",
                    rec.id,
                )
            continue
        found = by_id.get(rec.prev_id)
        if found is None:
            yield Finding(
                "chain",
                f"movement {rec.prev_id}, which movement {rec.id} follows in item {item_id}'s "
                "chain, is missing: it was deleted",
                rec.prev_id,
            )
            continue
        prev, prev_stored = found
        # A row whose own hash is intact vouches for the hash it recorded for its predecessor:
        # if that differs, the predecessor was changed and its hash recomputed.
        if rec.prev_hash != prev_stored and rec.id not in altered:
            yield Finding(
                "chain",
                f"movement {prev.id} was altered and re-hashed: movement {rec.id}, which follows "
                "it, recorded another hash for it",
                prev.id,
            )
        if prev.chain_seq != rec.chain_seq - 1:
            yield Finding(
                "chain",
                f"movement {rec.id} is at position {rec.chain_seq} of item {item_id}'s chain but "
                f"follows movement {prev.id} at position {prev.chain_seq}: rows were reordered, "
                "deleted or inserted",
                rec.id,
            )


def _check_head(
    by_id: dict[int, tuple[MovementRecord, str]], head: ChainHead | None, item_id: int
) -> Iterator[Finding]:
    if head is None or head.movement_id is None:
        return
    found = by_id.get(head.movement_id)
    if found is None:
        yield Finding(
            "chain",
            f"movement {head.movement_id}, the last of item {item_id}'s chain (position "
            f"{head.seq}), is missing: it was deleted",
            head.movement_id,
        )
        return
    rec, stored = found
    if rec.chain_seq != head.seq or stored != head.hash:
        yield Finding(
            "chain",
            f"movement {rec.id}, the head of item {item_id}'s chain, does not match the recorded "
            f"head (position {head.seq}): it was altered or moved",
            rec.id,
        )


def _walk_back(
    ordered: list[tuple[MovementRecord, str]],
    by_id: dict[int, tuple[MovementRecord, str]],
    head: ChainHead | None,
) -> set[int]:
    """Ids on the chain that leads back from the head (or from the last row when the head is gone).

    Where a link is missing (a deleted row) the walk resumes at the highest-positioned row below,
    so that one deletion does not make every earlier row look inserted.
    """
    if not ordered:
        return set()
    seqs = [rec.chain_seq for rec, _ in ordered]
    start = head.movement_id if head is not None and head.movement_id in by_id else None
    current: int | None = start if start is not None else ordered[-1][0].id
    visited: set[int] = set()
    while current is not None:
        visited.add(current)
        rec = by_id[current][0]
        nxt = rec.prev_id
        if nxt is None:
            break
        if nxt not in by_id or nxt in visited:
            nxt = None
            i = bisect_left(seqs, rec.chain_seq) - 1
            while i >= 0:
                candidate = ordered[i][0].id
                if candidate not in visited:
                    nxt = candidate
                    break
                i -= 1
        current = nxt
    return visited


def heads_digest(heads: Iterable[ChainHead], previous: str) -> str:
    """Checkpoint hash over all chain heads (sorted) and the previous checkpoint's hash."""
    h = hashlib.sha256(previous.encode())
    for head in sorted(heads, key=lambda x: (x.org_id, x.item_id)):
        h.update(
            f"|{head.org_id}:{head.item_id}:{head.seq}:{head.movement_id}:{head.hash}".encode()
        )
    return h.hexdigest()


# Checkpoints, version 2 ------------------------------------------------------------------------
#
# Version 1 (heads_digest) hashes every head of every organisation in one stream, so proving one
# head needs all the others: a proof handed to a partner would show other organisations' items
# and movement counts. Version 2 hashes in two levels: each head to a leaf, each organisation's
# leaves (in item order) to that organisation's digest, and the digests (in organisation order)
# with the previous checkpoint's hash to the checkpoint's hash. A proof then shows its own head,
# the other leaves of its organisation and the other organisations' digests: opaque hashes.

CHECKPOINT_V2 = 2


def head_leaf(head: ChainHead) -> str:
    """A chain head's leaf: sha256 over the same text version 1 hashes for the head."""
    text = f"{head.org_id}:{head.item_id}:{head.seq}:{head.movement_id}:{head.hash}"
    return hashlib.sha256(text.encode()).hexdigest()


def org_digest(org_id: int, leaves: Iterable[str]) -> str:
    """One organisation's digest over its heads' leaves, given in item order."""
    h = hashlib.sha256(f"org:{org_id}".encode())
    for leaf in leaves:
        h.update(f"|{leaf}".encode())
    return h.hexdigest()


def checkpoint_digest(org_digests: Iterable[str], previous: str) -> str:
    """A version 2 checkpoint's hash: the previous checkpoint's hash and every organisation's
    digest, in organisation order ('v2' keeps it apart from any version 1 hash)."""
    h = hashlib.sha256(f"{previous}|v2".encode())
    for digest in org_digests:
        h.update(f"|{digest}".encode())
    return h.hexdigest()


def org_digests(heads: Iterable[ChainHead]) -> dict[int, str]:
    """Each organisation's digest over its heads."""
    by_org: dict[int, list[ChainHead]] = {}
    for head in heads:
        by_org.setdefault(head.org_id, []).append(head)
    return {
        org: org_digest(org, (head_leaf(h) for h in sorted(mine, key=lambda x: x.item_id)))
        for org, mine in by_org.items()
    }


def heads_digest_v2(heads: Iterable[ChainHead], previous: str) -> str:
    """A version 2 checkpoint's hash over all chain heads (see checkpoint_digest)."""
    digests = org_digests(heads)
    return checkpoint_digest((digests[o] for o in sorted(digests)), previous)


def checkpoint_hash(version: int, heads: Iterable[ChainHead], previous: str) -> str:
    """The hash a checkpoint of ``version`` must carry for these heads."""
    if version == CHECKPOINT_V2:
        return heads_digest_v2(heads, previous)
    return heads_digest(heads, previous)
