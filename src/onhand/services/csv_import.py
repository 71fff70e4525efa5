"""CSV import of items and locations: every row checked, all or nothing.

Each importer reads the whole file, checks every row with the rules the API applies (the same
domain and service checks), and raises ImportRejected listing every bad row by line number. Only a
file without a single problem is written, in one transaction. Opening balances: csv_balances.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from onhand.domain.access import Actor, Permission
from onhand.domain.errors import InvalidInput
from onhand.domain.locations import MAX_DEPTH, LocationKind, LocationRef, check_code
from onhand.services import items, locations
from onhand.services.csv_read import (
    ImportPlan,
    ImportResult,
    Problem,
    Row,
    boolean,
    collect,
    decimal,
    default,
    optional,
    read_rows,
    reject_if,
    required_text,
    whole_number,
)
from onhand.store import catalog, sites
from onhand.store.unit_of_work import Database

ITEM_COLUMNS = (
    "sku",
    "name",
    "category",
    "uom",
    "precision",
    "unit_cost",
    "currency",
    "tracking",
    "shelf_life_days",
    "barcodes",
    "active",
)
LOCATION_COLUMNS = ("path", "name", "kind", "allow_negative")


# Items ------------------------------------------------------------------------------------------


def _item_of(row: Row) -> items.ItemCreate:
    data = items.ItemCreate(
        sku=required_text(row, "sku", "the SKU"), name=required_text(row, "name", "the name")
    )
    data.category = optional(row, "category")
    data.uom = row.get("uom") or data.uom
    data.precision = default(whole_number(row, "precision"), data.precision)
    data.unit_cost = default(decimal(row, "unit_cost"), data.unit_cost)
    data.currency = row.get("currency") or data.currency
    data.tracking = row.get("tracking").lower() or data.tracking
    data.shelf_life_days = whole_number(row, "shelf_life_days")
    data.barcodes = [b.strip() for b in row.get("barcodes").split("|") if b.strip()]
    data.active = default(boolean(row, "active"), True)
    return items.validate(data)


def plan_items(db: Database, actor: Actor, data: bytes) -> ImportPlan[items.ItemCreate]:
    """Read and check a CSV file of items (see ITEM_COLUMNS; barcodes separated by '|')
    without writing anything: the items an import would create, or ImportRejected listing
    every problem."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    problems: list[Problem] = []
    rows = read_rows(
        data, what="items", columns=ITEM_COLUMNS, required=("sku", "name"), problems=problems
    )
    batch: list[tuple[int, items.ItemCreate]] = []
    sku_line: dict[str, int] = {}
    barcode_line: dict[str, int] = {}
    for row in rows:
        item = collect(problems, row.line, partial(_item_of, row))
        if item is None:
            continue
        if item.sku in sku_line:
            problems.append(
                Problem(
                    row.line,
                    f"SKU {item.sku!r} is already on line {sku_line[item.sku]}",
                    "duplicate_sku",
                )
            )
            continue
        sku_line[item.sku] = row.line
        taken = [b for b in item.barcodes if b in barcode_line]
        if taken:
            problems.append(
                Problem(
                    row.line,
                    f"barcode {taken[0]!r} is already used on line {barcode_line[taken[0]]}",
                    "duplicate_barcode",
                )
            )
            continue
        barcode_line.update((b, row.line) for b in item.barcodes)
        batch.append((row.line, item))
    with db.reading() as uow:
        existing = catalog.item_refs_by_sku(uow.conn, actor.org_id, list(sku_line))
        owners = catalog.barcode_owners(uow.conn, actor.org_id, list(barcode_line))
    for line, item in batch:
        if item.sku in existing:
            problems.append(Problem(line, f"SKU {item.sku!r} already exists", "sku_exists"))
        elif any(b in owners for b in item.barcodes):
            code = next(b for b in item.barcodes if b in owners)
            problems.append(
                Problem(line, f"barcode {code!r} already belongs to another item", "barcode_taken")
            )
    reject_if(problems, "items")
    return ImportPlan(
        rows=len(rows), records=[item for _, item in batch], lines=[n for n, _ in batch]
    )


def apply_items(db: Database, actor: Actor, plan: ImportPlan[items.ItemCreate]) -> ImportResult:
    """Create the items of a checked file, in one transaction."""
    if plan.records:
        items.create_items(db, actor, plan.records)
    return ImportResult(rows=plan.rows, created=len(plan.records))


