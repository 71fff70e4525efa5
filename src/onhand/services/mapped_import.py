"""Import items, sales orders or purchase orders from a CSV or JSON file in another system's
layout, through a column mapping (services/import_mappings.py).

The file is read, each row mapped onto the columns of onhand's own CSV import for the target
(transforms applied), and the result handed to that import's checks: the same rules, the same
all-or-nothing. Every problem is reported on the line of the source file (for JSON, the number
of the record, from 1) with a stable code. A dry run checks everything and reports what the
import would create, writing nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.domain.access import Actor
from onhand.domain.errors import InvalidInput
from onhand.services.csv_read import MAX_CELL, ImportRejected, Problem
from onhand.services.import_mappings import (
    DELIMITERS,
    TARGETS,
    ColumnMapping,
    FieldSpec,
    MappingRejected,
    parse_mapping,
    saved,
)
from onhand.store.unit_of_work import Database

SOURCE_FORMATS = ("csv", "json")
MAX_ROWS = 100_000
# A number written with a decimal comma: 1234,5 or 1.234,5 (points only between groups of
# three digits), an optional sign.
_COMMA_NUMBER = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+)(,\d+)?")


class MappedImportRejected(InvalidInput):
    """A file with problems: every one listed with its source line and code; nothing written."""

    code = "import_rejected"

    def __init__(self, target: str, problems: list[Problem]) -> None:
        problems = sorted(problems, key=lambda p: p.line)
        n = len(problems)
        first = problems[0]
        super().__init__(
            f"{target.replace('_', ' ')}: {n} problem{'' if n == 1 else 's'} found, nothing was "
            f"imported (line {first.line}: {first.message})",
            problems=[p.as_dict() for p in problems[:1000]],
        )
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Source:
    """A file read: its column names (as written) and its records with their line numbers."""

    columns: list[str]
    records: list[tuple[int, dict[str, str]]]


def _refuse(code: str, message: str) -> MappingRejected:
    return MappingRejected([(code, message)])


def read_csv(data: bytes, delimiter: str) -> tuple[Source, list[Problem]]:
    """A CSV file with a header line; rows of the wrong width are problems of their line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse("not_utf8", "the file is not UTF-8 text: save it as 'CSV UTF-8'") from None
    if not text.strip():
        raise _refuse("empty_file", "the file is empty: the first line must name the columns")
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise _refuse("unreadable_csv", f"the header cannot be read as CSV: {exc}") from None
    records: list[tuple[int, dict[str, str]]] = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                Problem(line, f"the line cannot be read as CSV: {exc}", "unreadable_csv")
            )
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                Problem(
                    line,
                    f"{len(row)} values for {len(header)} columns (is the delimiter "
                    f"{delimiter!r} right?)",
                    "wrong_value_count",
                )
            )
            continue
        records.append((line, {h: v.strip() for h, v in zip(header, row, strict=True)}))
        if len(records) > MAX_ROWS:
            raise _refuse("too_many_rows", f"at most {MAX_ROWS} rows in one file")
    return Source(header, records), problems


def _cell(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | Decimal):
        return str(value).strip()
    return None


