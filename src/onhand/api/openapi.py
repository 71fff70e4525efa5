"""The OpenAPI document: request bodies parsed by hand, and errors as problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from onhand.api.schemas import MovementCreate, PostingCreate, Problem
from onhand.api.schemas_scanning import ScanResolve

# Bodies that routes parse themselves (for speed) and so FastAPI does not list on its own.
HAND_PARSED: tuple[type[BaseModel], ...] = (MovementCreate, PostingCreate, ScanResolve)
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ERRORS = {
    "400": "The request cannot be read (malformed JSON, a NUL in the URL)",
    "401": "No token, or an invalid, revoked or expired one",
    "403": "The role or warehouse restriction does not allow this",
    "404": "No such thing in this organisation",
    "409": "The current state refuses it (insufficient stock, already exists, ...)",
    "413": "The request body is too large",
    "422": "A field or a rule is not satisfied; `errors` lists the fields",
}


def _component(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema


def install(app: FastAPI) -> None:
    """Replace FastAPI's document builder with one that completes it."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for model in (*HAND_PARSED, Problem):
            _component(schemas, model)
        # FastAPI documents its own 422 body; ours is a problem, like every other error.
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        for path, operations in doc.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERRORS.items():
                    if path == "/health" and status != "400":
                        continue
                    responses[status] = {
                        "description": description,
                        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
                    }
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]
