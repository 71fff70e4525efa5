"""What the scan pages share: the feedback of a scan, the list of this session's scans (kept in
the form, never on the server), quantities typed in, and what a resolved scan says in words."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from onhand.api.errors import STATUS
from onhand.domain.access import Actor
from onhand.domain.errors import InvalidInput, OnhandError
from onhand.store.unit_of_work import Database

MAX_LOG = 30  # scans listed under the form
MAX_TEXT = 256  # a scan, as the resolver takes it
# Digits (and a decimal part) short enough not to be a barcode: EAN-8 has 8 digits.
QUANTITY = re.compile(r"\d{1,7}(?:[.,]\d{1,6})?")


def new_token() -> str:
    """A fresh random token for one rendered form: the idempotency key of its scan."""
    return secrets.token_urlsafe(16)


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """A form value as the page keeps it: trimmed, at most ``limit`` characters."""
    return text.strip()[:limit]


def sentence(text: str) -> str:
    """A service's message as a sentence: capital first, full stop last."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def number(value: Decimal | int | str | None) -> str:
    """A quantity without trailing zeros (12, 2.5)."""
    if value is None:
        return ""
    d = Decimal(value)
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def looks_like_quantity(text: str) -> bool:
    """Whether what was typed is a quantity rather than a scan (up to 7 digits, a decimal part)."""
    return QUANTITY.fullmatch(text.strip()) is not None


def parse_quantity(text: str) -> Decimal | None:
    """A positive quantity typed in (a comma may be the decimal mark), or None when empty."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value <= 0 or abs(value) >= 10**12:
        raise InvalidInput(
            f"the quantity must be a positive number such as 12 or 2.5, not {text[:20]!r}",
            code="invalid_quantity",
        )
    return value


@dataclass(slots=True)
class Feedback:
    """What one scan was understood as and what was done, or what was wrong."""

    ok: bool
    headline: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    code: str | None = None
    status: int = 200

    def __post_init__(self) -> None:
        self.notes = [sentence(n) for n in self.notes]


def refused(exc: OnhandError, facts: list[tuple[str, str]] | None = None) -> Feedback:
    """A refused scan: the service's sentence, its code and HTTP status."""
    return Feedback(
        False,
        sentence(exc.message),
        facts=facts or [],
        code=exc.code,
        status=STATUS.get(exc.kind, 422),
    )


def item_facts(r: dict[str, Any], *, count: bool = True) -> list[tuple[str, str]]:
    """What a resolved item scan says: item, lot (new or known), expiry, serial, and its count
    (unless the answer gives the quantity itself)."""
    item = r["item"]
    out = [("Item", f"{item['sku']} · {item['name']}")]
    if r["lot"] and item["tracking"] == "lot":
        out.append(("Lot", r["lot"] + (" (new)" if r["lot_known"] is False else "")))
    if r["expiry_date"] is not None:
        out.append(("Expiry", str(r["expiry_date"])))
    if r["serial"] and item["tracking"] == "serial":
        out.append(("Serial", r["serial"]))
    if count and r["quantity"] is not None:
        out.append(("Count on the barcode", f"{number(r['quantity'])} {item['uom']}"))
    return out


def what(sku: str, lot: str | None, serial: str | None) -> str:
    """An item as a scan names it: "FLOUR lot L1", "CAM serial 77"."""
    return sku + (f" lot {lot}" if lot else "") + (f" serial {serial}" if serial else "")


def nothing_scanned() -> InvalidInput:
    """The refusal of an empty scan."""
    return InvalidInput("scan or type a code, then press Enter", code="nothing_scanned")


def counted_by_barcode(r: dict[str, Any]) -> bool:
    """Whether the scan itself says how many: a (30)/(37) count, or one serial's unit."""
    serial = r["serial"] is not None and r["item"]["tracking"] == "serial"
    return r["quantity"] is not None or serial


