"""Organisations, users, API tokens: who may do what."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from onhand.domain.access import Actor, Permission, Role
from onhand.domain.errors import Conflict, InvalidInput, Unauthenticated
from onhand.domain.locations import STOCK_KINDS, VIRTUAL_LOCATIONS
from onhand.services.common import not_found, utcnow
from onhand.store import accounts, sites
from onhand.store.unit_of_work import Database, UnitOfWork

_hasher = PasswordHasher()
TOKEN_PREFIX = "onh_"
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@\-]{1,63}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9\-]{1,63}$")
# A hash to verify against when the user does not exist, so timing does not reveal usernames.
_dummy_hash: str | None = None


def _dummy() -> str:
    # Made on first login rather than at import: hashing costs every CLI start ~0.1-1 s.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a real password")
    return _dummy_hash


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    token: str  # shown once; only its hash is stored


@dataclass(frozen=True, slots=True)
class NewOrganisation:
    org_id: int
    admin_user_id: int
    token: str


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough, and it keeps every request cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def _check_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            "username must be 2-64 letters, digits or . _ @ -", code="invalid_username"
        )
    return username


def _check_password(password: str) -> str:
    if not 8 <= len(password) <= 256:
        raise InvalidInput("password must be 8-256 characters long", code="weak_password")
    return password


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"role {role[:32]!r} is not one of admin, manager, clerk, auditor", code="invalid_role"
        ) from None


def _issue_token(
    uow: UnitOfWork,
    *,
    org_id: int,
    user_id: int,
    name: str,
    now: datetime,
    created_by: int | None,
    expires_at: datetime | None = None,
) -> NewToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = accounts.insert_token(
        uow.conn,
        org_id=org_id,
        user_id=user_id,
        name=name[:100] or "token",
        token_hash=hash_token(token),
        prefix=token[:12],
        now=now,
        expires_at=expires_at,
        created_by=created_by,
    )
    return NewToken(id=token_id, token=token)


def create_organisation(
    db: Database, *, name: str, slug: str, admin_username: str, admin_password: str
) -> NewOrganisation:
    """Create a tenant with its virtual locations and first admin; return the admin's token."""
    if not SLUG_RE.match(slug):
        raise InvalidInput("slug must be 2-64 lowercase letters, digits or -", code="invalid_slug")
    if not 1 <= len(name) <= 200:
        raise InvalidInput("organisation name must be 1-200 characters", code="invalid_name")
    _check_username(admin_username)
    _check_password(admin_password)
    now = utcnow()
    with db.writing() as uow:
        if accounts.org_by_slug(uow.conn, slug) is not None:
            raise Conflict(f"organisation {slug!r} already exists", code="organisation_exists")
        if accounts.user_by_username(uow.conn, admin_username) is not None:
            raise Conflict(f"username {admin_username!r} is taken", code="username_taken")
        org_id = accounts.insert_org(uow.conn, name=name, slug=slug, now=now)
        for path, kind in VIRTUAL_LOCATIONS.items():
            sites.insert_location(
                uow.conn,
                {
                    "org_id": org_id,
                    "parent_id": None,
                    "warehouse_id": None,
                    "code": path,
                    "name": f"{kind.value.capitalize()} (virtual)",
                    "path": path,
                    "kind": kind.value,
                    # Partners and adjustments take any sign; goods in transit are stock.
                    "allow_negative": kind not in STOCK_KINDS,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        user_id = accounts.insert_user(
            uow.conn,
            org_id=org_id,
            username=admin_username,
            password_hash=_hasher.hash(admin_password),
            role=Role.ADMIN.value,
            now=now,
            created_by=None,
        )
        token = _issue_token(
            uow, org_id=org_id, user_id=user_id, name="initial", now=now, created_by=None
        )
        accounts.record_audit(
            uow.conn,
            org_id=org_id,
            actor_id=None,
            at=now,
            action="organisation.create",
            entity="organisation",
            entity_id=org_id,
            detail={"slug": slug, "admin": admin_username},
        )
        uow.commit()
    return NewOrganisation(org_id=org_id, admin_user_id=user_id, token=token.token)


def _check_token_shape(token: str) -> None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthenticated("the API token is not valid", code="invalid_token")


def authenticate(db: Database, token: str) -> Actor:
    """The actor behind a bearer token; revoked, expired or unknown tokens are refused alike."""
    _check_token_shape(token)
    with db.reading() as uow:
        return authenticate_in(uow, token)


def authenticate_in(uow: UnitOfWork, token: str) -> Actor:
    """authenticate, inside a transaction the caller already holds (one indexed lookup)."""
    _check_token_shape(token)
    row = accounts.token_owner(uow.conn, hash_token(token), utcnow())
    if row is None or row.revoked or not row.active:
        raise Unauthenticated("the API token is not valid", code="invalid_token")
    if row.expired:
        raise Unauthenticated("the API token has expired", code="token_expired")
    return Actor(
        user_id=row.user_id,
        org_id=row.org_id,
        username=row.username,
        role=Role(row.role),
        warehouse_ids=row.warehouse_ids,
    )


def login(
    db: Database,
    username: str,
    password: str,
    *,
    token_name: str = "login",
    lifetime: timedelta | None = None,
) -> NewToken:
    """Exchange a username and password for a new API token (expiring after ``lifetime``)."""
    with db.writing() as uow:
        user = accounts.user_by_username(uow.conn, username[:64])
        try:
            _hasher.verify(user.password_hash if user else _dummy(), password[:256])
        except (VerificationError, InvalidHashError):
            user = None
        if user is None or not user.active:
            raise Unauthenticated("wrong username or password", code="bad_credentials")
        now = utcnow()
        token = _issue_token(
            uow,
            org_id=user.org_id,
            user_id=user.id,
            name=token_name,
            now=now,
            created_by=user.id,
            expires_at=now + lifetime if lifetime else None,
        )
        uow.commit()
    return token


def logout(db: Database, token: str) -> None:
    """Revoke the token presented (a web session's); unknown or revoked already: nothing."""
    _check_token_shape(token)
    with db.writing() as uow:
        accounts.revoke_token_by_hash(uow.conn, hash_token(token), utcnow())
        uow.commit()


def organisation_of(db: Database, actor: Actor) -> dict[str, str]:
    """The slug and name of the actor's organisation."""
    with db.reading() as uow:
        row = accounts.org_by_id(uow.conn, actor.org_id)
    if row is None:
        raise not_found("organisation", actor.org_id)
    return {"slug": row.slug, "name": row.name}


def _warehouse_ids(uow: UnitOfWork, org_id: int, paths: list[str]) -> list[int]:
    refs = sites.location_refs_by_path(uow.conn, org_id, paths)
    ids = []
    for path in paths:
        ref = refs.get(path)
        if ref is None:
            raise InvalidInput(f"location {path[:200]!r} not found", code="location_not_found")
        if ref.warehouse_id != ref.id:
            raise InvalidInput(
                f"{path!r} is not a warehouse (a top-level internal location)",
                code="not_a_warehouse",
            )
        ids.append(ref.id)
    return ids


def create_user(
    db: Database,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: str,
    warehouses: list[str] | None = None,
) -> dict[str, Any]:
    """Add a user to the actor's organisation, optionally restricted to some warehouses."""
    actor.require(Permission.MANAGE_USERS)
    _check_username(username)
    _check_password(password)
    the_role = _role(role)
    now = utcnow()
    with db.writing() as uow:
        if accounts.user_by_username(uow.conn, username) is not None:
            raise Conflict(f"username {username!r} is taken", code="username_taken")
        wh_ids = _warehouse_ids(uow, actor.org_id, warehouses or [])
        try:
            user_id = accounts.insert_user(
                uow.conn,
                org_id=actor.org_id,
                username=username,
                password_hash=_hasher.hash(password),
                role=the_role.value,
                now=now,
                created_by=actor.user_id,
            )
        except IntegrityError:
            raise Conflict(f"username {username!r} is taken", code="username_taken") from None
        accounts.set_user_warehouses(uow.conn, actor.org_id, user_id, wh_ids)
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="user.create",
            entity="user",
            entity_id=user_id,
            detail={"username": username, "role": role},
        )
        uow.commit()
    return get_user(db, actor, user_id)


def get_user(db: Database, actor: Actor, user_id: int) -> dict[str, Any]:
    """One user of the actor's organisation: yourself, or anyone if you manage users."""
    if user_id != actor.user_id:
        actor.require(Permission.MANAGE_USERS)
    with db.reading() as uow:
        row = accounts.user_by_id(uow.conn, actor.org_id, user_id)
        if row is None:
            raise not_found("user", user_id)
        return _user_out(uow, row)


def _user_out(uow: UnitOfWork, row: Any) -> dict[str, Any]:
    wh = sorted(accounts.user_warehouse_ids(uow.conn, row.id))
    paths = sites.location_refs_by_id(uow.conn, row.org_id, wh)
    return {
        "id": row.id,
        "username": row.username,
        "role": row.role,
        "active": row.active,
        "warehouses": [paths[i].path for i in wh if i in paths],
        "created_at": row.created_at,
    }


def list_users(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The users of the actor's organisation."""
    actor.require(Permission.MANAGE_USERS)
    with db.reading() as uow:
        return [_user_out(uow, r) for r in accounts.list_users(uow.conn, actor.org_id)]


def update_user(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    warehouses: list[str] | None = None,
) -> dict[str, Any]:
    """Change a user's role, reach, password or active flag."""
    actor.require(Permission.MANAGE_USERS)
    values: dict[str, Any] = {}
    if role is not None:
        values["role"] = _role(role).value
    if active is not None:
        values["active"] = active
    if password is not None:
        values["password_hash"] = _hasher.hash(_check_password(password))
    now = utcnow()
    with db.writing() as uow:
        if accounts.user_by_id(uow.conn, actor.org_id, user_id) is None:
            raise not_found("user", user_id)
        if user_id == actor.user_id and (active is False or (role and role != Role.ADMIN)):
            raise Conflict("you cannot demote or deactivate yourself", code="self_lockout")
        if values:
            accounts.update_user(uow.conn, actor.org_id, user_id, **values)
        if warehouses is not None:
            accounts.set_user_warehouses(
                uow.conn, actor.org_id, user_id, _warehouse_ids(uow, actor.org_id, warehouses)
            )
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="user.update",
            entity="user",
            entity_id=user_id,
            detail={
                k: v
                for k, v in (("role", role), ("active", active), ("warehouses", warehouses))
                if v is not None
            }
            | ({"password": "changed"} if password else {}),
        )
        uow.commit()
    return get_user(db, actor, user_id)


def create_token(
    db: Database,
    actor: Actor,
    *,
    name: str,
    user_id: int | None = None,
    expires_at: datetime | None = None,
) -> NewToken:
    """A new API token for the actor, or (admins) for another user of the organisation."""
    target = user_id or actor.user_id
    if target != actor.user_id:
        actor.require(Permission.MANAGE_USERS)
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expires_at must be in the future", code="invalid_expiry")
    with db.writing() as uow:
        if accounts.user_by_id(uow.conn, actor.org_id, target) is None:
            raise not_found("user", target)
        token = _issue_token(
            uow,
            org_id=actor.org_id,
            user_id=target,
            name=name,
            now=now,
            created_by=actor.user_id,
            expires_at=expires_at,
        )
        accounts.record_audit(
            uow.conn,
            org_id=actor.org_id,
            actor_id=actor.user_id,
            at=now,
            action="token.create",
            entity="token",
            entity_id=token.id,
            detail={"user_id": target, "name": name},
        )
        uow.commit()
    return token


def list_tokens(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Tokens of the actor (admins: of everyone in the organisation); never the secret."""
    mine_only = not actor.may(Permission.MANAGE_USERS)
    with db.reading() as uow:
        rows = accounts.list_tokens(uow.conn, actor.org_id, actor.user_id if mine_only else None)
    return [
        {
            "id": r.id,
            "user_id": r.user_id,
            "name": r.name,
            "prefix": r.prefix,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "revoked_at": r.revoked_at,
        }
        for r in rows
    ]


def revoke_token(db: Database, actor: Actor, token_id: int) -> None:
    """Revoke a token at once; revoking twice is harmless."""
    now = utcnow()
    with db.writing() as uow:
        row = accounts.token_by_id(uow.conn, actor.org_id, token_id)
        if row is None:
            raise not_found("token", token_id)
        if row.user_id != actor.user_id:
            actor.require(Permission.MANAGE_USERS)
        if row.revoked_at is None:
            accounts.revoke_token(uow.conn, actor.org_id, token_id, now)
            accounts.record_audit(
                uow.conn,
                org_id=actor.org_id,
                actor_id=actor.user_id,
                at=now,
                action="token.revoke",
                entity="token",
                entity_id=token_id,
            )
        uow.commit()
