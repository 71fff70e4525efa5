"""Column mappings for importing files whose columns differ from onhand's: which source column
(or constant) fills each field of an import, with simple transforms (a decimal comma, a date
format, a default for empty cells). Given with each import, or saved by name per organisation.

A mapping is plain JSON:

    {"target": "items",
     "delimiter": ";",
     "fields": {"sku": "Artikelnummer",
                "name": {"column": "Bezeichnung"},
                "unit_cost": {"column": "EK-Preis", "decimal_comma": true},
                "currency": {"value": "EUR"}}}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.services import csv_import, csv_orders, csv_purchase_orders
from onhand.services.common import audit, not_found, utcnow
from onhand.store import erp
from onhand.store.unit_of_work import Database, UnitOfWork

MAX_FIELDS = 50
MAX_NAME = 64
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class Target:
    """What a mapping fills: an existing importer's columns, which of them are required, which
    are decimals or dates (for the transforms), and who may import it."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    decimals: frozenset[str]
    dates: frozenset[str]
    permission: Permission
    plan: Callable[..., Any]
    apply: Callable[..., Any]
    key: Callable[[Any], str]  # what names a record created (a SKU, an order number)


TARGETS: dict[str, Target] = {
    "items": Target(
        csv_import.ITEM_COLUMNS,
        ("sku", "name"),
        frozenset({"unit_cost"}),
        frozenset(),
        Permission.MANAGE_MASTER_DATA,
        csv_import.plan_items,
        csv_import.apply_items,
        lambda r: str(r.sku),
    ),
    "sales_orders": Target(
        csv_orders.COLUMNS,
        csv_orders.REQUIRED,
        frozenset({"quantity", "unit_price"}),
        frozenset({"requested_date"}),
        Permission.MANAGE_SALES,
        csv_orders.plan_orders,
        csv_orders.apply_orders,
        lambda r: str(r.number),
    ),
    "purchase_orders": Target(
        csv_purchase_orders.COLUMNS,
        csv_purchase_orders.REQUIRED,
        frozenset({"quantity", "unit_price"}),
        frozenset({"expected_date"}),
        Permission.MANAGE_PURCHASING,
        csv_purchase_orders.plan_orders,
        csv_purchase_orders.apply_orders,
        lambda r: str(r.number),
    ),
}


class MappingRejected(InvalidInput):
    """A mapping that cannot be used (or does not fit the file): every problem listed, each
    with its code; the first one's code is the error's."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        first_code, first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"the column mapping cannot be used: {first}{more}; nothing was imported",
            code=first_code,
            problems=[{"line": None, "code": c, "message": m} for c, m in problems],
        )


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Where one field comes from: a source column or a constant, and its transforms."""

    column: str | None = None
    value: str | None = None
    decimal_comma: bool = False
    date_format: str | None = None
    default: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.column is not None:
            out["column"] = self.column
        if self.value is not None:
            out["value"] = self.value
        if self.decimal_comma:
            out["decimal_comma"] = True
        if self.date_format is not None:
            out["date_format"] = self.date_format
        if self.default is not None:
            out["default"] = self.default
        return out


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """A checked mapping: its target, the CSV delimiter, and each mapped field."""

    target: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    delimiter: str = ","

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "delimiter": self.delimiter,
            "fields": {name: spec.as_dict() for name, spec in self.fields.items()},
        }


SPEC_KEYS = frozenset({"column", "value", "decimal_comma", "date_format", "default"})


