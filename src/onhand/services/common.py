"""Small helpers shared by the use cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from onhand.domain.access import Actor
from onhand.domain.errors import InvalidInput, NotFound
from onhand.domain.quantities import from_micro
from onhand.store import accounts, numbering, sites
from onhand.store.unit_of_work import Database, UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


def qty_out(micro: int, precision: int) -> str:
    """A quantity as the API and CLI show it: a decimal string in the unit's precision."""
    return str(from_micro(micro, precision))


def not_found(what: str, key: object) -> NotFound:
    # Codes are lower case whatever the wording ("SKU 'A' not found" -> sku_not_found).
    return NotFound(f"{what} {key!r} not found", code=f"{what.replace(' ', '_').lower()}_not_found")


def check_name(name: str, field_name: str = "name", limit: int = 200) -> str:
    """A display name: 1 to ``limit`` characters, not only spaces."""
    if not name or len(name) > limit or not name.strip():
        raise InvalidInput(
            f"{field_name} must be 1-{limit} characters", code=f"invalid_{field_name}"
        )
    return name


def check_limit(limit: int, maximum: int) -> int:
    """A page size of 1 to ``maximum``, or a 422."""
    if not 1 <= limit <= maximum:
        raise InvalidInput(f"limit must be from 1 to {maximum}", code="invalid_limit")
    return limit


def document_number(db: Database, org_id: int, prefix: str) -> Callable[[UnitOfWork], str]:
    """How the next document number (e.g. SO-000042) is drawn: SQLite, which runs one writer at
    a time, counts inside the document's own transaction (no extra commit); PostgreSQL counts
    now, in a transaction of its own, so that documents never queue on the counter row (a
    document that then fails leaves a gap)."""

    def draw(uow: UnitOfWork) -> str:
        return f"{prefix}-{numbering.next_number(uow.conn, org_id, prefix):06d}"

    if db.dialect == "sqlite":
        return draw
    drawn = db.write(draw)
    return lambda _uow: drawn


def stock_location(
    uow: UnitOfWork,
    actor: Actor,
    path: str,
    *,
    kind: str = "internal",
    code: str = "not_a_stock_location",
) -> Any:
    """The active location of ``kind`` (a stock location unless said) at ``path`` that the
    actor may work in; a 404 when there is none, a 422 with ``code`` when it is of another kind
    or inactive."""
    loc = sites.location_by_path(uow.conn, actor.org_id, path)
    if loc is None:
        raise not_found("location", path)
    if loc.kind != kind or not loc.active:
        raise InvalidInput(f"{path} is not an active {kind} location", code=code)
    actor.require_warehouse(loc.warehouse_id, loc.path)
    return loc


def audit(
    uow: UnitOfWork, actor: Actor, entity: str, entity_id: int | str, action: str, **detail: Any
) -> None:
    """Record who did what to a document, now (detail values as text)."""
    accounts.record_audit(
        uow.conn,
        org_id=actor.org_id,
        actor_id=actor.user_id,
        at=utcnow(),
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail={k: str(v) for k, v in detail.items()} or None,
    )
