"""Organisations, users, API tokens and the audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, and_, bindparam, insert, select, update

from onhand.store.fastsql import Prepared
from onhand.store.tables import (
    api_tokens,
    audit_events,
    organisations,
    user_warehouses,
    users,
)


def insert_org(conn: Connection, *, name: str, slug: str, now: datetime) -> int:
    return conn.execute(
        insert(organisations)
        .values(name=name, slug=slug, created_at=now)
        .returning(organisations.c.id)
    ).scalar_one()


def org_by_slug(conn: Connection, slug: str) -> Row[Any] | None:
    return conn.execute(select(organisations).where(organisations.c.slug == slug)).first()


def list_orgs(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(organisations).order_by(organisations.c.id)))


def insert_user(
    conn: Connection,
    *,
    org_id: int,
    username: str,
    password_hash: str,
    role: str,
    now: datetime,
    created_by: int | None,
) -> int:
    return conn.execute(
        insert(users)
        .values(
            org_id=org_id,
            username=username,
            password_hash=password_hash,
            role=role,
            active=True,
            created_at=now,
            created_by=created_by,
        )
        .returning(users.c.id)
    ).scalar_one()


def set_user_warehouses(
    conn: Connection, org_id: int, user_id: int, location_ids: list[int]
) -> None:
    conn.execute(user_warehouses.delete().where(user_warehouses.c.user_id == user_id))
    if location_ids:
        conn.execute(
            insert(user_warehouses),
            [{"user_id": user_id, "location_id": i, "org_id": org_id} for i in location_ids],
        )


def user_by_username(conn: Connection, username: str) -> Row[Any] | None:
    return conn.execute(select(users).where(users.c.username == username)).first()


def user_by_id(conn: Connection, org_id: int, user_id: int) -> Row[Any] | None:
    return conn.execute(
        select(users).where(users.c.org_id == org_id, users.c.id == user_id)
    ).first()


def list_users(conn: Connection, org_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(users).where(users.c.org_id == org_id).order_by(users.c.id)))


# Built once: every authenticated request runs these two (statement building costs more than
# the indexed lookups themselves).
_user_warehouses = select(user_warehouses.c.location_id).where(
    user_warehouses.c.user_id == bindparam("u")
)


def user_warehouse_ids(conn: Connection, user_id: int) -> frozenset[int]:
    rows = conn.execute(_user_warehouses, {"u": user_id})
    return frozenset(r[0] for r in rows)


def update_user(conn: Connection, org_id: int, user_id: int, **values: Any) -> None:
    conn.execute(
        update(users).where(users.c.org_id == org_id, users.c.id == user_id).values(**values)
    )


def insert_token(
    conn: Connection,
    *,
    org_id: int,
    user_id: int,
    name: str,
    token_hash: str,
    prefix: str,
    now: datetime,
    expires_at: datetime | None,
    created_by: int | None,
) -> int:
    return conn.execute(
        insert(api_tokens)
        .values(
            org_id=org_id,
            user_id=user_id,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            created_at=now,
            expires_at=expires_at,
            created_by=created_by,
        )
        .returning(api_tokens.c.id)
    ).scalar_one()


class TokenOwner(NamedTuple):
    """Who a token belongs to, and whether it may be used at ``now``."""

    user_id: int
    org_id: int
    username: str
    role: str
    active: bool
    revoked: bool
    expired: bool
    warehouse_ids: frozenset[int]


# Every authenticated request runs this: one indexed lookup (the user's warehouses joined in),
# compiled once and run on the driver (see fastsql).
_token_owner = Prepared(
    lambda _: (
        select(
            users.c.id,
            users.c.org_id,
            users.c.username,
            users.c.role,
            users.c.active,
            api_tokens.c.revoked_at.is_not(None).label("revoked"),
            and_(
                api_tokens.c.expires_at.is_not(None), api_tokens.c.expires_at <= bindparam("now")
            ).label("expired"),
            user_warehouses.c.location_id,
        )
        .select_from(
            api_tokens.join(users, users.c.id == api_tokens.c.user_id).outerjoin(
                user_warehouses, user_warehouses.c.user_id == users.c.id
            )
        )
        .where(api_tokens.c.token_hash == bindparam("h"))
    )
)


def token_owner(conn: Connection, token_hash: str, now: datetime) -> TokenOwner | None:
    rows = _token_owner.all(conn, {"h": token_hash, "now": now})
    if not rows:
        return None
    r = rows[0]
    return TokenOwner(
        user_id=r[0],
        org_id=r[1],
        username=r[2],
        role=r[3],
        active=bool(r[4]),
        revoked=bool(r[5]),
        expired=bool(r[6]),
        warehouse_ids=frozenset(x[7] for x in rows if x[7] is not None),
    )


def list_tokens(conn: Connection, org_id: int, user_id: int | None = None) -> list[Row[Any]]:
    q = select(api_tokens).where(api_tokens.c.org_id == org_id).order_by(api_tokens.c.id)
    if user_id is not None:
        q = q.where(api_tokens.c.user_id == user_id)
    return list(conn.execute(q))


def token_by_id(conn: Connection, org_id: int, token_id: int) -> Row[Any] | None:
    return conn.execute(
        select(api_tokens).where(api_tokens.c.org_id == org_id, api_tokens.c.id == token_id)
    ).first()


def revoke_token_by_hash(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(
        update(api_tokens)
        .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def org_by_id(conn: Connection, org_id: int) -> Row[Any] | None:
    return conn.execute(select(organisations).where(organisations.c.id == org_id)).first()


def revoke_token(conn: Connection, org_id: int, token_id: int, now: datetime) -> None:
    conn.execute(
        update(api_tokens)
        .where(api_tokens.c.org_id == org_id, api_tokens.c.id == token_id)
        .values(revoked_at=now)
    )


_insert_audit = Prepared(
    lambda _: insert(audit_events).values(
        {c.name: bindparam(c.name) for c in audit_events.c if c.name != "id"}
    )
)


def record_audit(
    conn: Connection,
    *,
    org_id: int,
    actor_id: int | None,
    at: datetime,
    action: str,
    entity: str,
    entity_id: str | int,
    detail: dict[str, Any] | None = None,
) -> None:
    _insert_audit.execute(
        conn,
        {
            "org_id": org_id,
            "actor_id": actor_id,
            "at": at,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "detail": json.dumps(detail, default=str, sort_keys=True) if detail else None,
        },
    )


def list_audit(
    conn: Connection, org_id: int, *, entity: str | None, entity_id: str | None, limit: int
) -> list[Row[Any]]:
    q = select(audit_events).where(audit_events.c.org_id == org_id)
    if entity:
        q = q.where(audit_events.c.entity == entity)
    if entity_id:
        q = q.where(audit_events.c.entity_id == entity_id)
    return list(conn.execute(q.order_by(audit_events.c.id.desc()).limit(limit)))
