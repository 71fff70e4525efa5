"""The replenishment page: a planning run's suggestions with their reasons (forecast, safety
stock, reorder point, stock position), and the planner's decisions on them: edit a quantity,
reject, accept into draft purchase orders (and planned transfers); starting a run.

A run whose process stopped before it finished (a restart, a crash) is shown as interrupted,
with a button to start it again with the same warehouse, bucket and history.

Only the newest finished run of a warehouse can be acted on (the services refuse the others);
older runs are shown read-only.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import JSONResponse, Response

from onhand.api.errors import STATUS
from onhand.domain.access import Permission
from onhand.domain.errors import OnhandError
from onhand.domain.planning import BUCKETS, MAX_HISTORY_DAYS, RunRequest
from onhand.services import locations, planning_decisions, planning_runs
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.auth import see_other
from onhand.web.render import db_of, page
from onhand.web.session import Session

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str] | None, Form()]

RECENT_RUNS = 10
# How far back to look for a warehouse's newest finished run (the one that may be acted on).
NEWEST_WITHIN = 50
PAGE = 1000
MIN_HISTORY_DAYS = 28  # RunRequest.check's lower bound
# Suggestions first: open ones, then those decided; items with nothing to order last.
ORDER = {"proposed": 0, "accepted": 1, "rejected": 2, "none": 3}


class FormProblem(Exception):
    """What the user typed cannot be used: the sentence to show with the page again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _all_lines(db: Database, session: Session, number: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = None
    while True:
        got = planning_decisions.list_lines(db, session.actor, number, after=after, limit=PAGE)
        out += got["lines"]
        if got["next"] is None:
            return out
        after = got["next"]


def _newest_done(db: Database, session: Session, warehouse: str) -> str | None:
    for r in planning_runs.list_runs(db, session.actor, warehouse, NEWEST_WITHIN):
        if r["status"] == "done":
            return str(r["number"])
    return None


def _page(
    request: Request,
    session: Session,
    number: str | None,
    *,
    show_all: bool = False,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    db, actor = db_of(request), session.actor
    runs = planning_runs.list_runs(db, actor, None, RECENT_RUNS)
    run: dict[str, Any] | None
    if number:
        run = planning_runs.get_run(db, actor, number)
    else:  # the newest finished run, of any warehouse
        run = next((r for r in runs if r["status"] == "done"), None)
    lines: list[dict[str, Any]] = []
    actionable = False
    if run is not None and run["status"] == "done":
        lines = _all_lines(db, session, run["number"])
        actionable = _newest_done(db, session, run["warehouse"]) == run["number"]
    # Open suggestions that can become documents first, those without a source after them.
    lines.sort(key=lambda x: (ORDER.get(x["status"], 9), x["source"] == "none", x["sku"]))
    suggestions = [x for x in lines if x["status"] != "none"]
    may_plan = actor.may(Permission.MANAGE_PLANNING)
    if run is not None and run["status"] == "interrupted" and not typed:
        # Start it again: the form asks what the interrupted run was asked.
        typed = {
            "warehouse": run["warehouse"],
            "bucket": str(run["parameters"].get("bucket", "week")),
            "history_days": str(run["parameters"].get("history_days", 728)),
        }
    return page(
        request,
        "replenishment.html",
        session,
        status_code=status_code,
        run=run,
        runs=runs,
        running=[r for r in runs if r["status"] == "running"],
        interrupted=_newest_interrupted(runs),
        lines=lines if show_all else suggestions,
        suggestion_count=len(suggestions),
        nothing_count=len(lines) - len(suggestions),
        show_all=show_all,
        actionable=actionable,
        may_plan=may_plan and actionable,
        may_accept=may_plan and actionable and actor.may(Permission.MANAGE_PURCHASING),
        may_start=may_plan,
        warehouses=[w["path"] for w in locations.list_warehouses(db, actor)] if may_plan else [],
        buckets=BUCKETS,
        error=error,
        typed=typed or {},
        chosen=set(chosen or []),
    )


def _newest_interrupted(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs that are the newest of their warehouse and were interrupted: started again,
    they are not newest any more and the notice goes away."""
    newest: dict[str, dict[str, Any]] = {}
    for r in runs:  # newest first
        newest.setdefault(r["warehouse"], r)
    return [r for r in newest.values() if r["status"] == "interrupted"]


def _here(number: str, show_all: bool = False, msg: str = "") -> str:
    query = {"run": number} | ({"all": "1"} if show_all else {}) | ({"msg": msg} if msg else {})
    return f"/replenishment?{urlencode(query, quote_via=quote)}"


@router.get("/replenishment")
def replenishment(request: Request, run: str = "", all: str = "") -> Response:
    session = sessions.require(db_of(request), request)
    return _page(request, session, run.strip() or None, show_all=bool(all))


@router.get("/replenishment/runs/{number}/status")
def run_status(request: Request, number: str) -> Response:
    """A run's status and progress, for the page's script to follow a run in the background."""
    session = sessions.require(db_of(request), request)
    run = planning_runs.get_run(db_of(request), session.actor, number)
    return JSONResponse(
        {
            "number": run["number"],
            "status": run["status"],
            "stage": run["stage"],
            "progress": run["progress"],
        }
    )


def _sentence(exc: OnhandError) -> str:
    text = exc.message
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _parse_days(text: str) -> int:
    try:
        days = int(text.strip())
    except ValueError:
        raise FormProblem(
            f"History: {text.strip()[:20]!r} is not a whole number of days."
        ) from None
    if not MIN_HISTORY_DAYS <= days <= MAX_HISTORY_DAYS:
        raise FormProblem(f"History: enter {MIN_HISTORY_DAYS} to {MAX_HISTORY_DAYS} days.")
    return days


@router.post("/replenishment/runs")
def start_run(
    request: Request,
    tasks: BackgroundTasks,
    csrf: FormText = "",
    warehouse: FormText = "",
    bucket: FormText = "week",
    history_days: FormText = "728",
) -> Response:
    """Start a run of a warehouse; it forecasts in the background (managers)."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    typed = {"warehouse": warehouse, "bucket": bucket, "history_days": history_days}
    settings = request.app.state.planning
    try:
        if not warehouse.strip():
            raise FormProblem("Choose the warehouse to plan.")
        run = RunRequest(
            warehouse=warehouse.strip(),
            bucket=bucket,
            history_days=_parse_days(history_days),
            backend=settings["backend"],
            n_jobs=settings["n_jobs"],
        )
        number = planning_runs.start_run(db, session.actor, run)
    except FormProblem as exc:
        return _page(request, session, None, error=exc.message, typed=typed, status_code=422)
    except OnhandError as exc:
        return _page(
            request,
            session,
            None,
            error=_sentence(exc),
            typed=typed,
            status_code=STATUS.get(exc.kind, 422),
        )
    tasks.add_task(planning_runs.execute_run_quietly, db, session.actor, number, run)
    msg = f"Run {number} of {run.warehouse} started: its suggestions appear here when it is done."
    return see_other(_here(number, msg=msg))


def _parse_qty(text: str, sku: str) -> Decimal:
    cleaned = text.strip().replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or "e" in cleaned.lower():
        raise FormProblem(
            f"{sku}: {text.strip()[:40]!r} is not a quantity; enter a number with a point for "
            "decimals."
        )
    return value


@router.post("/replenishment/{number}/edit")
def edit(
    request: Request,
    number: str,
    csrf: FormText = "",
    sku: FormText = "",
    qty: FormText = "",
    all: FormText = "",
) -> Response:
    """Change the quantity of a suggestion, or propose one where the run suggested none."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    session.actor.require(Permission.MANAGE_PLANNING)
    try:
        if not sku:
            raise FormProblem("The form is out of date: reload the page.")
        line = planning_decisions.edit_line(db, session.actor, number, sku, _parse_qty(qty, sku))
    except FormProblem as exc:
        return _page(
            request,
            session,
            number,
            show_all=bool(all),
            error=exc.message,
            typed={f"qty-{sku}": qty},
            status_code=422,
        )
    except OnhandError as exc:
        return _page(
            request,
            session,
            number,
            show_all=bool(all),
            error=f"{sku}: {_sentence(exc)}",
            typed={f"qty-{sku}": qty},
            status_code=STATUS.get(exc.kind, 422),
        )
    msg = f"{sku}: order quantity set to {line['qty']:f} {line['uom']}."
    return see_other(_here(number, bool(all), msg) + f"#line-{quote(sku)}")


def _documents(result: dict[str, Any]) -> str:
    parts = [
        f"purchase order {o['number']} ({o['supplier']}, {o['lines']} line"
        f"{'' if o['lines'] == 1 else 's'})"
        for o in result["purchase_orders"]
    ]
    parts += [f"transfer {t['number']} from {t['source']}" for t in result["transfers"]]
    return "; ".join(parts)


@router.post("/replenishment/{number}/decide")
def decide(
    request: Request,
    number: str,
    csrf: FormText = "",
    sku: FormList = None,
    action: FormText = "",
    all: FormText = "",
) -> Response:
    """Accept the selected suggestions (or every proposed one) into documents, or reject them."""
    db = db_of(request)
    session = sessions.acting(db, request, csrf)
    session.actor.require(Permission.MANAGE_PLANNING)
    skus = sku or []
    try:
        if action not in ("accept", "reject", "accept_all"):
            raise FormProblem("Choose to accept or to reject.")
        if action != "accept_all" and not skus:
            raise FormProblem(f"Select the suggestions to {action}.")
        if action == "reject":
            got = planning_decisions.reject_lines(db, session.actor, number, skus)
            n = len(got["rejected"])
            msg = f"Rejected {n} suggestion{'' if n == 1 else 's'}: {', '.join(got['rejected'])}."
        else:
            chosen = None if action == "accept_all" else skus
            got = planning_decisions.accept_lines(db, session.actor, number, chosen)
            n = got["accepted"]
            msg = f"Accepted {n} suggestion{'' if n == 1 else 's'}: {_documents(got)}."
            if got["skipped"]:
                msg += f" Skipped {len(got['skipped'])} without a source or needing lots."
    except FormProblem as exc:
        return _page(
            request,
            session,
            number,
            show_all=bool(all),
            error=exc.message,
            chosen=skus,
            status_code=422,
        )
    except OnhandError as exc:
        return _page(
            request,
            session,
            number,
            show_all=bool(all),
            error=_sentence(exc),
            chosen=skus,
            status_code=STATUS.get(exc.kind, 422),
        )
    return see_other(_here(number, bool(all), msg))
