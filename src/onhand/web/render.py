"""Rendering pages: the Jinja2 environment, the navigation and the context every page gets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from onhand import __version__
from onhand.domain.access import Permission
from onhand.store.unit_of_work import Database
from onhand.web.session import Session


@dataclass(frozen=True, slots=True)
class NavLink:
    path: str
    label: str
    permission: Permission = Permission.READ
    # Other pages that belong to this link's section (it is marked current on them too).
    also: tuple[str, ...] = ()

    def is_current(self, path: str) -> bool:
        """Whether ``path`` is this link's page or one below it (or of its other pages)."""
        if self.path == "/":
            return path == "/"
        return any(path == p or path.startswith(p + "/") for p in (self.path, *self.also))


# The pages in the navigation, in order; a page needing a permission the role lacks is left out.
# Kept short for the phone's scrolling bar: pick lists live under Sales (linked from there).
NAV = (
    NavLink("/", "Dashboard"),
    NavLink("/items", "Items"),
    NavLink("/locations", "Locations"),
    NavLink("/scan", "Scan", Permission.POST_MOVEMENTS),
    NavLink("/purchase-orders", "Purchasing"),
    NavLink("/sales-orders", "Sales", also=("/pick-lists",)),
    NavLink("/transfers", "Transfers"),
    NavLink("/returns", "Returns", Permission.POST_MOVEMENTS),
    NavLink("/trace", "Trace"),
    NavLink("/counts", "Counting"),
    NavLink("/replenishment", "Replenishment"),
    NavLink("/webhooks", "Webhooks", Permission.MANAGE_INTEGRATIONS),
)


def _number(value: Any, places: int = 0) -> str:
    """A number with thousands separators (a dash for none)."""
    if value is None:
        return "–"
    return f"{Decimal(value):,.{places}f}"


def _quantity(value: Any) -> str:
    """A quantity as the API gives it (a decimal string), with separators, no trailing zeros."""
    if value is None:
        return "–"
    d = Decimal(value)
    text = f"{d:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_env = Environment(
    loader=PackageLoader("onhand.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["number"] = _number
_env.filters["quantity"] = _quantity


def whole(text: str, digits: int = 18) -> int | None:
    """The whole number a form field or URL part holds, or None: ASCII digits only (``int``
    refuses some that ``isdigit`` takes, "²"), at most ``digits`` of them (so it fits a
    64-bit column)."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= digits:
        return int(text)
    return None


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def page(
    request: Request,
    template: str,
    session: Session | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A whole page: the template with the navigation, the accounts and the CSRF token."""
    nav = []
    if session is not None:
        nav = [n for n in NAV if session.actor.may(n.permission)]
    html = _env.get_template(template).render(
        request=request,
        session=session,
        nav=nav,
        path=request.url.path,
        version=__version__,
        message=request.query_params.get("msg"),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
