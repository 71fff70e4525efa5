"""The hash chain: an unambiguous encoding, and verification that names every tampered row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onhand.domain.chain import (
    CHECKPOINT_V2,
    GENESIS,
    ChainHead,
    Finding,
    MovementRecord,
    canonical,
    checkpoint_digest,
    checkpoint_hash,
    head_leaf,
    heads_digest,
    heads_digest_v2,
    movement_hash,
    org_digest,
    org_digests,
    verify_chain,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
Row = tuple[MovementRecord, str]


def build_chain(n: int, *, item: int = 7, first_id: int = 100) -> tuple[list[Row], ChainHead]:
    """n movements of one item, chained as the posting service chains them."""
    rows: list[Row] = []
    prev_id: int | None = None
    prev_hash = GENESIS
    for seq in range(1, n + 1):
        rec = MovementRecord(
            id=first_id + seq * 3,  # ids are global, so a chain's ids have gaps
            org_id=1,
            item_id=item,
            chain_seq=seq,
            prev_id=prev_id,
            prev_hash=prev_hash,
            posting_id=seq,
            lot_id=None,
            serial_id=None,
            from_location_id=1,
            to_location_id=2,
            qty=seq * 1_000_000,
            effective_at=T0 + timedelta(hours=seq),
            recorded_at=T0 + timedelta(hours=seq, seconds=1),
            ref_type="PO",
            ref_id=f"PO-{seq}",
            reason=None,
            actor_id=1,
            reverses_id=None,
        )
        stored = movement_hash(rec)
        rows.append((rec, stored))
        prev_id, prev_hash = rec.id, stored
    last = rows[-1][0] if rows else None
    head = ChainHead(1, item, n, last.id if last else None, rows[-1][1] if rows else GENESIS)
    return rows, head


def findings(rows: list[Row], head: ChainHead | None, item: int = 7) -> list[Finding]:
    ordered = sorted(rows, key=lambda r: (r[0].chain_seq, r[0].id))
    return list(verify_chain(ordered, head, org_id=1, item_id=item))


def named(found: list[Finding]) -> set[int | None]:
    return {f.movement_id for f in found}


def rehash(rec: MovementRecord) -> Row:
    return rec, movement_hash(rec)


# --- the encoding -------------------------------------------------------------------------


def decode(data: bytes) -> list[str | None]:
    """Read the fields back: possible only because the encoding is unambiguous."""
    text = data.decode()
    out: list[str | None] = []
    i = 0
    while i < len(text):
        if text[i] == "~":
            out.append(None)
            i += 1
        else:
            colon = text.index(":", i)
            n = int(text[i:colon])
            out.append(text[colon + 1 : colon + 1 + n])
            i = colon + 1 + n
        if i < len(text):
            assert text[i] == "|"
            i += 1
    return out


tricky_text = st.one_of(
    st.none(),
    st.text(alphabet="|:~0123456789ab\n\\ é", max_size=12),
)
records = st.builds(
    MovementRecord,
    id=st.integers(1, 50),
    org_id=st.just(1),
    item_id=st.integers(1, 3),
    chain_seq=st.integers(1, 30),
    prev_id=st.none() | st.integers(1, 50),
    prev_hash=st.sampled_from([GENESIS, "a" * 64]),
    posting_id=st.integers(1, 5),
    lot_id=st.none() | st.integers(1, 3),
    serial_id=st.none() | st.integers(1, 3),
    from_location_id=st.integers(1, 4),
    to_location_id=st.integers(1, 4),
    qty=st.integers(1, 10**18),
    effective_at=st.datetimes(timezones=st.just(UTC)),
    recorded_at=st.just(T0),
    ref_type=tricky_text,
    ref_id=tricky_text,
    reason=tricky_text,
    actor_id=st.integers(1, 3),
    reverses_id=st.none() | st.integers(1, 50),
)


def field_texts(rec: MovementRecord) -> list[str | None]:
    out: list[str | None] = []
    for value in rec:
        if value is None:
            out.append(None)
        elif isinstance(value, datetime):
            out.append(str((value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)))
        else:
            out.append(str(value))
    return out


@given(records)
def test_the_encoding_can_be_read_back_field_by_field(rec: MovementRecord) -> None:
    assert decode(canonical(rec)) == field_texts(rec)


@given(records, records)
def test_different_records_never_share_an_encoding(a: MovementRecord, b: MovementRecord) -> None:
    assert (canonical(a) == canonical(b)) == (a == b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # A separator inside one field must not look like a field boundary.
        ({"ref_type": "PO|2:ab", "ref_id": None}, {"ref_type": "PO", "ref_id": "ab"}),
        ({"ref_id": "a|b", "reason": "c"}, {"ref_id": "a", "reason": "b|c"}),
        # None and the strings that spell it are different.
        ({"reason": None}, {"reason": "~"}),
        ({"reason": None}, {"reason": ""}),
        ({"reason": "None"}, {"reason": None}),
        ({"ref_id": "1:~"}, {"ref_id": "~"}),
    ],
)
def test_look_alike_records_hash_differently(a: dict[str, object], b: dict[str, object]) -> None:
    rows, _ = build_chain(1)
    base = rows[0][0]
    ra, rb = base._replace(**a), base._replace(**b)
    assert canonical(ra) != canonical(rb)
    assert movement_hash(ra) != movement_hash(rb)


def test_the_same_instant_in_any_time_zone_hashes_the_same() -> None:
    rows, _ = build_chain(1)
    rec = rows[0][0]
    elsewhere = rec.effective_at.astimezone(timezone(timedelta(hours=-5)))
    assert movement_hash(rec._replace(effective_at=elsewhere)) == rows[0][1]
    later = rec.effective_at + timedelta(microseconds=1)
    assert movement_hash(rec._replace(effective_at=later)) != rows[0][1]


def test_the_hash_covers_every_field() -> None:
    rows, _ = build_chain(2)
    rec = rows[1][0]
    for name, value in rec._asdict().items():
        if isinstance(value, datetime):
            changed = value + timedelta(seconds=1)
        elif isinstance(value, int):
            changed = value + 1
        elif isinstance(value, str):
            changed = value + "x"
        else:
            changed = 1  # a None becomes a value
        assert movement_hash(rec._replace(**{name: changed})) != rows[1][1], name


# --- verification -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_an_untouched_chain_has_no_findings(n: int) -> None:
    rows, head = build_chain(n)
    assert findings(rows, head) == []
    assert findings(rows, None) == []


def test_an_edited_row_is_named() -> None:
    rows, head = build_chain(5)
    rec, stored = rows[2]
    rows[2] = (rec._replace(qty=rec.qty + 1), stored)
    found = findings(rows, head)
    assert named(found) == {rec.id}
    assert "altered" in found[0].message


@pytest.mark.parametrize("position", [0, 2, 4])
def test_an_edited_row_whose_hash_was_recomputed_is_still_named(position: int) -> None:
    rows, head = build_chain(5)
    rec = rows[position][0]
    rows[position] = rehash(rec._replace(qty=rec.qty * 10))
    # The next row recorded the old hash; for the last row the chain head did.
    assert rec.id in named(findings(rows, head))


def test_rehashing_the_rest_of_the_chain_and_the_head_is_invisible_to_the_chain_alone() -> None:
    # This is what checkpoints are for: the chain alone cannot see a full rewrite.
    rows, head = build_chain(3)
    prev_id, prev_hash = rows[0][0].id, rows[0][1]
    rewritten = [rows[0]]
    for rec, _ in rows[1:]:
        new = rec._replace(prev_id=prev_id, prev_hash=prev_hash, qty=rec.qty + 1)
        rewritten.append(rehash(new))
        prev_id, prev_hash = new.id, rewritten[-1][1]
    forged_head = replace(head, hash=prev_hash)
    assert findings(rewritten, forged_head) == []
    # ...but the head recorded before the rewrite (a checkpoint keeps it) no longer matches.
    assert rows[-1][0].id in named(findings(rewritten, head))


@pytest.mark.parametrize("position", [0, 1, 3])
def test_a_deleted_row_is_named_by_the_row_that_followed_it(position: int) -> None:
    rows, head = build_chain(5)
    gone = rows.pop(position)[0]
    found = findings(rows, head)
    assert gone.id in named(found)
    # Deleting one row does not make the rows before it look inserted.
    assert not any("inserted" in f.message and f.movement_id != gone.id for f in found[:1])


def test_a_deleted_last_row_is_named_by_the_chain_head() -> None:
    rows, head = build_chain(4)
    gone = rows.pop()[0]
    found = findings(rows, head)
    assert named(found) == {gone.id}
    assert "deleted" in found[0].message


def test_a_forged_row_appended_after_the_head_is_named() -> None:
    rows, head = build_chain(3)
    last, last_hash = rows[-1]
    forged = last._replace(
        id=999, chain_seq=4, prev_id=last.id, prev_hash=last_hash, qty=50_000_000
    )
    rows.append(rehash(forged))
    assert named(findings(rows, head)) == {999}


def test_a_forged_row_squeezed_into_the_middle_is_named() -> None:
    rows, head = build_chain(4)
    # Make room at position 3 by moving the later rows up, then insert a well-formed forgery.
    shifted = [rows[0], rows[1]] + [(r._replace(chain_seq=r.chain_seq + 1), h) for r, h in rows[2:]]
    before, before_hash = rows[1]
    forged = before._replace(id=998, chain_seq=3, prev_id=before.id, prev_hash=before_hash)
    found = findings([*shifted, rehash(forged)], head)
    assert 998 in named(found)
    assert any(f.movement_id == 998 and "inserted" in f.message for f in found)


def test_a_forged_first_row_is_named() -> None:
    rows, head = build_chain(3)
    forged = rows[0][0]._replace(id=997, chain_seq=0)
    assert 997 in named(findings([rehash(forged), *rows], head))


def test_two_rows_with_swapped_positions_are_both_named() -> None:
    rows, head = build_chain(5)
    (a, ha), (b, hb) = rows[1], rows[2]
    rows[1] = (b._replace(chain_seq=a.chain_seq), hb)
    rows[2] = (a._replace(chain_seq=b.chain_seq), ha)
    assert {a.id, b.id} <= named(findings(rows, head))


def test_swapped_positions_are_named_even_when_both_hashes_were_recomputed() -> None:
    rows, head = build_chain(5)
    a, b = rows[1][0], rows[2][0]
    rows[1] = rehash(b._replace(chain_seq=a.chain_seq))
    rows[2] = rehash(a._replace(chain_seq=b.chain_seq))
    assert {a.id, b.id} <= named(findings(rows, head))


def test_two_rows_with_swapped_ids_are_both_named() -> None:
    rows, head = build_chain(4)
    (a, ha), (b, hb) = rows[1], rows[2]
    rows[1] = (a._replace(id=b.id), ha)
    rows[2] = (b._replace(id=a.id), hb)
    assert {a.id, b.id} <= named(findings(rows, head))


def test_a_row_moved_to_another_items_chain_is_named_in_both() -> None:
    rows, head = build_chain(3)
    moved = rows[1][0]
    rest = [rows[0], rows[2]]
    assert moved.id in named(findings(rest, head))
    other = [(moved._replace(item_id=8), rows[1][1])]
    assert moved.id in named(list(verify_chain(other, None, org_id=1, item_id=8)))


def test_an_altered_chain_head_is_reported() -> None:
    rows, head = build_chain(3)
    assert rows[-1][0].id in named(findings(rows, replace(head, hash="f" * 64)))
    assert rows[-1][0].id in named(findings(rows, replace(head, seq=7)))


Tamper = Callable[[list[Row], ChainHead], tuple[list[Row], int]]


def _edit(rows: list[Row], i: int) -> tuple[list[Row], int]:
    rec, stored = rows[i]
    rows[i] = (rec._replace(to_location_id=3), stored)
    return rows, rec.id


def _edit_and_rehash(rows: list[Row], i: int) -> tuple[list[Row], int]:
    rec = rows[i][0]
    rows[i] = rehash(rec._replace(qty=rec.qty + 1))
    return rows, rec.id


def _delete(rows: list[Row], i: int) -> tuple[list[Row], int]:
    return rows[:i] + rows[i + 1 :], rows[i][0].id


def _append_forgery(rows: list[Row], i: int) -> tuple[list[Row], int]:
    last, last_hash = rows[-1]
    forged = last._replace(
        id=10**6, chain_seq=last.chain_seq + 1, prev_id=last.id, prev_hash=last_hash
    )
    return [*rows, rehash(forged)], forged.id


def _swap_seq(rows: list[Row], i: int) -> tuple[list[Row], int]:
    j = i + 1 if i + 1 < len(rows) else i - 1
    if j < 0:
        return _edit(rows, i)
    (a, ha), (b, hb) = rows[i], rows[j]
    rows[i] = (b._replace(chain_seq=a.chain_seq), hb)
    rows[j] = (a._replace(chain_seq=b.chain_seq), ha)
    return rows, a.id


TAMPERS = [_edit, _edit_and_rehash, _delete, _append_forgery, _swap_seq]


@settings(max_examples=200)
@given(st.integers(1, 12), st.data())
def test_every_kind_of_tampering_names_the_tampered_row(n: int, data: st.DataObject) -> None:
    rows, head = build_chain(n)
    tamper = data.draw(st.sampled_from(TAMPERS))
    position = data.draw(st.integers(0, n - 1))
    tampered, target = tamper(rows, position)
    assert target in named(findings(tampered, head)), tamper.__name__


def test_the_checkpoint_digest_depends_on_every_head_and_the_previous_checkpoint() -> None:
    heads = [ChainHead(1, 7, 3, 109, "a" * 64), ChainHead(1, 8, 1, 110, "b" * 64)]
    digest = heads_digest(heads, GENESIS)
    assert heads_digest(list(reversed(heads)), GENESIS) == digest  # order of reading is free
    assert heads_digest(heads, "c" * 64) != digest
    assert heads_digest(heads[:1], GENESIS) != digest
    for changed in (
        replace(heads[0], seq=4),
        replace(heads[0], movement_id=111),
        replace(heads[0], hash="d" * 64),
        replace(heads[0], item_id=9),
    ):
        assert heads_digest([changed, heads[1]], GENESIS) != digest


def test_a_version_2_checkpoint_depends_on_every_head_and_proves_one_organisation_alone() -> None:
    heads = [
        ChainHead(1, 7, 3, 109, "a" * 64),
        ChainHead(1, 8, 1, 110, "b" * 64),
        ChainHead(2, 9, 5, 111, "c" * 64),
        ChainHead(3, 4, 0, None, GENESIS),
    ]
    digest = heads_digest_v2(heads, GENESIS)
    assert digest == checkpoint_hash(CHECKPOINT_V2, list(reversed(heads)), GENESIS)
    assert digest != heads_digest(heads, GENESIS)  # the versions never share a hash
    assert heads_digest_v2(heads, "e" * 64) != digest
    assert heads_digest_v2(heads[:3], GENESIS) != digest
    for n, head in enumerate(heads):
        for changed in (replace(head, seq=head.seq + 1), replace(head, hash="d" * 64)):
            assert heads_digest_v2([*heads[:n], changed, *heads[n + 1 :]], GENESIS) != digest
    # Organisation 2's head, proved with the others' digests only: opaque hashes.
    others = org_digests(heads)
    mine = org_digest(2, [head_leaf(heads[2])])
    assert checkpoint_digest([others[1], mine, others[3]], GENESIS) == digest
    assert checkpoint_digest([others[1], others[3], mine], GENESIS) != digest  # order matters