def _text(value: Any, limit: int = 200) -> str | None:
    """A scalar as text (numbers and booleans as written in JSON); None when it is not one."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        text = str(value)
        return text if len(text) <= limit else None
    return None


def _spec(name: str, raw: Any, target: Target, problems: list[tuple[str, str]]) -> FieldSpec | None:
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        problems.append(
            ("invalid_field_mapping", f"field {name!r} must map to a column name or an object")
        )
        return None
    unknown = sorted(set(raw) - SPEC_KEYS)
    if unknown:
        problems.append(
            (
                "invalid_field_mapping",
                f"field {name!r}: {unknown[0][:40]!r} is not one of {', '.join(sorted(SPEC_KEYS))}",
            )
        )
        return None
    column, value = raw.get("column"), raw.get("value")
    if (column is None) == (value is None):
        problems.append(
            ("invalid_field_mapping", f"field {name!r} needs either a column or a value")
        )
        return None
    if column is not None and (not isinstance(column, str) or not column.strip()):
        problems.append(("invalid_field_mapping", f"field {name!r}: the column must be a name"))
        return None
    const = None if value is None else _text(value)
    if value is not None and const is None:
        problems.append(("invalid_field_mapping", f"field {name!r}: the value must be a text"))
        return None
    comma = raw.get("decimal_comma", False)
    if not isinstance(comma, bool):
        problems.append(("invalid_transform", f"field {name!r}: decimal_comma is true or false"))
        return None
    if comma and name not in target.decimals:
        problems.append(
            ("invalid_transform", f"field {name!r} is not a decimal: decimal_comma does not apply")
        )
    fmt = raw.get("date_format")
    if fmt is not None:
        if name not in target.dates:
            problems.append(
                ("invalid_transform", f"field {name!r} is not a date: date_format does not apply")
            )
        elif not isinstance(fmt, str) or "%" not in fmt or len(fmt) > 40:
            problems.append(
                (
                    "invalid_date_format",
                    f"field {name!r}: date_format must be a format such as %d.%m.%Y",
                )
            )
    default = raw.get("default")
    default_text = None if default is None else _text(default)
    if default is not None and default_text is None:
        problems.append(("invalid_field_mapping", f"field {name!r}: the default must be a text"))
    return FieldSpec(
        column=None if column is None else column.strip(),
        value=const,
        decimal_comma=comma,
        date_format=fmt if isinstance(fmt, str) else None,
        default=default_text,
    )


def parse_mapping(data: Any, target: str | None = None) -> ColumnMapping:
    """A mapping from its JSON form, checked: a known target (or the one given), known fields
    each from a column or a constant, transforms that apply to the field, every required field
    mapped. Raises MappingRejected listing every problem."""
    if not isinstance(data, Mapping):
        raise MappingRejected([("invalid_mapping", "the mapping must be a JSON object")])
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(data) - {"target", "delimiter", "fields"})
    if unknown:
        problems.append(
            ("invalid_mapping", f"{unknown[0][:40]!r} is not one of target, delimiter, fields")
        )
    name = data.get("target") or target
    if not isinstance(name, str):
        raise MappingRejected(
            [*problems, ("unknown_target", f"target must be one of {', '.join(TARGETS)}")]
        )
    if target is not None and name != target:
        problems.append(("target_mismatch", f"the mapping is for {name!r}, not {target!r}"))
    if name not in TARGETS:
        raise MappingRejected(
            [
                *problems,
                ("unknown_target", f"target must be one of {', '.join(TARGETS)}"),
            ]
        )
    spec_of = TARGETS[str(name)]
    delimiter = data.get("delimiter") or ","
    if delimiter not in DELIMITERS:
        problems.append(("invalid_delimiter", "delimiter must be one of ',', ';', a tab or '|'"))
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, Mapping) or not raw_fields:
        raise MappingRejected(
            [*problems, ("invalid_mapping", "fields must map onhand fields to source columns")]
        )
    if len(raw_fields) > MAX_FIELDS:
        problems.append(("invalid_mapping", f"at most {MAX_FIELDS} fields"))
    fields: dict[str, FieldSpec] = {}
    for field_name, raw in raw_fields.items():
        if field_name not in spec_of.columns:
            problems.append(
                (
                    "unknown_target_field",
                    f"{str(field_name)[:40]!r} is not a field of {name} "
                    f"(the fields are: {', '.join(spec_of.columns)})",
                )
            )
            continue
        got = _spec(field_name, raw, spec_of, problems)
        if got is not None:
            fields[field_name] = got
    problems.extend(
        ("required_field_unmapped", f"required field {r!r} is not mapped to a column or a value")
        for r in spec_of.required
        if r not in fields and r not in raw_fields
    )
    if problems:
        raise MappingRejected(problems)
    return ColumnMapping(str(name), fields, delimiter)


# Saved mappings ---------------------------------------------------------------------------------


def _check_name(name: str) -> str:
    if (
        not name
        or len(name) > MAX_NAME
        or not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in name)
    ):
        raise InvalidInput(
            f"a mapping's name is 1-{MAX_NAME} letters, digits, '-', '_' or '.'",
            code="invalid_mapping_name",
        )
    return name


def _out(row: Any) -> dict[str, Any]:
    return {"name": row.name, "updated_at": row.updated_at, **json.loads(row.mapping)}


def saved(uow: UnitOfWork, org_id: int, name: str) -> ColumnMapping:
    """A saved mapping by name, or a 404."""
    row = erp.import_mapping(uow.conn, org_id, name)
    if row is None:
        raise not_found("import mapping", name)
    return parse_mapping(json.loads(row.mapping))


def save_mapping(db: Database, actor: Actor, name: str, data: Any) -> dict[str, Any]:
    """Save (or replace) a mapping by name, checked first. Needs the permission its target's
    import needs; audited."""
    _check_name(name)
    mapping = parse_mapping(data)
    actor.require(TARGETS[mapping.target].permission)
    now = utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        text = json.dumps(mapping.as_dict(), sort_keys=True)
        values = {
            "target": mapping.target,
            "mapping": text,
            "updated_at": now,
            "updated_by": actor.user_id,
        }
        erp.save_import_mapping(uow.conn, actor.org_id, name, values)
        audit(uow, actor, "import_mapping", name, "import_mapping.save", target=mapping.target)
        row = erp.import_mapping(uow.conn, actor.org_id, name)
        return _out(row)

    return db.write(work)


def get_mapping(db: Database, actor: Actor, name: str) -> dict[str, Any]:
    """One saved mapping."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        row = erp.import_mapping(uow.conn, actor.org_id, name)
    if row is None:
        raise not_found("import mapping", name)
    return _out(row)


def list_mappings(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The organisation's saved mappings, by name."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return [_out(r) for r in erp.list_import_mappings(uow.conn, actor.org_id)]


def delete_mapping(db: Database, actor: Actor, name: str) -> None:
    """Delete a saved mapping (a 404 when there is none). Needs its target's permission."""

    def work(uow: UnitOfWork) -> None:
        row = erp.import_mapping(uow.conn, actor.org_id, name)
        if row is None:
            raise not_found("import mapping", name)
        actor.require(TARGETS[row.target].permission)
        erp.delete_import_mapping(uow.conn, actor.org_id, name)
        audit(uow, actor, "import_mapping", name, "import_mapping.delete")

    db.write(work)
