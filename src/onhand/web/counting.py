"""Counting pages: the count tasks (open count documents of the user's warehouses), a count
document with blind entry per location, and the managers' variance review where lines beyond
tolerance after their recount are approved (their variance posted) or rejected.

What a role sees is the services' decision: book quantities, variances and values come only to
those who may manage counts; clerks count blind.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from onhand.api.errors import STATUS
from onhand.domain.access import Permission
from onhand.domain.counting import bin_version
from onhand.domain.errors import OnhandError
from onhand.services import count_views, counts
from onhand.services.common import utcnow
from onhand.services.count_plans import create_count, make_daily_plan
from onhand.services.counts import CountEntry
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.auth import see_other
from onhand.web.order_forms import new_key
from onhand.web.render import db_of, page
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str] | None, Form()]

SHOWN_OPEN = 100
SHOWN_CLOSED = 10
# Progress of the open counts is read per document: at most this many are read for the list.
PROGRESS_OF = 50
DECIDED = ("approved", "rejected")
# A line's state in words: for the counter, and for a manager (who also sees why).
STATUS_WORDS = {
    "open": "To count",
    "recount": "Count again",
    "review": "Waiting for a manager",
    "approved": "Done",
    "rejected": "Rejected",
}
REVIEW_WORDS = {
    "open": "Not counted yet",
    "recount": "Beyond tolerance: recount asked",
    "review": "Beyond tolerance after the recount: waiting for a decision",
    "approved": "Approved",
    "rejected": "Rejected",
}


class FormProblem(Exception):
    """What the user typed cannot be used: the sentence to show with the form again."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a count is: lines in all, decided, to count (again), waiting for a manager."""

    lines: int
    decided: int
    to_count: int
    recount: int
    review: int


def progress_of(count: dict[str, Any]) -> Progress:
    statuses = [x["status"] for x in count["lines"]]
    return Progress(
        lines=len(statuses),
        decided=sum(s in DECIDED for s in statuses),
        to_count=statuses.count("open"),
        recount=statuses.count("recount"),
        review=statuses.count("review"),
    )


def due_of(summary: dict[str, Any], today: date) -> tuple[str, str]:
    """When a count is due, in words, and a class for its badge (today, late, later)."""
    day = summary["plan_date"] or summary["created_at"].date()
    if day == today:
        return "today", "today"
    if day < today:
        return f"since {day.isoformat()}", "late"
    return day.isoformat(), "later"


def what_of(summary: dict[str, Any]) -> str:
    """What a count covers, in words."""
    kind, scope = summary["kind"], summary["scope"]
    if kind == "plan":
        return "Cycle count (daily plan)"
    if kind == "location":
        return f"Location {scope} and below"
    if kind == "item":
        return f"Item {scope}"
    return "Flagged discrepancies"


def _tasks(session: Session, request: Request) -> dict[str, Any]:
    db, actor = db_of(request), session.actor
    today = utcnow().date()
    open_ = count_views.list_counts(db, actor, status="open", limit=SHOWN_OPEN)
    tasks = []
    for n, c in enumerate(open_):
        detail = (
            progress_of(count_views.get_count(db, actor, c["number"])) if n < PROGRESS_OF else None
        )
        due, due_class = due_of(c, today)
        tasks.append(
            {**c, "what": what_of(c), "due": due, "due_class": due_class, "progress": detail}
        )
    # Due first (late, then today), then the later ones; newest first within each.
    order = {"late": 0, "today": 1, "later": 2}
    tasks.sort(key=lambda t: order[t["due_class"]])
    closed = count_views.list_counts(db, actor, status="closed", limit=SHOWN_CLOSED)
    for c in closed:
        c["what"] = what_of(c)
    return {"tasks": tasks, "closed": closed, "today": today}


def _list_page(
    request: Request,
    session: Session,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "counts.html",
        session,
        status_code=status_code,
        error=error,
        typed=typed or {},
        may_manage=session.actor.may(Permission.MANAGE_COUNTS),
        **_tasks(session, request),
    )


