"""Sales and refunds reported by a store or an e-commerce channel, line by line.

A channel (a till, a web shop) names each line with its own external id. A line is posted at
most once per organisation and channel: sent again with the same content it is a duplicate and
skipped; sent again with other content it contradicts what was posted and is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from onhand.domain.errors import Conflict, InvalidInput, OnhandError
from onhand.domain.movements import FUTURE_TOLERANCE, MAX_BATCH, TEXT_MAX, check_text
from onhand.domain.quantities import check_money

CUSTOMER = "@customer"
REF_TYPE = "channel"
CHANNEL_MAX = 64
MAX_LINES = MAX_BATCH  # every new line of a batch is one movement of one posting


class LineKind(StrEnum):
    SALE = "sale"  # the store -> @customer
    REFUND = "refund"  # @customer -> the store


@dataclass(frozen=True, slots=True)
class ChannelLine:
    """One line as the channel reports it."""

    external_id: str
    kind: str
    sku: str
    quantity: Decimal
    at: datetime | None = None  # when it happened; default: when it is posted
    lot: str | None = None
    serial: str | None = None
    unit_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LineIssue:
    """Why one line (numbered from 1) refuses its batch."""

    line: int
    message: str
    code: str
    # The line contradicts one posted before (409), rather than being invalid itself (422).
    conflict: bool = False

    def error(self, *, others: int = 0) -> OnhandError:
        """The error refusing the batch; ``others``: how many more lines are bad."""
        text = f"line {self.line}: {self.message}"
        if others:
            text += f" (and {others} more problem{'s' if others > 1 else ''})"
        if self.conflict:
            return Conflict(text, code=self.code, line=self.line)
        return InvalidInput(text, code=self.code, line=self.line)


def check_channel(channel: str) -> str:
    checked = check_text(channel, field="channel", limit=CHANNEL_MAX)
    assert checked is not None
    return checked


def check_batch(n: int) -> None:
    if n == 0:
        raise InvalidInput("a batch needs at least one line", code="empty_batch")
    if n > MAX_LINES:
        raise InvalidInput(
            f"a batch holds at most {MAX_LINES} lines, got {n}", code="batch_too_large"
        )


def check_line(line: ChannelLine, *, now: datetime) -> None:
    """What can be said of a line without the database (the posting rules come later)."""
    check_text(line.external_id, field="external_id", limit=TEXT_MAX)
    if line.kind not in set(LineKind):
        raise InvalidInput(
            f"kind {line.kind[:20]!r} must be sale or refund", code="invalid_line_kind"
        )
    if line.at is not None:
        if line.at.tzinfo is None:
            raise InvalidInput("at must include a time zone", code="naive_datetime")
        if line.at > now + FUTURE_TOLERANCE:
            raise InvalidInput(
                f"at {line.at.isoformat()} is in the future", code="effective_in_future"
            )
    if line.unit_price is not None:
        check_money(line.unit_price, field="unit_price")


def content_hash(store: str, line: ChannelLine) -> str:
    """What makes two sendings of a line the same line: equal numbers and times compare equal
    however they are written ("2" and "2.0"; 10:03Z and 11:03+01:00)."""
    body = [
        store,
        line.kind,
        line.sku,
        _number(line.quantity),
        line.at.astimezone(UTC).isoformat() if line.at else None,
        line.lot,
        line.serial,
        _number(line.unit_price) if line.unit_price is not None else None,
    ]
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def repeated_ids(lines: Iterable[ChannelLine]) -> list[LineIssue]:
    """Lines naming an external id an earlier line of the same batch named."""
    first: dict[str, int] = {}
    out = []
    for n, line in enumerate(lines, start=1):
        seen = first.setdefault(line.external_id, n)
        if seen != n:
            out.append(
                LineIssue(
                    n,
                    f"external id {line.external_id[:128]!r} is already on line {seen}",
                    "duplicate_external_id",
                )
            )
    return out


def reused_id(n: int, channel: str, external_id: str) -> LineIssue:
    return LineIssue(
        n,
        f"{channel} line {external_id[:128]!r} was posted before with other content",
        "external_id_reused",
        conflict=True,
    )


def first_error(issues: list[LineIssue]) -> OnhandError | None:
    """The error a batch with these issues is refused with: the first invalid line (422), else
    the first line contradicting an earlier posting (409)."""
    if not issues:
        return None
    invalid = [x for x in issues if not x.conflict]
    chosen = min(invalid or issues, key=lambda x: x.line)
    return chosen.error(others=len(issues) - 1)
