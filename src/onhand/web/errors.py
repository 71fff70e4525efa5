"""Errors on the web pages as readable pages (the API keeps its problem+json answers): a
sign-in page for a missing session, a sentence and a code for a refused request, never a
stack trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from onhand.api.errors import STATUS
from onhand.domain.errors import OnhandError
from onhand.web import session as sessions
from onhand.web.render import db_of, page

log = logging.getLogger("onhand.web")

# Paths of the API and its documentation: their errors stay problem+json.
API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi", "/health")

TITLES = {
    400: "The request could not be read",
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    409: "Not possible now",
    413: "Too large",
    422: "Please check what you entered",
    500: "Something went wrong",
    503: "Not available right now",
}

Handler = Callable[[Request, Any], Awaitable[Response]]


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, status: int, detail: str, code: str | None) -> Response:
    """An error as a page, with the navigation when the browser is signed in."""
    try:
        session = sessions.load(db_of(request), request)
    except Exception:  # the database itself may be what failed
        session = None
    title = TITLES.get(status, "Something went wrong")
    return page(
        request, "error.html", session, status_code=status, title=title, detail=detail, code=code
    )


def install(app: FastAPI) -> None:
    """Answer errors on pages with pages; the API's handlers keep the rest."""
    api: dict[Any, Handler] = dict(app.exception_handlers)  # type: ignore[arg-type]

    def for_pages(kind: Any, handle: Callable[[Request, Any], Response]) -> None:
        fallback = api.get(kind)

        async def handler(request: Request, exc: Any) -> Response:
            if is_page(request) or fallback is None:
                return await run_in_threadpool(handle, request, exc)
            return await fallback(request, exc)

        app.add_exception_handler(kind, handler)

    def login_required(request: Request, exc: sessions.LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    def csrf_failed(request: Request, _exc: sessions.CsrfFailed) -> Response:
        return error_page(
            request,
            403,
            "This form is out of date or came from another site. Reload the page and try again.",
            "csrf_failed",
        )

    def refused(request: Request, exc: OnhandError) -> Response:
        return error_page(request, STATUS.get(exc.kind, 422), exc.message, exc.code)

    def http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = {404: "There is no such page.", 405: "This page does not take that request."}
        status = exc.status_code
        return error_page(request, status, detail.get(status, str(exc.detail)), None)

    def bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_page(
            request, 500, "An unexpected error occurred; it has been logged.", "internal_error"
        )

    app.add_exception_handler(sessions.LoginRequired, _sync(login_required))
    app.add_exception_handler(sessions.CsrfFailed, _sync(csrf_failed))
    for_pages(OnhandError, refused)
    for_pages(StarletteHTTPException, http)
    for_pages(Exception, bug)


def _sync(handle: Callable[[Request, Any], Response]) -> Handler:
    async def handler(request: Request, exc: Any) -> Response:
        return await run_in_threadpool(handle, request, exc)

    return handler
