"""Web sessions: the API tokens of the accounts a browser signed in with, in one cookie.

Signing in issues an ordinary API token (named "web session", expiring after a shift), so the
pages act with the same users, roles and organisations as the API, and revoking the token ends
the session. A browser may hold the accounts of several organisations: the first token in the
cookie is the one acting, and the organisation switcher moves another to the front.

Forms carry a CSRF token derived from the acting token (a cross-site page cannot read it), and
the cookie is HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from onhand.domain.access import Actor
from onhand.domain.errors import OnhandError
from onhand.services import accounts
from onhand.store.unit_of_work import Database

COOKIE = "onhand_session"
LIFETIME = timedelta(hours=12)
MAX_ACCOUNTS = 8


class LoginRequired(Exception):
    """The page needs a signed-in account (answered with a redirect to the login page)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class Account:
    """One signed-in account of the browser."""

    token: str
    actor: Actor
    org_slug: str
    org_name: str


@dataclass(frozen=True, slots=True)
class Session:
    """The browser's accounts; the first acts."""

    accounts: list[Account]

    @property
    def current(self) -> Account:
        return self.accounts[0]

    @property
    def actor(self) -> Actor:
        return self.accounts[0].actor

    @property
    def csrf(self) -> str:
        return csrf_for(self.current.token)


def csrf_for(token: str) -> str:
    return hashlib.sha256(b"onhand-csrf:" + token.encode()).hexdigest()[:32]


def tokens_of(request: Request) -> list[str]:
    raw = request.cookies.get(COOKIE, "")
    return [t for t in raw.split(",") if t][:MAX_ACCOUNTS]


def load(db: Database, request: Request) -> Session | None:
    """The browser's session: its accounts whose tokens are still valid (others dropped)."""
    out = []
    for token in tokens_of(request):
        try:
            actor = accounts.authenticate(db, token)
            org = accounts.organisation_of(db, actor)
        except OnhandError:
            continue
        out.append(Account(token, actor, org["slug"], org["name"]))
    return Session(out) if out else None


def require(db: Database, request: Request) -> Session:
    """The session, or a redirect to the login page (coming back here afterwards)."""
    session = load(db, request)
    if session is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return session


def acting(db: Database, request: Request, csrf: str) -> Session:
    """The session of a form that changes something: signed in, and its CSRF field right."""
    session = require(db, request)
    check_csrf(session, {"csrf": csrf})
    return session


def check_csrf(session: Session, form: dict[str, Any]) -> None:
    """A form's CSRF field must match the acting account's."""
    given = str(form.get("csrf", ""))
    if not hmac.compare_digest(given, session.csrf):
        raise CsrfFailed


class CsrfFailed(Exception):
    """A form posted without this session's CSRF token (another site's, or a stale page)."""


def store(response: Response, request: Request, tokens: list[str]) -> None:
    """Keep the tokens in the cookie (or clear it when none is left)."""
    if not tokens:
        response.delete_cookie(COOKIE, path="/")
        return
    response.set_cookie(
        COOKIE,
        ",".join(tokens[:MAX_ACCOUNTS]),
        max_age=int(LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