def typed_quantity(scan: Scan) -> Decimal | None:
    """The quantity the waiting item asked for: typed into the one input, else the field."""
    if looks_like_quantity(scan.code):
        return parse_quantity(scan.code)
    return parse_quantity(scan.quantity) if not scan.code else None


def bin_facts(r: dict[str, Any]) -> list[tuple[str, str]]:
    """What a bin label scan says: its path and name."""
    loc = r["location"]
    return [("Bin", loc["path"] + (f" · {loc['name']}" if loc["name"] else ""))]


def stock_bin(r: dict[str, Any]) -> str:
    """The path of a scanned bin label, refused early unless stock can be there (not a virtual
    location such as @supplier)."""
    loc = r["location"]
    if loc["kind"] != "internal":
        raise InvalidInput(
            f"{loc['path']} is not a stock location: scan a bin label", code="not_a_stock_location"
        )
    return str(loc["path"])


def not_item_or_bin(code: str, kind: str) -> InvalidInput:
    """The refusal of a scan that is neither an item nor a bin (an SSCC)."""
    return InvalidInput(
        f"{code[:80]!r} is a {kind}: scan an item or a bin label", code="scan_not_an_item"
    )


# --- what a task page shows ------------------------------------------------------------------


@dataclass(slots=True)
class Table:
    """A table under the form: the order's lines, the pick tasks, what a bin holds..."""

    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # columns aligned right
    current: int | None = None  # the row to do next, marked
    empty: str = "Nothing yet."


@dataclass(slots=True)
class View:
    """A task page in its current state: what to scan next, the context and what to choose."""

    prompt: str  # the label of the one input
    hint: str = ""
    numeric: bool = False  # the input asks for a quantity
    quantity: bool = False  # the optional quantity field applies
    summary: list[tuple[str, str]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)  # (action, label) buttons
    choices: list[tuple[str, str, str]] = field(default_factory=list)  # (href, label, detail)
    choices_title: str = ""
    tables: list[Table] = field(default_factory=list)
    restart: str = ""  # the label of the link that starts the task again


# --- the list of this session's scans, kept in a hidden field -------------------------------


@dataclass(frozen=True, slots=True)
class Logged:
    """One scan of this session, as listed under the form."""

    ok: bool
    text: str


def read_log(raw: str) -> list[Logged]:
    """The scans listed so far (newest first); anything unreadable is dropped (display only)."""
    try:
        rows = json.loads(raw) if raw else []
    except ValueError:
        return []
    out = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and len(row) == 2 and all(isinstance(x, str) for x in row):
            ok, text = row
            out.append(Logged(ok == "1", text[:300]))
    return out[:MAX_LOG]


def write_log(log: list[Logged]) -> str:
    """The list for the hidden field."""
    return json.dumps([["1" if x.ok else "0", x.text] for x in log])


def logged(log: list[Logged], feedback: Feedback) -> list[Logged]:
    """The list with this scan first. A form sent twice lists it once: the list is the form's,
    from before the scan."""
    return [Logged(feedback.ok, feedback.headline), *log][:MAX_LOG]


# --- a task: its context fields, what a scan does, and what the page shows -------------------


@dataclass(frozen=True, slots=True)
class Scan:
    """One submission of a task's form: what was scanned or typed, and the button used."""

    code: str
    quantity: str = ""
    action: str = ""
    token: str = ""


State = dict[str, str]
Step = Callable[[Database, Actor, State, Scan], Feedback]
Render = Callable[[Database, Actor, State], View]


@dataclass(frozen=True, slots=True)
class Task:
    """A scanning task: its context (hidden fields or URL parameters), a scan, the page."""

    name: str
    title: str
    blurb: str
    fields: tuple[str, ...]
    step: Step
    view: Render


def link(task: str, **state: str) -> str:
    """A task page with its context in the URL (an open order to choose, ...)."""
    return f"/scan/{task}?{urlencode(state)}"


def plural(n: int, word: str) -> str:
    """``1 line``, ``3 lines``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
