"""Signing in and out, and switching between the organisations a browser is signed in to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from onhand.domain.errors import InvalidInput, Unauthenticated
from onhand.services import accounts
from onhand.web import session as sessions
from onhand.web.render import db_of, page

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]


def safe_next(target: str) -> str:
    """Where to go after signing in: a path of this site only (never another site)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def see_other(path: str, response: Response | None = None) -> RedirectResponse:
    out = RedirectResponse(path, status_code=303)
    if response is not None:
        for key, value in response.headers.items():
            if key == "set-cookie":
                out.headers.append(key, value)
    return out


@router.get("/login")
def login_page(request: Request, next: str = "/", add: str = "") -> Response:
    session = sessions.load(db_of(request), request)
    if session is not None and not add:
        return see_other(safe_next(next))
    return page(request, "login.html", session, next=safe_next(next), adding=bool(add))


@router.post("/login")
def login(
    request: Request,
    username: FormText = "",
    password: FormText = "",
    next: FormText = "/",
    add: FormText = "",
) -> Response:
    db = db_of(request)
    current = sessions.load(db, request)
    context = {"next": safe_next(next), "adding": bool(add), "username": username}
    if not username.strip() or not password:
        return page(
            request,
            "login.html",
            current,
            status_code=422,
            error="Enter your username and password.",
            **context,
        )
    try:
        new = accounts.login(
            db, username.strip(), password, token_name="web session", lifetime=sessions.LIFETIME
        )
    except Unauthenticated:
        return page(
            request,
            "login.html",
            current,
            status_code=401,
            error="Wrong username or password.",
            **context,
        )
    kept = [a.token for a in current.accounts] if current and add else []
    if current and not add:
        for a in current.accounts:
            accounts.logout(db, a.token)
    response = see_other(safe_next(next))
    sessions.store(response, request, [new.token, *kept])
    return response


@router.post("/logout")
def logout(request: Request, csrf: FormText = "") -> Response:
    db = db_of(request)
    session = sessions.load(db, request)
    if session is None:
        return see_other("/login")
    sessions.check_csrf(session, {"csrf": csrf})
    accounts.logout(db, session.current.token)
    rest = [a.token for a in session.accounts[1:]]
    response = see_other("/" if rest else "/login")
    sessions.store(response, request, rest)
    return response


@router.post("/switch")
def switch(request: Request, csrf: FormText = "", index: FormText = "0") -> Response:
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    tokens = [a.token for a in session.accounts]
    try:
        chosen = tokens.pop(int(index))
    except (ValueError, IndexError):
        raise InvalidInput(
            "there is no such organisation in this browser", code="no_such_account"
        ) from None
    response = see_other("/")
    sessions.store(response, request, [chosen, *tokens])
    return response
