"""Trace proofs: a trace exported with its movements' ledger hashes, chained up to a checkpoint
head, so that a partner can check it offline against the organisation's published checkpoint
hashes (domain.trace_proof says what is checked and what cannot be)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.chain import CHECKPOINT_V2, ChainHead, head_leaf, org_digests
from onhand.domain.errors import InvalidInput
from onhand.domain.trace_proof import FORMAT, ProofReport, record_json, verify_proof
from onhand.services.common import not_found, utcnow
from onhand.services.traceability import Traced, require_whole_reach, resolve, trace_in
from onhand.store import traceability
from onhand.store.unit_of_work import Database, UnitOfWork

# Movements of the item's chain a proof may carry (the lot's and those linking them to the
# checkpoint's head): about 500 bytes each.
MAX_PROOF_MOVEMENTS = 200_000


def jsonable(value: Any) -> Any:
    """Decimals as strings, dates and times in ISO 8601, containers walked."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def export_proof(
    db: Database,
    actor: Actor,
    *,
    sku: str,
    lot: str | None = None,
    serial: str | None = None,
    checkpoint_id: int | None = None,
) -> dict[str, Any]:
    """The proof of a lot's (or serial's) trace, anchored in a version 2 checkpoint: the one
    named, else the latest. Movements after that checkpoint are carried as unanchored."""
    actor.require(Permission.READ)
    require_whole_reach(actor)
    with db.reading() as uow:
        traceability.snapshot(uow.conn)
        traced = resolve(uow, actor, sku, lot, serial)
        return _proof(uow, actor, traced, checkpoint_id)


def _checkpoint(uow: UnitOfWork, checkpoint_id: int | None) -> Any | None:
    cp = traceability.checkpoint_row(uow.conn, checkpoint_id, version=CHECKPOINT_V2)
    if checkpoint_id is None:
        return cp
    if cp is None:
        raise not_found("checkpoint", checkpoint_id)
    if cp.version != CHECKPOINT_V2:
        raise InvalidInput(
            f"checkpoint {checkpoint_id} is of version {cp.version}, which hashes every "
            "organisation's chains together and cannot prove one organisation's movements "
            "alone: name a checkpoint recorded since (onhand checkpoint records one)",
            code="checkpoint_version",
        )
    return cp


def _proof(
    uow: UnitOfWork, actor: Actor, traced: Traced, checkpoint_id: int | None
) -> dict[str, Any]:
    conn, org, key = uow.conn, actor.org_id, traced.key
    trace = trace_in(uow, actor, traced, movements=0)
    trace.pop("movements")
    extent = traceability.extent(conn, org, key)
    cp = _checkpoint(uow, checkpoint_id)
    heads = [ChainHead(*h) for h in json.loads(cp.heads)] if cp is not None else []
    own = next((h for h in heads if (h.org_id, h.item_id) == (org, key.item_id)), None)
    covered = own is not None and extent.count and own.seq >= extent.first_seq
    chain: list[dict[str, Any]] = []
    if covered:
        assert own is not None
        size = own.seq - extent.first_seq + 1
        if size > MAX_PROOF_MOVEMENTS:
            raise InvalidInput(
                f"the proof would carry {size} movements of {traced.item.sku}'s chain (at most "
                f"{MAX_PROOF_MOVEMENTS}): name an earlier checkpoint, recorded closer to the "
                "lot's last movement",
                code="proof_too_large",
            )
        chain = [
            record_json(rec, h)
            for rec, h in traceability.chain_segment(
                conn, org, key.item_id, int(extent.first_seq), own.seq
            )
        ]
    last = own.seq if covered and own is not None else 0
    rows = traceability.traced_movements(conn, org, key)
    loose = [record_json(traceability.record_of(r), r.hash) for r in rows if r.chain_seq > last]
    places = traceability.locations_by_id(
        conn, org, [i for r in rows for i in (r.from_location_id, r.to_location_id)]
    )
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "exported_by": actor.username,
        "subject": {
            "org_id": org,
            "item_id": key.item_id,
            "sku": traced.item.sku,
            "name": traced.item.name,
            "uom": traced.item.uom,
            "precision": traced.item.precision,
            "lot_id": key.lot_id,
            "lot": traced.lot.code if traced.lot is not None else None,
            "serial_id": key.serial_id,
            "serial": traced.serial.serial if traced.serial is not None else None,
        },
        "trace": jsonable(trace),
        "locations": {
            str(p.id): {"path": p.path, "kind": p.kind, "allow_negative": bool(p.allow_negative)}
            for p in places
        },
        "chain": chain,
        "unanchored": loose,
        "checkpoint": _anchor(cp, heads, own, org) if covered else None,
        "how_to_verify": (
            "onhand trace verify PROOF.json --checkpoints CHECKPOINTS.json, where "
            "CHECKPOINTS.json holds the checkpoint hashes the organisation published"
        ),
    }


def _anchor(cp: Any, heads: list[ChainHead], own: ChainHead | None, org: int) -> dict[str, Any]:
    """The checkpoint as a proof carries it: the organisation's other leaves and the other
    organisations' digests, each in order, with a null where the verifier computes its own."""
    assert own is not None
    mine = sorted((h for h in heads if h.org_id == org), key=lambda h: h.item_id)
    digests = org_digests(heads)
    return {
        "id": cp.id,
        "created_at": cp.created_at.isoformat(),
        "version": cp.version,
        "prev_hash": cp.prev_hash,
        "hash": cp.hash,
        "head": {"seq": own.seq, "movement_id": own.movement_id, "hash": own.hash},
        "leaves": [None if h.item_id == own.item_id else head_leaf(h) for h in mine],
        "org_digests": [None if o == org else digests[o] for o in sorted(digests)],
    }


def verify_file(proof: Any, published: Mapping[int, str]) -> ProofReport:
    """Check a proof read from a file against published checkpoint hashes (id -> hash)."""
    return verify_proof(proof, published)


def published_from(doc: Any) -> dict[int, str]:
    """Checkpoint hashes by id from what GET /api/v1/checkpoints (or `onhand trace
    checkpoints`) gives: a list of objects with id and hash."""
    items = doc.get("checkpoints") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InvalidInput(
            "the checkpoints file must be a list of {id, hash} (what GET /api/v1/checkpoints "
            "answers)",
            code="invalid_checkpoints",
        )
    out: dict[int, str] = {}
    for entry in items:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), int)
            and isinstance(entry.get("hash"), str)
        ):
            raise InvalidInput(
                "each checkpoint in the file needs an id (a number) and a hash",
                code="invalid_checkpoints",
            )
        out[entry["id"]] = entry["hash"]
    return out


def list_checkpoints(
    db: Database, actor: Actor, *, limit: int = 100, before_id: int | None = None
) -> list[dict[str, Any]]:
    """The installation's checkpoints, newest first: id, time, version and hashes. Their hashes
    are what an organisation publishes for partners to check trace proofs against."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        rows = traceability.published_checkpoints(uow.conn, limit=limit, before_id=before_id)
    return [
        {
            "id": r.id,
            "created_at": r.created_at,
            "version": r.version,
            "prev_hash": r.prev_hash,
            "hash": r.hash,
        }
        for r in rows
    ]