@router.get("/counts")
def count_tasks(request: Request) -> Response:
    session = sessions.require(db_of(request), request)
    return _list_page(request, session)


@router.post("/counts")
def start_count(
    request: Request,
    csrf: FormText = "",
    scope: FormText = "given",
    location: FormText = "",
    sku: FormText = "",
) -> Response:
    """An ad-hoc count of a location (and below), of an item, or of every flagged discrepancy."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    typed = {"location": location, "sku": sku}
    location, sku = location.strip(), sku.strip()
    try:
        if scope == "discrepancies":
            made = create_count(db, session.actor, discrepancies=True)
        else:
            if not location and not sku:
                raise FormProblem("Enter the location or the item (SKU) to count.")
            if location and sku:
                raise FormProblem("Enter either a location or an item, not both.")
            made = create_count(db, session.actor, location=location or None, sku=sku or None)
    except FormProblem as exc:
        return _list_page(request, session, error=exc.message, typed=typed, status_code=exc.status)
    except OnhandError as exc:
        return _list_page(
            request,
            session,
            error=_sentence(exc),
            typed=typed,
            status_code=STATUS.get(exc.kind, 422),
        )
    lines = made["lines"]
    msg = f"Count {made['number']} started: {lines} line{'' if lines == 1 else 's'} to count."
    return see_other(f"/counts/{made['number']}?msg={quote(msg)}")


@router.post("/counts/plan")
def plan_today(request: Request, csrf: FormText = "") -> Response:
    """Make today's cycle-count documents (once a day: a second time answers the same)."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    try:
        plan = make_daily_plan(db, session.actor, day=utcnow().date())
    except OnhandError as exc:
        return _list_page(
            request, session, error=_sentence(exc), status_code=STATUS.get(exc.kind, 422)
        )
    day, made, docs = plan["date"].isoformat(), plan["created"], plan["documents"]
    if made:
        msg = f"Planned {made} count document{'' if made == 1 else 's'} for {day}."
    elif docs:
        msg = f"The counts of {day} were planned already: {', '.join(d['number'] for d in docs)}."
    else:
        msg = f"Nothing is due for counting on {day}."
    return see_other(f"/counts?msg={quote(msg)}")


def _sentence(exc: OnhandError, entries: list[CountEntry] | None = None) -> str:
    """The service's sentence for the page: capitalised, with an entry of a batch of counts
    named by its item (the user typed lines, not numbered entries)."""
    text = exc.message
    found = re.match(r"entry (\d+): ", text)
    if found and entries and 1 <= int(found.group(1)) <= len(entries):
        e = entries[int(found.group(1)) - 1]
        what = (
            e.sku + (f" lot {e.lot}" if e.lot else "") + (f" serial {e.serial}" if e.serial else "")
        )
        text = f"{what}: {text[found.end() :]}"
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


# --- a count document: blind entry -----------------------------------------------------------


