"""Tokens, users and the current identity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from onhand.api.deps import DB, CurrentActor, Id
from onhand.api.schemas import (
    LoginCreate,
    MeRead,
    TokenCreate,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from onhand.services import accounts

router = APIRouter(tags=["access"])


@router.post("/auth/token", response_model=TokenRead, status_code=status.HTTP_201_CREATED)
def login(body: LoginCreate, db: DB) -> Any:
    """Exchange a username and password for an API token (shown once)."""
    token = accounts.login(db, body.username, body.password, token_name=body.token_name)
    return {"id": token.id, "token": token.token, "name": body.token_name}


@router.get("/me", response_model=MeRead)
def me(actor: CurrentActor) -> Any:
    return {
        "user_id": actor.user_id,
        "org_id": actor.org_id,
        "username": actor.username,
        "role": actor.role.value,
        "warehouse_ids": sorted(actor.warehouse_ids),
    }


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(db: DB, actor: CurrentActor) -> Any:
    return accounts.list_tokens(db, actor)


@router.post("/tokens", response_model=TokenRead, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, db: DB, actor: CurrentActor) -> Any:
    token = accounts.create_token(
        db, actor, name=body.name, user_id=body.user_id, expires_at=body.expires_at
    )
    return {"id": token.id, "token": token.token, "name": body.name}


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: Id, db: DB, actor: CurrentActor) -> None:
    accounts.revoke_token(db, actor, token_id)


@router.get("/users", response_model=list[UserRead])
def list_users(db: DB, actor: CurrentActor) -> Any:
    return accounts.list_users(db, actor)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, db: DB, actor: CurrentActor) -> Any:
    return accounts.create_user(
        db,
        actor,
        username=body.username,
        password=body.password,
        role=body.role,
        warehouses=body.warehouses,
    )


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: Id, db: DB, actor: CurrentActor) -> Any:
    return accounts.get_user(db, actor, user_id)


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: Id, body: UserUpdate, db: DB, actor: CurrentActor) -> Any:
    return accounts.update_user(
        db,
        actor,
        user_id,
        role=body.role,
        active=body.active,
        password=body.password,
        warehouses=body.warehouses,
    )
