"""Posting movements (one, or a batch of up to 10,000), reversing them, reading them."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from onhand.api.deps import (
    BEARER_SECURITY,
    DB,
    BigId,
    CurrentActor,
    KeyHeader,
    bearer_token,
    idempotency_key_of,
)
from onhand.api.schemas import (
    MovementCreate,
    MovementRead,
    PostingCreate,
    PostingLine,
    PostingRead,
    ReverseCreate,
)
from onhand.domain.errors import InvalidInput
from onhand.services import accounts, postings, queries
from onhand.services.common import not_found
from onhand.store.unit_of_work import Database

router = APIRouter(tags=["movements"])
M = TypeVar("M", bound=BaseModel)


def _parse(body: bytes, model: type[M]) -> M:
    # Parse and validate in one pass (pydantic-core): a 10,000-line batch is the hot path.
    try:
        return model.model_validate_json(body or b"null")
    except ValidationError as exc:
        raise RequestValidationError(
            [dict(e) | {"loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


def _authenticate_and_post(
    db: Database, token: str, body: bytes, key: str | None
) -> postings.PostingResult:
    """A batch, in one worker-thread call (parsing 10,000 lines would hold up the event loop):
    validate the body, then authenticate and post in one transaction. A bad token is a 401
    whatever the body."""
    try:
        parsed = _parse(body, PostingCreate)
        idempotency_key = idempotency_key_of(key, parsed.idempotency_key)
    except (RequestValidationError, InvalidInput):
        accounts.authenticate(db, token)
        raise
    lines = [_line(m) for m in parsed.movements]
    return postings.post_movements_for_token(db, token, lines, idempotency_key=idempotency_key)


def _line(m: PostingLine) -> postings.MovementInput:
    return postings.MovementInput(
        sku=m.sku,
        from_location=m.from_,
        to_location=m.to,
        quantity=m.quantity,
        lot=m.lot,
        serial=m.serial,
        expiry_date=m.expiry_date,
        effective_at=m.effective_at,
        ref_type=m.ref_type,
        ref_id=m.ref_id,
        reason=m.reason,
        unit_cost=m.unit_cost,
        cost_currency=m.cost_currency,
    )


def _body(result: postings.PostingResult) -> dict[str, Any]:
    return {
        "posting_id": result.posting_id,
        "idempotency_key": result.idempotency_key,
        "replayed": result.replayed,
        "movement_ids": result.movement_ids,
    }


def _answer(result: postings.PostingResult, response: Response) -> dict[str, Any]:
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return _body(result)


def _json_answer(result: postings.PostingResult) -> Response:
    """The same answer as _answer, serialised here rather than through the response model."""
    replayed = result.replayed
    return Response(
        orjson.dumps(_body(result)),
        status_code=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )


REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": PostingRead,
        "description": "A retry with the same Idempotency-Key: the first result, nothing posted",
    }
}


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


# The two posting routes are the hot path. They take the database and the bearer token from the
# request themselves (solving dependencies costs FastAPI more per request than the token lookup)
# and write their JSON answer directly; the decorators still document both.
@router.post(
    "/movements",
    response_model=PostingRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_schema(MovementCreate) | BEARER_SECURITY,
    responses=REPLAYED,
)
async def post_movement(request: Request, key: KeyHeader = None) -> Any:
    """Post one movement. 201 when posted; 200 with `replayed: true` for a retried key."""
    token = bearer_token(request)
    body = await request.body()
    db = request.app.state.db
    try:
        parsed = _parse(body, MovementCreate)  # one line: cheap enough for the event loop
        idempotency_key = idempotency_key_of(key, parsed.idempotency_key)
    except (RequestValidationError, InvalidInput):
        await run_in_threadpool(accounts.authenticate, db, token)  # a bad token is a 401 first
        raise
    result = await postings.post_movements_for_token_async(
        db, token, [_line(parsed)], idempotency_key=idempotency_key
    )
    return _json_answer(result)


@router.post(
    "/postings",
    response_model=PostingRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_schema(PostingCreate) | BEARER_SECURITY,
    responses=REPLAYED,
)
async def post_batch(request: Request, key: KeyHeader = None) -> Any:
    """Post up to 10,000 movements at once: all of them, or none with the first problem named."""
    token = bearer_token(request)
    body = await request.body()
    db = request.app.state.db
    result = await run_in_threadpool(_authenticate_and_post, db, token, body, key)
    return _json_answer(result)


@router.get("/postings/{posting_id}", response_model=list[MovementRead])
def get_posting(posting_id: BigId, db: DB, actor: CurrentActor) -> Any:
    rows = queries.movements_of_posting(db, actor, posting_id)
    if not rows:
        raise not_found("posting", posting_id)
    return rows


@router.get("/movements/{movement_id}", response_model=MovementRead, response_model_by_alias=True)
def get_movement(movement_id: BigId, db: DB, actor: CurrentActor) -> Any:
    return queries.get_movement(db, actor, movement_id)


@router.post(
    "/movements/{movement_id}/reverse",
    response_model=PostingRead,
    status_code=status.HTTP_201_CREATED,
    responses=REPLAYED,
)
def reverse(
    movement_id: BigId,
    response: Response,
    db: DB,
    actor: CurrentActor,
    body: ReverseCreate | None = None,
    key: KeyHeader = None,
) -> Any:
    """Correct a movement by posting its opposite, which points back at it."""
    body = body or ReverseCreate()
    result = postings.reverse_movement(
        db,
        actor,
        movement_id,
        reason=body.reason,
        idempotency_key=idempotency_key_of(key, body.idempotency_key),
    )
    return _answer(result, response)