def _by_location(lines: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for x in lines:
        groups[x["location"]].append(x)
    return sorted(groups.items())


def _count_page(
    request: Request,
    session: Session,
    number: str,
    *,
    error: str | None = None,
    error_at: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    count = count_views.get_count(db_of(request), session.actor, number)
    actor = session.actor
    groups = _by_location(count["lines"])
    return page(
        request,
        "count.html",
        session,
        status_code=status_code,
        count=count,
        what=what_of(count),
        groups=groups,
        # Each form records once however often it is sent (its key), and only if the
        # location's lines are still as shown (their version).
        keys={location: new_key() for location, _ in groups} | {"": new_key()},
        versions={
            location: bin_version((x["line_no"], x["count_no"]) for x in lines)
            for location, lines in groups
        },
        progress=progress_of(count),
        reviewer=actor.may(Permission.MANAGE_COUNTS),
        may_count=actor.may(Permission.POST_MOVEMENTS) and count["status"] == "open",
        words=STATUS_WORDS,
        error=error,
        error_at=error_at,
        typed=typed or {},
    )


@router.get("/counts/{number}")
def count_page(request: Request, number: str) -> Response:
    session = sessions.require(db_of(request), request)
    return _count_page(request, session, number)


def parse_counted(text: str, what: str) -> Decimal:
    """A counted quantity as typed: a plain decimal number of 0 or more."""
    cleaned = text.strip().replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or "e" in cleaned.lower():
        raise FormProblem(
            f"{what}: {text.strip()[:40]!r} is not a quantity; enter a number of 0 or more, "
            "with a point for decimals."
        )
    return value


@router.post("/counts/{number}/record")
def record(
    request: Request,
    number: str,
    csrf: FormText = "",
    location: FormText = "",
    line: FormList = None,
    qty: FormList = None,
    found_sku: FormText = "",
    found_lot: FormText = "",
    found_serial: FormText = "",
    found_qty: FormText = "",
    key: FormText = "",
    seen: FormText = "",
) -> Response:
    """Record what was counted at one location: the listed lines given a quantity, and an item
    found there that the count did not list. The form's key makes sending it twice record
    once; ``seen``, the version of the location's lines it showed, refuses it when they were
    counted meanwhile."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    line_nos, quantities = line or [], qty or []
    typed = {f"qty-{n}": q for n, q in zip(line_nos, quantities, strict=False)}
    if found_sku or found_qty:  # the form of an item found: give it back as typed
        typed |= {
            "found_sku": found_sku,
            "found_lot": found_lot,
            "found_serial": found_serial,
            "found_qty": found_qty,
            "found_location": location,
        }
    place = location.strip()
    entries: list[CountEntry] = []
    try:
        if not place:
            raise FormProblem("Name the location you counted.")
        entries += _entries(db, session, number, place, line_nos, quantities)
        if found_sku.strip() or found_qty.strip():
            if not found_sku.strip():
                raise FormProblem("Enter the SKU of the item you found.")
            entries.append(
                CountEntry(
                    sku=found_sku.strip(),
                    quantity=parse_counted(found_qty or "", "The quantity found"),
                    lot=found_lot.strip() or None,
                    serial=found_serial.strip() or None,
                )
            )
        if not entries:
            raise FormProblem(f"Enter at least one counted quantity at {place}.")
        result = counts.record_counts(
            db,
            session.actor,
            number,
            location=place,
            entries=entries,
            idempotency_key=key.strip() or None,
            unchanged_since=seen.strip() or None,
        )
    except FormProblem as exc:
        return _count_page(
            request,
            session,
            number,
            error=exc.message,
            error_at=place,
            typed=typed,
            status_code=exc.status,
        )
    except OnhandError as exc:
        return _count_page(
            request,
            session,
            number,
            error=_sentence(exc, entries),
            error_at=place,
            # Counted meanwhile: what was typed counted the lines as they were, not as now.
            typed={} if exc.code == "bin_counted_meanwhile" else typed,
            status_code=STATUS.get(exc.kind, 422),
        )
    if result["replayed"]:
        msg = (
            f"Already recorded: this form was sent twice. The counts at {place} were recorded once."
        )
        return see_other(f"/counts/{number}?msg={quote(msg)}")
    here = [x for x in result["lines"] if x["location"] == place]
    again = sum(x["status"] == "recount" for x in here)
    waiting = sum(x["status"] == "review" for x in here)
    n = len(entries)
    msg = f"Recorded {n} count{'' if n == 1 else 's'} at {place}."
    if again:
        msg += f" Count {again} line{'' if again == 1 else 's'} again: it differs from the book."
    if waiting:
        msg += f" {waiting} line{' waits' if waiting == 1 else 's wait'} for a manager's decision."
    if result["status"] == "closed":
        msg += " The count is complete."
    return see_other(f"/counts/{number}?msg={quote(msg)}")


def _entries(
    db: Database, session: Session, number: str, place: str, line_nos: list[str], qtys: list[str]
) -> list[CountEntry]:
    """The listed lines given a quantity, as entries (lines left empty are not counted yet)."""
    if len(line_nos) != len(qtys):
        raise FormProblem("The form is incomplete: reload the page and enter the counts again.")
    lines = {
        str(x["line_no"]): x for x in count_views.get_count(db, session.actor, number)["lines"]
    }
    out = []
    for n, text in zip(line_nos, qtys, strict=True):
        if not text.strip():
            continue
        x = lines.get(n)
        if x is None or x["location"] != place:
            raise FormProblem(
                "The form is out of date: reload the page and enter the counts again."
            )
        what = f"Line {x['line_no']} ({x['sku']}{' lot ' + x['lot'] if x['lot'] else ''})"
        out.append(
            CountEntry(
                sku=x["sku"], quantity=parse_counted(text, what), lot=x["lot"], serial=x["serial"]
            )
        )
    return out


# --- the variance review (managers) ----------------------------------------------------------


def _review_page(
    request: Request,
    session: Session,
    number: str,
    *,
    error: str | None = None,
    chosen: list[str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    session.actor.require(Permission.MANAGE_COUNTS)
    count = count_views.get_count(db_of(request), session.actor, number)
    counted = [x for x in count["lines"] if x["counted"] is not None]
    shown = [x for x in counted if x["variance"] != 0 or x["status"] in ("recount", "review")]
    exact = len(counted) - len(shown)
    return page(
        request,
        "count_review.html",
        session,
        status_code=status_code,
        count=count,
        what=what_of(count),
        lines=shown,
        exact=exact,
        uncounted=len(count["lines"]) - len(counted),
        progress=progress_of(count),
        words=REVIEW_WORDS,
        currency=next((x["currency"] for x in count["lines"] if x.get("currency")), ""),
        error=error,
        chosen=set(chosen or []),
        reason=reason,
    )


@router.get("/counts/{number}/review")
def review_page(request: Request, number: str) -> Response:
    session = sessions.require(db_of(request), request)
    return _review_page(request, session, number)


def _decide(
    request: Request, number: str, csrf: str, line: list[str] | None, reason: str, approve: bool
) -> Response:
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    # Refused before reading the form: only a manager decides (the service checks it too).
    session.actor.require(Permission.MANAGE_COUNTS)
    chosen = line or []
    verb = "approve" if approve else "reject"
    try:
        if not chosen:
            raise FormProblem(f"Select the lines to {verb}.")
        try:
            numbers = sorted({int(n) for n in chosen})
        except ValueError:
            raise FormProblem("The form is out of date: reload the page.") from None
        decide = counts.approve_lines if approve else counts.reject_lines
        decide(db, session.actor, number, lines=numbers, reason=reason.strip() or None)
    except FormProblem as exc:
        return _review_page(
            request,
            session,
            number,
            error=exc.message,
            chosen=chosen,
            reason=reason,
            status_code=exc.status,
        )
    except OnhandError as exc:
        return _review_page(
            request,
            session,
            number,
            error=_sentence(exc),
            chosen=chosen,
            reason=reason,
            status_code=STATUS.get(exc.kind, 422),
        )
    which = ", ".join(str(n) for n in numbers)
    plural = "s" if len(numbers) > 1 else ""
    if approve:
        msg = f"Approved line{plural} {which}: the variance{plural} posted to the stock."
    else:
        msg = f"Rejected line{plural} {which}: the stock stays as it was."
    return see_other(f"/counts/{number}/review?msg={quote(msg)}")


@router.post("/counts/{number}/approve")
def approve(
    request: Request, number: str, csrf: FormText = "", line: FormList = None, reason: FormText = ""
) -> Response:
    """Approve lines waiting for a decision: each posts its variance (managers)."""
    return _decide(request, number, csrf, line, reason, approve=True)


@router.post("/counts/{number}/reject")
def reject(
    request: Request, number: str, csrf: FormText = "", line: FormList = None, reason: FormText = ""
) -> Response:
    """Reject lines waiting for a decision: nothing is posted (managers)."""
    return _decide(request, number, csrf, line, reason, approve=False)
