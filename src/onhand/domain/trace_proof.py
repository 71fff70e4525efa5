"""A trace's proof, and checking it offline.

A proof carries the traced lot's movements as stored (every field the hash covers, and the
hash), linked by the item's chain up to the head that a version 2 checkpoint recorded, with
what is needed to recompute that checkpoint's hash without seeing any other organisation: the
other leaves of its organisation and the other organisations' digests (domain.chain). Whoever
holds the checkpoint's hash as the organisation published it can then check, with no access to
the database, that:

1. every movement in the proof is as it was stored (its hash),
2. they follow each other in the item's chain with none left out (the links), up to the head,
3. the head is the one the published checkpoint vouches for,
4. the trace's tables (receipts, customers, transfers, other, on hand, reconciliation) are
   what those movements make: every number and date, each row once, none made up or missing.

What the hashes cannot vouch for: the names of locations, suppliers and customers (labels the
exporter adds to ids), and movements of the lot before the first one in the proof (a replay
that takes a stock location below zero says some are missing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from onhand.domain.chain import (
    CHECKPOINT_V2,
    ChainHead,
    MovementRecord,
    checkpoint_digest,
    head_leaf,
    movement_hash,
    org_digest,
)
from onhand.domain.quantities import SCALE, micro_text
from onhand.domain.traceability import (
    Move,
    Reconciliation,
    is_stock,
    reconcile_tables,
    reconciliation_sentence,
    tabulate,
    totals,
)

FORMAT = "onhand-trace-proof/1"
# Far above any quantity of a trace (sums of balances, each below 10**12 units): a bound that
# keeps a crafted exponent from costing time or overflowing.
_QUANTITY_LIMIT = Decimal(10) ** 24
_INT_FIELDS = frozenset(
    {"id", "org_id", "item_id", "chain_seq", "posting_id", "from_location_id",
     "to_location_id", "qty", "actor_id"}
)  # fmt: skip
_OPT_INT_FIELDS = frozenset({"prev_id", "lot_id", "serial_id", "reverses_id"})
_TIME_FIELDS = frozenset({"effective_at", "recorded_at"})
_OPT_TEXT_FIELDS = frozenset({"ref_type", "ref_id", "reason"})


class ProofError(Exception):
    """The proof cannot be read as a proof (its structure, not its content, is wrong)."""


def record_json(rec: MovementRecord, stored_hash: str) -> dict[str, Any]:
    """A movement as a proof carries it: every hashed field (times in ISO 8601 UTC with
    microseconds, the quantity in micro-units) and its stored hash."""
    out: dict[str, Any] = {}
    for name, value in zip(MovementRecord._fields, rec, strict=True):
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    out["hash"] = stored_hash
    return out


def _is_int(value: Any) -> bool:
    """A whole number as the store keeps them (a signed 64-bit integer; not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _record(raw: Any, where: str) -> tuple[MovementRecord, str]:
    if not isinstance(raw, dict):
        raise ProofError(f"{where} is not an object")
    values: list[Any] = []
    for name in MovementRecord._fields:
        if name not in raw:
            raise ProofError(f"{where} has no {name!r}")
        v = raw[name]
        ok = (
            (name in _INT_FIELDS and _is_int(v))
            or (name in _OPT_INT_FIELDS and (v is None or _is_int(v)))
            or (name in _OPT_TEXT_FIELDS and (v is None or isinstance(v, str)))
            or (name == "prev_hash" and isinstance(v, str))
        )
        if name in _TIME_FIELDS:
            try:
                v = datetime.fromisoformat(v)
                ok = v.tzinfo is not None
            except (TypeError, ValueError):
                ok = False
        if not ok:
            raise ProofError(f"{where}: {name!r} is not what a movement holds")
        values.append(v)
    h = raw.get("hash")
    if not isinstance(h, str):
        raise ProofError(f"{where} has no hash")
    return MovementRecord(*values), h


def _dict(doc: Any, name: str) -> dict[str, Any]:
    v = doc.get(name) if isinstance(doc, dict) else None
    if not isinstance(v, dict):
        raise ProofError(f"the proof has no {name!r} section")
    return v


def _list(doc: dict[str, Any], name: str) -> list[Any]:
    v = doc.get(name)
    if not isinstance(v, list):
        raise ProofError(f"{name!r} is not a list")
    return v


@dataclass(slots=True)
class ProofReport:
    """What checking a proof found. ``ok``: nothing is wrong with what it holds; ``complete``:
    moreover every traced movement is anchored in a checkpoint whose hash matched the
    published one."""

    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    traced: int = 0
    anchored: int = 0
    checkpoint_id: int | None = None
    checkpoint_hash: str | None = None
    published_match: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def complete(self) -> bool:
        return self.ok and self.published_match and self.anchored == self.traced


def verify_proof(doc: Any, published: Mapping[int, str]) -> ProofReport:
    """Check a proof against published checkpoint hashes (id -> hash); never raises for a bad
    proof: every problem is a finding with a sentence."""
    report = ProofReport()
    try:
        _verify(doc, published, report)
    except ProofError as exc:
        report.findings.append(f"the file is not a readable trace proof: {exc}")
    return report


def _verify(doc: Any, published: Mapping[int, str], report: ProofReport) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ProofError(f"its format is not {FORMAT!r}")
    subject = _dict(doc, "subject")
    org: Any = subject.get("org_id")
    item: Any = subject.get("item_id")
    lot, serial = subject.get("lot_id"), subject.get("serial_id")
    if not (_is_int(org) and _is_int(item)):
        raise ProofError("the subject names no organisation or item")
    if (lot is None) == (serial is None) or not _is_int(lot if lot is not None else serial):
        raise ProofError("the subject names neither one lot nor one serial")
    chain = [_record(r, f"chain movement {n}") for n, r in enumerate(_list(doc, "chain"), 1)]
    loose = [
        _record(r, f"unanchored movement {n}") for n, r in enumerate(_list(doc, "unanchored"), 1)
    ]
    places = _locations(_dict(doc, "locations"))

    def traced(rec: MovementRecord) -> bool:
        return rec.lot_id == lot if lot is not None else rec.serial_id == serial

    for rec, stored in chain + loose:
        if rec.org_id != org or rec.item_id != item:
            report.findings.append(f"movement {rec.id} is of another organisation or item")
        if movement_hash(rec) != stored:
            report.findings.append(
                f"movement {rec.id} (position {rec.chain_seq}) does not match its hash: "
                "its content was changed"
            )
    for (prev, prev_hash), (rec, _) in pairwise(chain):
        if (rec.prev_id, rec.prev_hash, rec.chain_seq) != (prev.id, prev_hash, prev.chain_seq + 1):
            report.findings.append(
                f"movement {rec.id} does not follow movement {prev.id} in the item's chain: "
                "movements were removed, added or reordered"
            )
    if chain and not traced(chain[0][0]):
        report.findings.append("the chain does not start at a movement of the traced lot")
    for rec, _ in loose:
        if not traced(rec):
            report.findings.append(f"unanchored movement {rec.id} is not of the traced lot")
    _check_unique(chain + loose, report)
    _check_checkpoint(doc.get("checkpoint"), chain, org, item, published, report)
    if chain:
        # The anchored chain holds every position up to the head: a movement given as
        # unanchored at one of them is not the one stored there.
        for rec, _ in loose:
            if rec.chain_seq <= chain[-1][0].chain_seq:
                report.findings.append(
                    f"unanchored movement {rec.id} claims position {rec.chain_seq} of the "
                    f"item's chain, which the anchored chain covers (up to position "
                    f"{chain[-1][0].chain_seq})"
                )
    mine = [(rec, h) for rec, h in chain if traced(rec)]
    report.anchored = len(mine) if report.checkpoint_id is not None else 0
    moves = [rec for rec, _ in sorted(mine + loose, key=lambda x: x[0].chain_seq)]
    report.traced = len(moves)
    _replay(moves, places, report)
    _check_tables(_dict(doc, "trace"), moves, places, report)


def _check_unique(records: list[tuple[MovementRecord, str]], report: ProofReport) -> None:
    """Each movement once: by its id and by its position in the item's chain."""
    for what, values in (
        ("id", [rec.id for rec, _ in records]),
        ("position", [rec.chain_seq for rec, _ in records]),
    ):
        twice = sorted(v for v, n in Counter(values).items() if n > 1)
        if twice:
            report.findings.append(
                f"the proof carries more than one movement of {what} {twice[0]}: movements were "
                "added"
            )


def _locations(raw: dict[str, Any]) -> dict[int, tuple[str, str, bool]]:
    out: dict[int, tuple[str, str, bool]] = {}
    for k, v in raw.items():
        try:
            out[int(k)] = (str(v["path"]), str(v["kind"]), bool(v["allow_negative"]))
        except (KeyError, TypeError, ValueError):
            raise ProofError(
                f"location {k!r} is not described by path, kind, allow_negative"
            ) from None
    return out


def _hex(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64


def _check_checkpoint(
    cp: Any,
    chain: list[tuple[MovementRecord, str]],
    org: int,
    item: int,
    published: Mapping[int, str],
    report: ProofReport,
) -> None:
    if cp is None:
        if chain:
            report.findings.append(
                "movements are given as anchored but the proof has no checkpoint"
            )
        report.notes.append(
            "no checkpoint covers these movements yet: the proof cannot anchor them"
        )
        return
    if not isinstance(cp, dict) or not _is_int(cp.get("id")):
        raise ProofError("the checkpoint section is not readable")
    report.checkpoint_id, report.checkpoint_hash = cp["id"], cp.get("hash")
    head, leaves, digests = cp.get("head"), cp.get("leaves"), cp.get("org_digests")
    if (
        not _is_int(cp.get("version"))
        or cp["version"] != CHECKPOINT_V2
        or not isinstance(head, dict)
    ):
        raise ProofError("the checkpoint is not of version 2 or has no head")
    if not (isinstance(leaves, list) and isinstance(digests, list)):
        raise ProofError("the checkpoint has no leaves or organisation digests")
    if leaves.count(None) != 1 or digests.count(None) != 1:
        raise ProofError("the checkpoint must leave exactly one leaf and one digest to compute")
    if not all(_hex(x) for x in leaves + digests if x is not None):
        raise ProofError("a leaf or digest is not a sha256 hash")
    if not (_hex(cp.get("hash")) and _hex(cp.get("prev_hash")) and _hex(head.get("hash"))):
        raise ProofError("the checkpoint's hashes are not sha256 hashes")
    mid = head.get("movement_id")
    if not _is_int(head.get("seq")) or not (mid is None or _is_int(mid)):
        raise ProofError("the checkpoint's head has no position or movement id")
    head_ = ChainHead(org, item, head["seq"], mid, head["hash"])
    if chain:
        last, last_hash = chain[-1]
        if (last.chain_seq, last.id, last_hash) != (head_.seq, head_.movement_id, head_.hash):
            report.findings.append(
                f"the chain ends at movement {last.id} (position {last.chain_seq}), not at the "
                f"head checkpoint {cp['id']} recorded (movement {head_.movement_id}, position "
                f"{head_.seq})"
            )
    mine = org_digest(org, [head_leaf(head_) if x is None else x for x in leaves])
    computed = checkpoint_digest([mine if x is None else x for x in digests], cp["prev_hash"])
    if computed != cp["hash"]:
        report.findings.append(
            f"checkpoint {cp['id']}'s hash does not follow from the head and digests in the proof"
        )
        return
    expected = published.get(cp["id"])
    if expected == cp["hash"] or (expected is None and cp["hash"] in published.values()):
        report.published_match = True
    elif expected is not None:
        report.findings.append(
            f"checkpoint {cp['id']} in the proof has another hash than the published one"
        )
    else:
        report.findings.append(f"checkpoint {cp['id']} is not among the published checkpoints")


def _replay(
    moves: list[MovementRecord], places: dict[int, tuple[str, str, bool]], report: ProofReport
) -> None:
    """The lot's movements from nothing: a stock location that may not go negative and does
    means movements before the first one in the proof were left out."""
    level: dict[int, int] = {}
    for rec in moves:
        for loc, delta in ((rec.from_location_id, -rec.qty), (rec.to_location_id, rec.qty)):
            path, kind, negative_ok = places.get(loc, (str(loc), "", True))
            level[loc] = level.get(loc, 0) + delta
            if is_stock(kind) and not negative_ok and level[loc] < 0:
                report.findings.append(
                    f"movement {rec.id} takes {path} below zero: the proof misses earlier "
                    "movements of the lot"
                )
                level[loc] = 0  # one finding per gap, not one per later movement


def _moves(moves: list[MovementRecord], places: dict[int, tuple[str, str, bool]]) -> list[Move]:
    out = []
    for r in moves:
        if r.from_location_id not in places or r.to_location_id not in places:
            raise ProofError(f"movement {r.id} names a location the proof does not describe")
        out.append(
            Move(
                r.id,
                r.posting_id,
                r.from_location_id,
                r.to_location_id,
                places[r.from_location_id][1],
                places[r.to_location_id][1],
                r.qty,
                r.effective_at,
                r.ref_type,
                r.ref_id,
                r.reason,
                r.reverses_id,
            )
        )
    return out


def _micro(value: Any, where: str) -> int:
    """A quantity as the exporter writes it (a decimal text or number), exactly in micro-units:
    more decimals than the store keeps is no quantity a movement made."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProofError(f"{where}: {value!r:.60} is not a quantity")
    try:
        d = Decimal(value) if isinstance(value, int) else Decimal(value.strip())
        if not d.is_finite() or abs(d) >= _QUANTITY_LIMIT:
            raise InvalidOperation
        micro = d.scaleb(SCALE)
        if micro != micro.to_integral_value():
            raise InvalidOperation
        return int(micro)
    except (ArithmeticError, ValueError):
        raise ProofError(f"{where}: {value!r:.60} is not a quantity") from None


def _time(value: Any, where: str) -> datetime | None:
    """A time as the exporter writes it (ISO 8601 with its offset), or null."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ProofError(f"{where}: {value!r:.60} is not a time") from None
    if at.tzinfo is None:
        raise ProofError(f"{where}: {value!r:.60} has no time zone")
    return at


def _scalar(value: Any, where: str) -> Any:
    """A part of a row's key: a text, a whole number or null (what a movement's fields are)."""
    if value is None or isinstance(value, str) or _is_int(value):
        return value
    raise ProofError(f"{where}: {value!r:.60} is not a text, a number or null")


def _text(value: Any) -> str:
    return "nothing" if value is None else str(value)


class _Table:
    """One table of the trace, its rows by key, checked against what the movements make: a
    row twice, a row no movement makes and a row missing are findings; then, column by
    column, every value."""

    def __init__(
        self,
        trace: dict[str, Any],
        name: str,
        key: Callable[[dict[str, Any]], Any],
        made: Collection[Any],
        label: Callable[[Any], str],
        report: ProofReport,
    ) -> None:
        self.name, self.label, self.report = name.replace("_", " "), label, report
        self.rows: dict[Any, dict[str, Any]] = {}
        seen: set[Any] = set()
        for n, row in enumerate(_list(trace, name), 1):
            if not isinstance(row, dict):
                raise ProofError(f"row {n} of the trace's {name!r} is not an object")
            k = key(row)
            if k in seen:
                report.findings.append(f"{self.name}: {label(k)} is shown twice")
                self.rows.pop(k, None)  # which of the two is true cannot be told
                continue
            seen.add(k)
            if k not in made:
                report.findings.append(
                    f"{self.name}: {label(k)} is not made by any movement of the lot"
                )
            else:
                self.rows[k] = row
        for k in sorted(set(made) - seen, key=repr):
            report.findings.append(f"{self.name}: {label(k)} is missing from the trace")

    def quantities(self, column: str, computed: Mapping[Any, int]) -> None:
        """A column of quantities against what the movements add up to."""
        title = self.name if column == "quantity" else f"{self.name} ({column})"
        for k, row in self.rows.items():
            claimed, want = (
                _micro(row.get(column), f"{title} of {self.label(k)}"),
                computed.get(k, 0),
            )
            if claimed != want:
                self.report.findings.append(
                    f"{title}: {self.label(k)} says {micro_text(claimed)} but its movements add "
                    f"up to {micro_text(want)}"
                )

    def times(self, column: str, computed: Mapping[Any, datetime | None]) -> None:
        """A column of times against the movements' effective times."""
        title = f"{self.name} ({column})"
        for k, row in self.rows.items():
            claimed, want = _time(row.get(column), f"{title} of {self.label(k)}"), computed.get(k)
            if claimed != want:
                self.report.findings.append(
                    f"{title}: {self.label(k)} says {_text(claimed)} but its movements say "
                    f"{_text(want)}"
                )

    def among(self, column: str, allowed: Mapping[Any, Collection[Any]]) -> None:
        """A column that must be one of the values the group's movements carry."""
        for k, row in self.rows.items():
            if row.get(column) not in allowed.get(k, ()):
                self.report.findings.append(
                    f"{self.name} ({column}): {self.label(k)} says {_text(row.get(column))[:60]}, "
                    "which none of its movements carries"
                )


def _check_tables(
    trace: dict[str, Any],
    moves: list[MovementRecord],
    places: dict[int, tuple[str, str, bool]],
    report: ProofReport,
) -> None:
    """Every number and date of the trace's tables against what the movements make."""
    t = tabulate(_moves(moves, places))
    path = {k: v[0] for k, v in places.items()}
    by_path = {v: k for k, v in path.items()}
    kinds = {k: v[1] for k, v in places.items()}
    computed_rec = reconcile_tables(t, t.ledger, kinds)
    _check_reconciliation(_dict(trace, "reconciliation"), computed_rec, report)
    count = trace.get("movement_count")
    if count is not None and count != len(moves):
        report.findings.append(
            f"the trace says {_text(count)[:20]} movements but the proof carries {len(moves)}"
        )

    def place(value: Any, where: str) -> Any:
        return by_path.get(_scalar(value, where), value)

    receipts = _Table(
        trace,
        "receipts",
        lambda r: (_scalar(r.get("posting_id"), "receipt"), place(r.get("location"), "receipt")),
        t.receipts,
        lambda k: f"posting {k[0]} into {path.get(k[1], k[1])}",
        report,
    )
    receipts.quantities("quantity", t.receipts)
    receipts.times("received_at", {k: v[0] for k, v in t.receipt_info.items()})
    receipts.among("ref_type", {k: v[1] for k, v in t.receipt_info.items()})
    receipts.among("ref_id", {k: v[2] for k, v in t.receipt_info.items()})

    customers = _Table(
        trace,
        "customers",
        lambda r: (
            _scalar(r.get("ref_group"), "customer"),
            _scalar(r.get("reference"), "customer"),
        ),
        t.customers,
        lambda k: f"{k[1]}",
        report,
    )
    customers.quantities("shipped", {k: v[0] for k, v in t.customers.items()})
    customers.quantities("returned", {k: v[1] for k, v in t.customers.items()})
    customers.quantities("net", {k: v[0] - v[1] for k, v in t.customers.items()})
    for i, col in enumerate(("first_shipped_at", "last_shipped_at", "last_returned_at")):
        customers.times(col, {k: v[i] for k, v in t.customer_dates.items()})

    transfers = _Table(
        trace,
        "transfers",
        lambda r: _scalar(r.get("number"), "transfer"),
        t.transfers,
        lambda k: f"transfer {k}",
        report,
    )
    transfers.quantities("sent", {k: v[0] for k, v in t.transfers.items()})
    transfers.quantities("arrived", {k: v[1] for k, v in t.transfers.items()})
    transfers.quantities("in_transit", {k: v[0] - v[1] for k, v in t.transfers.items()})
    for i, col in enumerate(("first_at", "last_at")):
        transfers.times(col, {k: v[i] for k, v in t.transfer_dates.items()})

    other = _Table(
        trace,
        "other",
        lambda r: tuple(
            _scalar(r.get(c), "other") for c in ("category", "ref_type", "ref_id", "reason")
        ),
        t.other,
        lambda k: " ".join(str(x) for x in k if x),
        report,
    )
    other.quantities("quantity", t.other)
    for i, col in enumerate(("first_at", "last_at")):
        other.times(col, {k: v[i] for k, v in t.other_dates.items()})

    held = {k: v for k, v in t.ledger.items() if v}
    on_hand = _Table(
        trace,
        "on_hand",
        lambda r: place(r.get("location"), "on hand"),
        held,
        lambda k: path.get(k, str(k)),
        report,
    )
    on_hand.quantities("quantity", held)
    on_hand.quantities("ledger_quantity", held)


def _check_reconciliation(
    rec: dict[str, Any], computed: Reconciliation, report: ProofReport
) -> None:
    """The reconciliation's quantities, its verdict and its sentence, as the movements make
    them (in a proof the stored balances must be what the movements leave)."""
    want = totals(computed) | {"difference": computed.difference}
    for name, value in want.items():
        claimed = _micro(rec.get(name), f"reconciliation {name}")
        if claimed != value:
            report.findings.append(
                f"reconciliation: {name.replace('_', ' ')} says {micro_text(claimed)} but its "
                f"movements add up to {micro_text(value)}"
            )
    if rec.get("balanced") is not computed.balanced:
        report.findings.append(
            f"reconciliation: it says balanced is {_text(rec.get('balanced'))[:20]} but the "
            f"movements make it {computed.balanced}"
        )
    if rec.get("mismatched_locations") not in (None, []):
        report.findings.append(
            "reconciliation: it names locations whose balances differ from the ledger, but the "
            "movements leave every location as the trace shows it"
        )
    if rec.get("sentence") != reconciliation_sentence(computed):
        report.findings.append(
            "reconciliation: its sentence is not what the movements make: "
            f"{reconciliation_sentence(computed)}"
        )
