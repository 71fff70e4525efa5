"""CSV import of a channel's sales and refunds: every row checked, all or nothing.

The file's rows are one batch of services.channel_sales: every bad row is listed by its line in
the file, and nothing is posted unless the whole file is good. Importing the same file again
posts nothing new (its lines are duplicates).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.channel_sales import MAX_LINES, ChannelLine
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.services import channel_sales
from onhand.services.csv_read import (
    ImportRejected,
    Problem,
    Row,
    collect,
    decimal,
    optional,
    read_rows,
    reject_if,
    required_text,
)
from onhand.store.unit_of_work import Database

SALE_COLUMNS = ("external_id", "kind", "sku", "quantity", "at", "lot", "serial", "unit_price")
WHAT = "channel sales"


def _moment(row: Row, column: str) -> datetime | None:
    raw = row.get(column)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"{column} {raw[:40]!r} is not a time like 2026-11-27T10:03:00Z", code="invalid_time"
        ) from None
    if value.tzinfo is None:
        raise InvalidInput(
            f"{column} {raw[:40]!r} has no time zone: add Z (UTC) or an offset such as +01:00",
            code="naive_datetime",
        )
    return value


def _line_of(row: Row) -> ChannelLine:
    external_id = required_text(row, "external_id", "the external id")
    kind = required_text(row, "kind", "the kind").lower()
    sku = required_text(row, "sku", "the SKU")
    quantity = decimal(row, "quantity")
    if quantity is None:
        raise InvalidInput("the quantity is missing", code="value_missing")
    return ChannelLine(
        external_id=external_id,
        kind=kind,
        sku=sku,
        quantity=quantity,
        at=_moment(row, "at"),
        lot=optional(row, "lot"),
        serial=optional(row, "serial"),
        unit_price=decimal(row, "unit_price"),
    )


def import_sales(
    db: Database, actor: Actor, data: bytes, *, channel: str, store: str
) -> dict[str, Any]:
    """Post the sale and refund rows of a CSV file (see SALE_COLUMNS) from ``store`` for
    ``channel``: one batch, at most MAX_LINES rows, all or nothing; rows posted before are
    reported as duplicates. Raises ImportRejected listing every bad row by its line."""
    actor.require(Permission.POST_MOVEMENTS)
    problems: list[Problem] = []
    rows = read_rows(
        data,
        what=WHAT,
        columns=SALE_COLUMNS,
        required=("external_id", "kind", "sku", "quantity"),
        problems=problems,
    )
    if len(rows) > MAX_LINES:
        raise ImportRejected(
            WHAT, [Problem(1, f"the file has {len(rows)} rows: split it into files of {MAX_LINES}")]
        )
    parsed: list[tuple[int, ChannelLine]] = []
    first: dict[str, int] = {}
    for row in rows:
        line = collect(problems, row.line, partial(_line_of, row))
        if line is None:
            continue
        seen = first.setdefault(line.external_id, row.line)
        if seen != row.line:
            problems.append(
                Problem(row.line, f"external id {line.external_id!r} is already on line {seen}")
            )
            continue
        parsed.append((row.line, line))
    file_lines = [n for n, _ in parsed]
    lines = [x for _, x in parsed]
    if not lines and not problems:
        raise ImportRejected(
            WHAT, [Problem(1, "the file has a header but no rows: nothing to post")]
        )
    if lines:
        issues = channel_sales.check_sales(db, actor, channel=channel, store=store, lines=lines)
        problems += [Problem(file_lines[x.line - 1], x.message) for x in issues]
    reject_if(problems, WHAT)
    try:
        return channel_sales.ingest_sales(db, actor, channel=channel, store=store, lines=lines)
    except OnhandError as exc:
        n = exc.extra.get("line")
        if not isinstance(n, int) or not 1 <= n <= len(lines):
            raise
        # A line that went bad since the check (a concurrent change): still named by its row.
        message = exc.message.removeprefix(f"line {n}: ")
        raise ImportRejected(WHAT, [Problem(file_lines[n - 1], message)]) from None
