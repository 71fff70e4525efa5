"""Reading CSV files for import: header checks, rows with their line numbers, cell parsers.

Every problem is collected with the line it is on, so a person fixes the whole file at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from onhand.domain.errors import InvalidInput, OnhandError
from onhand.domain.quantities import parse_decimal

T = TypeVar("T")
# Cells longer than this are refused by the reader rather than taking memory.
MAX_CELL = 64 * 1024
NUMBER_MAX = 60  # characters of a number cell
TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an import file, and the line it is on (1 is the header)."""

    line: int
    message: str
    # A stable machine-readable code: the rule's own where a rule refused the row.
    code: str = "invalid_row"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """The problem as plain data: line, code and message."""
        return {"line": self.line, "code": self.code, "message": self.message}


class ImportRejected(InvalidInput):
    """A file with problems: all of them are listed, and nothing of the file was written."""

    code = "import_rejected"

    def __init__(self, what: str, problems: list[Problem]) -> None:
        n = len(problems)
        super().__init__(
            f"{what}: {n} problem{'' if n == 1 else 's'} found, nothing was imported",
            problems=[str(p) for p in problems],
        )
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Row:
    """A data row: its first physical line, and its cells by column (stripped; '' when empty)."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


def read_rows(
    data: bytes,
    *,
    what: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    problems: list[Problem],
) -> list[Row]:
    """Parse a CSV file with a header line; unreadable rows are added to ``problems``.

    A file that cannot be read at all (empty, not UTF-8, bad header) raises ImportRejected.
    """
    if not data.strip():
        example = ",".join(columns[:4])
        raise ImportRejected(
            what,
            [
                Problem(
                    1,
                    f"the file is empty: the first line must name the columns ({example},...)",
                    "empty_file",
                )
            ],
        )
    try:
        text = data.decode("utf-8-sig")  # tolerates the byte order mark spreadsheets write
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            what, [Problem(line, "the file is not UTF-8 text: save it as 'CSV UTF-8'", "not_utf8")]
        ) from None
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise ImportRejected(
            what, [Problem(1, f"the header cannot be read as CSV: {exc}", "unreadable_csv")]
        ) from None
    header = [h.strip().lower() for h in raw_header]
    _check_header(header, raw_header, what=what, columns=columns, required=required)
    rows: list[Row] = []
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                Problem(line, f"the line cannot be read as CSV: {exc}", "unreadable_csv")
            )
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank lines are allowed anywhere
        if len(record) != len(header):
            problems.append(Problem(line, _width_message(record, header), "wrong_value_count"))
            continue
        rows.append(Row(line, {c: v.strip() for c, v in zip(header, record, strict=True)}))
    return rows


def _check_header(
    header: list[str],
    raw: list[str],
    *,
    what: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
) -> None:
    known = ", ".join(columns)
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        shown = "a tab" if sep == "\t" else repr(sep)
        raise ImportRejected(
            what,
            [
                Problem(
                    1,
                    f"columns must be separated by commas, not {shown} (the columns are: {known})",
                    "wrong_separator",
                )
            ],
        )
    if not any(h in columns for h in header):
        found = ", ".join(repr(h.strip()[:40]) for h in raw[:4])
        raise ImportRejected(
            what,
            [
                Problem(
                    1,
                    f"the first line must be a header naming the columns ({known}); found {found}",
                    "missing_header",
                )
            ],
        )
    problems = []
    seen: set[str] = set()
    for n, name in enumerate(header, start=1):
        if not name:
            problems.append(Problem(1, f"column {n} has no name", "unnamed_column"))
        elif name not in columns:
            problems.append(
                Problem(
                    1, f"unknown column {name[:40]!r} (the columns are: {known})", "unknown_column"
                )
            )
        elif name in seen:
            problems.append(Problem(1, f"column {name!r} appears twice", "duplicate_column"))
        seen.add(name)
    problems.extend(
        Problem(1, f"required column {name!r} is missing", "missing_column")
        for name in required
        if name not in seen
    )
    if problems:
        raise ImportRejected(what, problems)


def _width_message(record: list[str], header: list[str]) -> str:
    message = f"{len(record)} value{'' if len(record) == 1 else 's'} for {len(header)} columns"
    if len(record) == 1 and any(sep in record[0] for sep in (";", "\t")):
        message += ": separate the values with commas"
    elif len(record) > len(header):
        message += ": a value containing a comma must be in double quotes"
    return message


def collect(problems: list[Problem], line: int, check: Callable[[], T]) -> T | None:
    """Run one row's check; on a rule broken, note it with the line and return None."""
    try:
        return check()
    except OnhandError as exc:
        problems.append(Problem(line, exc.message, exc.code))
        return None


def required_text(row: Row, column: str, label: str) -> str:
    value = row.get(column)
    if not value:
        raise InvalidInput(f"{label} is missing", code="value_missing")
    return value


def optional(row: Row, column: str) -> str | None:
    return row.get(column) or None


def whole_number(row: Row, column: str) -> int | None:
    raw = row.get(column)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(
            f"{column} {raw[:40]!r} is not a whole number", code="invalid_number"
        ) from None


def decimal(row: Row, column: str) -> Decimal | None:
    raw = row.get(column)
    if not raw:
        return None
    if "," in raw:
        raise InvalidInput(
            f"{column} {raw[:40]!r} is not a number: use a point for decimals (2.5), no separators",
            code="invalid_number",
        )
    if len(raw) > NUMBER_MAX:  # cut short, it would read as another number
        raise InvalidInput(
            f"{column} {raw[:40]!r}... is longer than a number may be ({NUMBER_MAX} characters)",
            code="invalid_number",
        )
    return parse_decimal(raw, field=column)


def boolean(row: Row, column: str) -> bool | None:
    raw = row.get(column).lower()
    if not raw:
        return None
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise InvalidInput(f"{column} {raw[:40]!r} must be true or false", code="invalid_boolean")


def iso_date(row: Row, column: str) -> date | None:
    raw = row.get(column)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"{column} {raw[:40]!r} is not a date like 2026-03-31", code="invalid_date"
        ) from None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import wrote (``replayed``: the same file was imported before; nothing changed)."""

    rows: int
    created: int = 0
    implicit_parents: list[str] = field(default_factory=list)
    posting_ids: list[int] = field(default_factory=list)
    movements: int = 0
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class ImportPlan(Generic[T]):
    """A file read and checked, nothing written yet: how many rows it had, the records an
    import would create (in file order), and each record's first line."""

    rows: int
    records: list[T]
    lines: list[int]


def reject_if(problems: list[Problem], what: str) -> None:
    """Raise ImportRejected with the problems in line order, if there are any."""
    if problems:
        problems.sort(key=lambda p: p.line)
        raise ImportRejected(what, problems)


def default(value: T | None, fallback: T) -> T:
    return fallback if value is None else value
