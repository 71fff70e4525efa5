"""Helpers of the counting and replenishment tests: signing in straight to a page (not via the
dashboard, which is slow to draw), and posting the pages' forms over HTTP without a browser."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.browser.conftest import Site


def sign_in_at(page: Any, site: Site, username: str, path: str) -> None:
    """Sign in as ``username`` from the sign-in page, arriving at ``path``."""
    page.goto(f"{site.url}/login?next={path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}{path}")


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


@contextmanager
def signed_in(site: Site, user: str) -> Iterator[httpx.Client]:
    """A browser-like HTTP client of the pages (the session cookie), signed in as ``user``."""
    with httpx.Client(base_url=site.url, timeout=60) as c:
        r = c.post("/login", data={"username": user, "password": site.password})
        assert r.status_code == 303, r.text
        yield c


def csrf_of(c: httpx.Client, path: str) -> str:
    """The CSRF token the forms of ``path`` carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', c.get(path).text)
    assert found
    return found.group(1)


def alert(r: httpx.Response) -> str:
    """The error sentence of a page (role="alert"), unescaped."""
    found = re.search(r'role="alert">([^<]+)<', r.text)
    assert found, r.text[-2000:]
    return html.unescape(found.group(1))
