"""Retries and stale forms of count records.

- The idempotency key of a record: a retry with the same key (a form sent twice, an API call
  repeated after a timeout) answers that it was recorded already and records nothing; the same
  key with another location, other entries or another ``complete`` is refused.
- The version of a location's lines a form was shown (domain.counting.bin_version): a count
  recorded there meanwhile, by another form or device, is refused rather than counted again as
  if it were a recount.

Both are checked in the recording transaction, once the count document is locked, so two
copies of one request racing each other record once whatever their timing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from onhand.domain.access import Actor
from onhand.domain.counting import bin_version
from onhand.domain.errors import Conflict
from onhand.domain.movements import check_text
from onhand.services.common import utcnow
from onhand.store import counting
from onhand.store.unit_of_work import UnitOfWork

Todo = list[tuple[tuple[int, int, str, str], int]]  # (location, item, lot, serial), micro-units


def checked_key(key: str | None) -> str | None:
    """The idempotency key as given, refused unless 1-128 printable characters."""
    return check_text(key, field="idempotency_key")


def digest(doc: Any, loc: Any, todo: Todo, *, complete: bool) -> str:
    """What a record says, as a hash: the count, the location, the entries and ``complete``."""
    body = [doc.id, loc.id, complete, sorted([*k, q] for k, q in todo)]
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


def recorded_already(uow: UnitOfWork, actor: Actor, key: str | None, payload: str) -> bool:
    """Whether ``key`` recorded this payload already; refused when it recorded another."""
    if key is None:
        return False
    earlier = counting.record_by_key(uow.conn, actor.org_id, key)
    if earlier is None:
        return False
    if earlier.payload_hash != payload:
        raise Conflict(
            f"idempotency key {key!r} was already used for a different count record",
            code="idempotency_key_reused",
            idempotency_key=key,
        )
    return True


def check_unchanged(lines: list[Any], loc: Any, version: str | None) -> None:
    """Refuse the record when the location's lines changed since the form was shown."""
    if version is None:
        return
    now = bin_version((r.line_no, r.count_no) for r in lines if r.location_id == loc.id)
    if now != version:
        raise Conflict(
            f"the count of {loc.path} was recorded after this form was shown (by another form"
            " or device): nothing more was recorded. Look at the count as it is now, and count"
            " the location again only where a recount is asked",
            code="bin_counted_meanwhile",
            location=loc.path,
        )


def remember(
    uow: UnitOfWork, actor: Actor, doc: Any, loc: Any, key: str | None, payload: str, n: int
) -> None:
    """Keep the record's key, so that a retry with it answers instead of recording again."""
    if key is None:
        return
    counting.insert_record(
        uow.conn,
        {
            "org_id": actor.org_id,
            "count_id": doc.id,
            "location_id": loc.id,
            "idempotency_key": key,
            "payload_hash": payload,
            "entry_count": n,
            "created_at": utcnow(),
            "created_by": actor.user_id,
        },
    )
