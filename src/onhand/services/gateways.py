"""RFID and scanner gateways: devices that post reads over MQTT. A gateway is registered with
the user it acts as (that user's role and warehouses apply to what it does) and, for an RFID
reader, the location it reads by default.

What a read does is what the existing services do with it (nothing new is posted here):
- an RFID read ``{"reads": [...]}`` is reconciled against the book at the location and below
  (``rfid.reconcile_reads``); with ``"count": "CNT-..."`` it is recorded as that count of one
  bin (``rfid.count_reads``, needing a user who may post movements);
- a scan ``{"code": "..."}`` is resolved to what it names (``scanning.resolve``).
The answer goes back on the message's topic + ``/result``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from onhand.domain.access import Actor, Permission, Role
from onhand.domain.errors import Conflict, InvalidInput, NotFound
from onhand.domain.iot import GATEWAY_KINDS, check_code
from onhand.services import rfid, scanning
from onhand.services.common import audit, not_found, stock_location, utcnow
from onhand.store import accounts, iot
from onhand.store.unit_of_work import Database, UnitOfWork


def gateway_out(row: Any) -> dict[str, Any]:
    """A gateway as the API shows it."""
    return {
        "code": row.code,
        "kind": row.kind,
        "location": row.path,
        "user": row.username,
        "active": row.active,
        "topic_kind": "rfid" if row.kind == "rfid" else "scans",
        "created_at": row.created_at,
    }


def _check_kind(kind: str) -> str:
    if kind not in GATEWAY_KINDS:
        raise InvalidInput(
            f"kind must be one of {', '.join(GATEWAY_KINDS)}, not {kind[:40]!r}",
            code="invalid_gateway_kind",
        )
    return kind


def _user(uow: UnitOfWork, actor: Actor, username: str) -> Any:
    user = accounts.user_by_username(uow.conn, username[:64])
    if user is None or user.org_id != actor.org_id:
        raise not_found("user", username)
    return user


def create_gateway(
    db: Database,
    actor: Actor,
    *,
    code: str,
    kind: str,
    user: str,
    location: str | None = None,
) -> dict[str, Any]:
    """Register an RFID reader or a scanner that acts as ``user``."""
    actor.require(Permission.MANAGE_USERS)
    check_code(code, "gateway")
    _check_kind(kind)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        owner = _user(uow, actor, user)
        loc = stock_location(uow, actor, location) if location is not None else None
        values = {
            "org_id": actor.org_id,
            "code": code,
            "kind": kind,
            "location_id": None if loc is None else loc.id,
            "user_id": owner.id,
            "active": True,
            "created_at": utcnow(),
            "created_by": actor.user_id,
        }
        try:
            with uow.conn.begin_nested():
                iot.insert_gateway(uow.conn, values)
        except IntegrityError:
            raise Conflict(
                f"{kind} gateway {code!r} already exists", code="gateway_exists"
            ) from None
        audit(uow, actor, "gateway", f"{kind}/{code}", "created", user=user)
        return gateway_out(iot.gateway_by_code(uow.conn, actor.org_id, kind, code))

    return db.write(work)


def update_gateway(
    db: Database,
    actor: Actor,
    kind: str,
    code: str,
    *,
    user: str | None = None,
    location: str | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """Change whom a gateway acts as, its default location, or switch it off or on."""
    actor.require(Permission.MANAGE_USERS)
    _check_kind(kind)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = iot.gateway_by_code(uow.conn, actor.org_id, kind, code)
        if row is None:
            raise not_found("gateway", code)
        changes: dict[str, Any] = {}
        if user is not None:
            changes["user_id"] = _user(uow, actor, user).id
        if location is not None:
            changes["location_id"] = stock_location(uow, actor, location).id
        if active is not None:
            changes["active"] = active
        if changes:
            iot.update_gateway(uow.conn, actor.org_id, row.id, changes)
            audit(uow, actor, "gateway", f"{kind}/{code}", "updated", **changes)
        return gateway_out(iot.gateway_by_code(uow.conn, actor.org_id, kind, code))

    return db.write(work)


def list_gateways(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The organisation's gateways."""
    actor.require(Permission.READ)
    with db.reading() as uow:
        return [gateway_out(r) for r in iot.list_gateways(uow.conn, actor.org_id)]


def gateway_actor(db: Database, org_id: int, kind: str, code: str) -> tuple[Actor, str | None]:
    """The user an active gateway acts as, and its default location; a 404 for a gateway not
    registered (or switched off), a 403 when its user is deactivated."""
    with db.reading() as uow:
        row = iot.gateway_by_code(uow.conn, org_id, kind, code)
        if row is None or not row.active:
            raise NotFound(
                f"{kind} gateway {code!r} is not registered (or switched off)",
                code="gateway_not_registered",
            )
        user = accounts.user_by_id(uow.conn, org_id, row.user_id)
        if user is None or not user.active:
            raise InvalidInput(
                f"the user of gateway {code!r} is deactivated", code="gateway_user_inactive"
            )
        warehouses = accounts.user_warehouse_ids(uow.conn, user.id)
    actor = Actor(
        user_id=user.id,
        org_id=org_id,
        username=user.username,
        role=Role(user.role),
        warehouse_ids=warehouses,
    )
    return actor, row.path


def handle_read(
    db: Database, org_id: int, kind: str, code: str, data: dict[str, Any]
) -> dict[str, Any]:
    """What a gateway's read does (see the module's docstring); the answer to publish back."""
    actor, default = gateway_actor(db, org_id, kind, code)
    if kind == "scanner":
        return {"scan": scanning.resolve(db, actor, data["code"])}
    location = data.get("location") or default
    if location is None:
        raise InvalidInput(
            f"gateway {code!r} has no location: send one in the message or register it with one",
            code="gateway_needs_location",
        )
    if data.get("count"):
        return {"count": rfid.count_reads(db, actor, data["count"], location, data["reads"])}
    return {"reconciliation": rfid.reconcile_reads(db, actor, location, data["reads"])}