def import_items(db: Database, actor: Actor, data: bytes) -> ImportResult:
    """Create the items of a CSV file (see ITEM_COLUMNS; barcodes separated by '|')."""
    return apply_items(db, actor, plan_items(db, actor, data))


# Locations --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LocationRow:
    line: int
    path: str
    name: str | None
    kind: LocationKind
    allow_negative: bool


def _location_of(row: Row) -> _LocationRow:
    path = required_text(row, "path", "the path").strip("/")
    if path.startswith("@"):
        raise InvalidInput(
            f"{path[:40]!r} is a virtual location: every organisation has its own already",
            code="invalid_location_code",
        )
    parts = path.split("/")
    if len(parts) > MAX_DEPTH:
        raise InvalidInput(
            f"location tree is limited to {MAX_DEPTH} levels", code="location_too_deep"
        )
    for part in parts:
        check_code(part)
    raw_kind = row.get("kind").lower() or LocationKind.INTERNAL.value
    if raw_kind not in locations.USER_KINDS:
        allowed = ", ".join(k.value for k in locations.USER_KINDS)
        raise InvalidInput(f"kind {raw_kind[:20]!r} must be one of {allowed}", code="invalid_kind")
    name = optional(row, "name")
    if name is not None and len(name) > 200:
        raise InvalidInput("name must be 1-200 characters", code="invalid_name")
    return _LocationRow(
        line=row.line,
        path="/".join(parts),
        name=name,
        kind=LocationKind(raw_kind),
        allow_negative=default(boolean(row, "allow_negative"), False),
    )


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def import_locations(db: Database, actor: Actor, data: bytes) -> ImportResult:
    """Create the locations of a CSV file; missing parents are created as internal locations."""
    actor.require(Permission.MANAGE_MASTER_DATA)
    problems: list[Problem] = []
    rows = read_rows(
        data, what="locations", columns=LOCATION_COLUMNS, required=("path",), problems=problems
    )
    wanted: dict[str, _LocationRow] = {}
    for row in rows:
        loc = collect(problems, row.line, partial(_location_of, row))
        if loc is None:
            continue
        if loc.path in wanted:
            problems.append(
                Problem(
                    row.line, f"location {loc.path!r} is already on line {wanted[loc.path].line}"
                )
            )
            continue
        wanted[loc.path] = loc
    parents = {p for path in wanted for p in _ancestors(path)}
    with db.reading() as uow:
        existing = sites.location_refs_by_path(
            uow.conn, actor.org_id, sorted(set(wanted) | parents)
        )
    implicit: set[str] = set()
    for loc in wanted.values():
        if loc.path in existing:
            problems.append(Problem(loc.line, f"location {loc.path!r} already exists"))
            continue
        message = _parent_problem(loc, wanted, existing, implicit)
        if message:
            problems.append(Problem(loc.line, message))
    reject_if(problems, "locations")
    specs = {p: _spec(p, None, LocationKind.INTERNAL, False) for p in implicit} | {
        loc.path: _spec(loc.path, loc.name, loc.kind, loc.allow_negative) for loc in wanted.values()
    }
    # Parents before children.
    ordered = [specs[p] for p in sorted(specs, key=lambda p: (p.count("/"), p))]
    if ordered:
        locations.create_locations(db, actor, ordered)
    return ImportResult(rows=len(rows), created=len(wanted), implicit_parents=sorted(implicit))


def _parent_problem(
    loc: _LocationRow,
    wanted: dict[str, _LocationRow],
    existing: dict[str, LocationRef],
    implicit: set[str],
) -> str | None:
    for ancestor in _ancestors(loc.path):
        if ancestor in wanted:
            kind, where = wanted[ancestor].kind, f" (line {wanted[ancestor].line})"
        elif ancestor in existing:
            ref = existing[ancestor]
            if not ref.active:
                return f"parent location {ancestor!r} is inactive"
            kind, where = ref.kind, ""
        else:
            implicit.add(ancestor)
            continue
        if kind is not LocationKind.INTERNAL:
            return f"{ancestor!r}{where} is a {kind.value} location and cannot hold locations"
    return None


def _spec(
    path: str, name: str | None, kind: LocationKind, allow_negative: bool
) -> dict[str, object]:
    parent, _, code = path.rpartition("/")
    return {
        "code": code,
        "parent": parent or None,
        "name": name,
        "kind": kind.value,
        "allow_negative": allow_negative,
    }
