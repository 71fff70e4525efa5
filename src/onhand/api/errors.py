"""Errors as RFC 9457 problem+json: a stable code and a sentence a person understands."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError as DBAPIOperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from onhand.domain.errors import OnhandError

log = logging.getLogger("onhand.api")

STATUS = {
    "invalid": 422,
    "malformed": 400,
    "not_found": 404,
    "conflict": 409,
    "unauthenticated": 401,
    "forbidden": 403,
    "gone": 410,
    "too_large": 413,
    "unavailable": 503,
}
TITLES = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    503: "Service unavailable",
    500: "Internal error",
}


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://onhand.dev/problems/{code.replace('_', '-')}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "request"


RESERVED = frozenset({"type", "title", "status", "code", "detail", "errors", "instance"})

# Error types raised by our own validators (api/schemas.py) that deserve their own stable code.
OWN_CODES = frozenset(
    {"naive_datetime", "datetime_out_of_range", "datetime_format", "inexact_number"}
)


def _message(e: dict[str, Any]) -> str:
    if e.get("type") == "string_pattern_mismatch":
        return "must not contain control characters"
    return str(e.get("msg", ""))[:300]


def validation_problem(errors: list[dict[str, Any]]) -> JSONResponse:
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "malformed_json", "the request body is not valid JSON")
    listed = [
        {"field": _where(tuple(e.get("loc", ()))), "message": _message(e)} for e in errors[:50]
    ]
    first = listed[0] if listed else {"field": "request", "message": "is not valid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    kind = errors[0].get("type") if errors else None
    return problem(
        422,
        kind if kind in OWN_CODES else "validation_error",
        f"{first['field']}: {first['message']}{more}",
        errors=listed,
    )


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _allowed(req: Request) -> list[str]:
    # Each method of a path is its own route, and Starlette names only the first one's methods:
    # list every method the API documents for this path.
    table = getattr(req.app.state, "allow_table", None)
    if table is None:
        table = [
            (_template(path), {m.upper() for m in ops})
            for path, ops in req.app.openapi().get("paths", {}).items()
        ]
        req.app.state.allow_table = table
    methods: set[str] = set()
    for pattern, verbs in table:
        if pattern.fullmatch(req.url.path):
            methods |= verbs | ({"HEAD"} if "GET" in verbs else set())
    return sorted(methods)


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _plain(value: Any) -> bool:
    """A value a problem may carry: a scalar, or a list of scalars or of flat objects (an
    import's problems, each with its line and code)."""
    if _scalar(value):
        return True
    if isinstance(value, list) and len(value) <= 1000:
        return all(
            _scalar(v) or (isinstance(v, dict) and all(x is None or _scalar(x) for x in v.values()))
            for v in value
        )
    return False


def install(app: FastAPI) -> None:
    @app.exception_handler(OnhandError)
    async def _onhand(_req: Request, exc: OnhandError) -> JSONResponse:
        # An error's own fields never replace the problem's (a "status" extra once did: a 500).
        extra = {k: v for k, v in exc.extra.items() if _plain(v) and k not in RESERVED}
        return problem(STATUS.get(exc.kind, 422), exc.code, exc.message, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's own body parsing: bytes that are not UTF-8, JSON nested too deeply.
            return problem(400, "malformed_json", "the request body is not valid JSON")
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        detail = {
            404: "there is no such route; see /docs for the API",
            405: "this route does not accept that method; see /docs for the API",
        }.get(exc.status_code, str(exc.detail))
        response = problem(exc.status_code, code, detail)
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed(req))
        return response

    @app.exception_handler(DBAPIOperationalError)
    async def _database(req: Request, exc: DBAPIOperationalError) -> JSONResponse:
        # The database is down, restarting or out of connections: not the request's fault.
        log.warning("database unavailable on %s %s: %s", req.method, req.url.path, exc.orig)
        return problem(
            503, "database_unavailable", "the database cannot be reached right now; retry shortly"
        )

    @app.exception_handler(Exception)
    async def _bug(req: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - a bug
        log.exception("unhandled error on %s %s", req.method, req.url.path)
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged")