def read_json(data: bytes) -> tuple[Source, list[Problem]]:
    """A JSON array of objects (or {"rows": [...]}); each record's number (from 1) is its
    line. Numbers are read exactly (no floating point)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        raise _refuse("malformed_json", "the file is not valid JSON") from None
    if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
        doc = doc["rows"]
    if not isinstance(doc, list):
        raise _refuse("malformed_json", "the file must be a JSON array of objects")
    if len(doc) > MAX_ROWS:
        raise _refuse("too_many_rows", f"at most {MAX_ROWS} rows in one file")
    problems: list[Problem] = []
    records: list[tuple[int, dict[str, str]]] = []
    columns: dict[str, None] = {}
    for n, obj in enumerate(doc, start=1):
        if not isinstance(obj, dict):
            problems.append(Problem(n, f"record {n} is not an object", "invalid_record"))
            continue
        cells: dict[str, str] = {}
        for key, value in obj.items():
            text = _cell(value)
            if text is None:
                problems.append(
                    Problem(n, f"{str(key)[:40]!r} must be a text or a number", "invalid_value")
                )
                break
            name = str(key).strip()
            if name in cells:  # " Nr" and "Nr": which one is meant cannot be told
                problems.append(
                    Problem(n, f"{name[:40]!r} is given twice in this record", "duplicate_column")
                )
                break
            cells[name] = text
            columns.setdefault(name)
        else:
            records.append((n, cells))
    return Source(list(columns), records), problems


def _find(columns: list[str], wanted: str) -> str | None:
    """The source column of this name (ignoring case), if the file has it; AmbiguousColumn
    when the file names it twice (or, ignoring case, twice and never exactly)."""
    exact = columns.count(wanted)
    if exact == 1:
        return wanted
    folded = wanted.casefold()
    alike = [c for c in columns if c.casefold() == folded]
    if exact > 1 or len(alike) > 1:
        raise _AmbiguousColumn(wanted)
    return alike[0] if alike else None


class _AmbiguousColumn(Exception):
    """A mapped column the file names more than once: which one is meant cannot be told."""


def _decimal_comma(text: str, name: str) -> str:
    if not _COMMA_NUMBER.fullmatch(text):
        raise InvalidInput(
            f"{name} {text[:40]!r} is not a number with a decimal comma such as 1.234,5",
            code="invalid_number",
        )
    return text.replace(".", "").replace(",", ".")


def _date(text: str, fmt: str, name: str) -> str:
    try:
        return datetime.strptime(text, fmt).date().isoformat()
    except ValueError:
        raise InvalidInput(
            f"{name} {text[:40]!r} is not a date in the format {fmt}", code="invalid_date"
        ) from None


def _value(spec: FieldSpec, cells: dict[str, str], column: str | None, name: str) -> str:
    text = spec.value if spec.value is not None else cells.get(column or "", "")
    if not text and spec.default is not None:
        text = spec.default
    if not text:
        return ""
    if spec.decimal_comma:
        return _decimal_comma(text, name)
    if spec.date_format is not None:
        return _date(text, spec.date_format, name)
    return text


@dataclass(frozen=True, slots=True)
class _Mapped:
    """The rows in the target's own CSV layout, and each written row's source line."""

    data: bytes
    lines: dict[int, int]  # line in ``data`` -> line in the source


def map_rows(mapping: ColumnMapping, source: Source, problems: list[Problem]) -> _Mapped:
    """The source's records written in the target's CSV columns; a record whose cell cannot be
    transformed is a problem of its line and is left out."""
    columns: dict[str, str | None] = {}
    twice: list[tuple[str, str]] = []
    for name, spec in mapping.fields.items():
        if spec.column is None:
            continue
        try:
            columns[name] = _find(source.columns, spec.column)
        except _AmbiguousColumn:
            twice.append(
                (
                    "ambiguous_source_column",
                    f"the file has more than one column named {spec.column!r} (mapped to "
                    f"{name}): rename one of them",
                )
            )
    if twice:
        raise MappingRejected(twice)
    hint = ""
    if len(source.columns) == 1 and any(d in source.columns[0] for d in DELIMITERS):
        hint = f" (is the delimiter {mapping.delimiter!r} right?)"
    missing = [
        (
            "missing_source_column",
            f"the file has no column {mapping.fields[n].column!r} (mapped to {n}); its columns "
            f"are: {', '.join(source.columns[:20]) or 'none'}{hint}",
        )
        for n, c in columns.items()
        if c is None
    ]
    if missing and source.records:
        raise MappingRejected(missing)
    names = list(mapping.fields)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    lines: dict[int, int] = {}
    written = 1
    for line, cells in source.records:
        row: list[str] = []
        for name in names:
            try:
                row.append(_value(mapping.fields[name], cells, columns.get(name), name))
            except InvalidInput as exc:
                problems.append(Problem(line, exc.message, exc.code))
                break
        else:
            if not any(row):  # onhand's reader would skip it as a blank line
                problems.append(
                    Problem(line, "none of the mapped columns has a value", "value_missing")
                )
                continue
            lines[written + 1] = line
            before = out.tell()
            writer.writerow(row)
            written += out.getvalue().count("\n", before)
    return _Mapped(out.getvalue().encode(), lines)


def _source_line(mapped: _Mapped, line: int) -> int:
    """The source line of a line of the mapped file (a cell spanning lines: its row's)."""
    if line <= 1 or not mapped.lines:
        return 1
    earlier = [k for k in mapped.lines if k <= line]
    return mapped.lines[max(earlier)] if earlier else 1


# The target importers name another line at the end of some sentences ("SKU 'A' is already on
# line 2"): a line of the mapped file, to be told as the source's.
_LINE_REF = re.compile(r"(on line )(\d+)$")


def _source_problem(mapped: _Mapped, p: Problem) -> Problem:
    """A problem of the mapped file told with the source file's lines."""
    message = _LINE_REF.sub(
        lambda m: f"{m.group(1)}{_source_line(mapped, int(m.group(2)))}", p.message
    )
    return Problem(_source_line(mapped, p.line), message, p.code)


def run_import(
    db: Database,
    actor: Actor,
    *,
    target: str,
    data: bytes,
    source_format: str = "csv",
    mapping: Any = None,
    mapping_name: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import a file through a column mapping (given, or saved by name): every row checked by
    the target's own import, all or nothing; a dry run writes nothing and reports what would
    be created."""
    if target not in TARGETS:
        raise InvalidInput(f"target must be one of {', '.join(TARGETS)}", code="unknown_target")
    if source_format not in SOURCE_FORMATS:
        raise InvalidInput("format must be csv or json", code="invalid_format")
    if (mapping is None) == (mapping_name is None):
        raise InvalidInput(
            "give either a mapping or the name of a saved one", code="mapping_required"
        )
    spec = TARGETS[target]
    actor.require(spec.permission)
    if mapping_name is not None:
        with db.reading() as uow:
            column_mapping = saved(uow, actor.org_id, mapping_name)
        if column_mapping.target != target:
            raise InvalidInput(
                f"mapping {mapping_name!r} is for {column_mapping.target}, not {target}",
                code="target_mismatch",
            )
    else:
        column_mapping = parse_mapping(mapping, target)
    if source_format == "csv":
        source, problems = read_csv(data, column_mapping.delimiter)
    else:
        source, problems = read_json(data)
    mapped = map_rows(column_mapping, source, problems)
    try:
        plan = spec.plan(db, actor, mapped.data)
    except ImportRejected as exc:
        problems += [_source_problem(mapped, p) for p in exc.problems]
        raise MappedImportRejected(target, problems) from None
    if problems:
        raise MappedImportRejected(target, problems)
    records = [
        {"line": _source_line(mapped, line), "key": spec.key(r)}
        for line, r in zip(plan.lines, plan.records, strict=True)
    ]
    created = 0 if dry_run else spec.apply(db, actor, plan).created
    return {
        "target": target,
        "dry_run": dry_run,
        "rows": len(source.records),
        "created": created,
        "records": records,
    }
