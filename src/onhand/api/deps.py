"""Dependencies: the database and the authenticated actor, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from onhand.api.schemas import MAX_BIG_ID, MAX_ID
from onhand.domain.access import Actor
from onhand.domain.errors import InvalidInput, Unauthenticated
from onhand.services import accounts
from onhand.services.event_watch import PositionWatch
from onhand.store.unit_of_work import Database

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer onh_...`")


# Async where there is no I/O: FastAPI runs a plain `def` dependency in its thread pool, a hop
# that costs more than the dependency itself.
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DB = Annotated[Database, Depends(get_db)]


def _missing_token() -> Unauthenticated:
    return Unauthenticated(
        "this request needs an API token: send 'Authorization: Bearer <token>'",
        code="missing_token",
    )


async def get_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise _missing_token()
    return credentials.credentials


def bearer_token(request: Request) -> str:
    """The bearer token of a request, read as HTTPBearer reads it, for the hot routes that skip
    dependency solving; they declare BEARER_SECURITY in their OpenAPI operation instead."""
    authorization = request.headers.get("Authorization")
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        raise _missing_token()
    return credentials


BEARER_SECURITY: dict[str, Any] = {"security": [{_bearer.scheme_name: []}]}


# The bearer token, not yet checked: for routes that authenticate inside their own worker thread
# call (accounts.authenticate first, before anything else).
BearerToken = Annotated[str, Depends(get_token)]


def get_actor(db: DB, token: BearerToken) -> Actor:
    return accounts.authenticate(db, token)


CurrentActor = Annotated[Actor, Depends(get_actor)]


# Ids in URLs: positive and within the column's range, so a huge number is a 422, never a 500.
Id = Annotated[int, PathParam(ge=1, le=MAX_ID)]
BigId = Annotated[int, PathParam(ge=1, le=MAX_BIG_ID)]


KeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="Retrying with the same key posts once; another payload with it is refused.",
    ),
]


def idempotency_key_of(header: str | None, body: str | None) -> str | None:
    """The key from the Idempotency-Key header or the body's idempotency_key (equal if both)."""
    if header and body and header != body:
        raise InvalidInput(
            "Idempotency-Key header and idempotency_key field differ",
            code="idempotency_key_mismatch",
        )
    return header or body


def watch_of(request: Request) -> PositionWatch | None:
    """The event pump's position watch when the pump runs in this process, else None (live
    streams then look at the database on their own timer)."""
    watch = getattr(getattr(request.app.state, "events", None), "watch", None)
    return watch if isinstance(watch, PositionWatch) and watch.live else None
