"""The scan page (/scan) for warehouse staff on a phone or a hand-held: choose a task (receive,
pick, move, count), then scan one code at a time into one input.

Plain server-rendered forms: a keyboard-wedge scanner types the code and Enter, the form posts,
the page comes back with what was understood and done (or what was wrong) and the focus in the
input again. The task's context (the order, the bin, an item waiting for its quantity, a bin's
scans) travels in hidden fields or the URL, never in the server's memory. Each rendered form
carries a random token, the idempotency key of its scan: the same form sent twice (a double
Enter, a reload re-posting it) does its work once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from onhand.domain.access import Permission
from onhand.domain.errors import OnhandError
from onhand.store.unit_of_work import Database
from onhand.web import session as sessions
from onhand.web.render import db_of, page
from onhand.web.scan_count import COUNT
from onhand.web.scan_forms import (
    MAX_TEXT,
    Feedback,
    Logged,
    Scan,
    State,
    Task,
    clip,
    logged,
    new_token,
    read_log,
    refused,
    write_log,
)
from onhand.web.scan_move import MOVE
from onhand.web.scan_tasks import PICK, RECEIVE

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
TASKS = {t.name: t for t in (RECEIVE, PICK, MOVE, COUNT)}
# The hidden fields that may be long: a bin's scans (up to 1,000) and the list under the form.
LONG = {"scans": 400_000, "log": 100_000}


def _begin(request: Request) -> tuple[sessions.Session, Database]:
    """The session of someone who may post movements (others get the 403 page)."""
    db = db_of(request)
    session = sessions.require(db, request)
    session.actor.require(Permission.POST_MOVEMENTS)
    return session, db


def _task(name: str) -> Task:
    task = TASKS.get(name)
    if task is None:
        raise HTTPException(404)
    return task


def _state(task: Task, given: dict[str, str]) -> State:
    return {f: clip(given.get(f, ""), LONG.get(f, MAX_TEXT)) for f in task.fields}


def _show(
    request: Request,
    session: sessions.Session,
    db: Database,
    task: Task,
    state: State,
    feedback: Feedback | None,
    log: list[Logged],
) -> Response:
    """The task page in this state, with a fresh token for its next scan."""
    actor = session.actor
    try:
        view = task.view(db, actor, state)
    except OnhandError as exc:  # the context itself is wrong: no such order, another warehouse
        feedback = refused(exc)
        state = _state(task, {})
        view = task.view(db, actor, state)
    return page(
        request,
        "scan_task.html",
        session,
        status_code=feedback.status if feedback else 200,
        task=task,
        state=state,
        view=view,
        feedback=feedback,
        log=log,
        log_json=write_log(log),
        token=new_token(),
    )


@router.get("/scan")
def choose(request: Request) -> Response:
    """The tasks, as large buttons."""
    session, _ = _begin(request)
    return page(request, "scan.html", session, tasks=list(TASKS.values()))


@router.get("/scan/{name}")
def task_page(request: Request, name: str) -> Response:
    """A task from its start, or with its context in the URL (``?po=PO-000004``)."""
    task = _task(name)
    session, db = _begin(request)
    return _show(request, session, db, task, _state(task, dict(request.query_params)), None, [])


@router.post("/scan/{name}")
def task_scan(
    request: Request,
    name: str,
    csrf: FormText = "",
    token: FormText = "",
    code: FormText = "",
    quantity: FormText = "",
    action: FormText = "",
    log: FormText = "",
    po: FormText = "",
    pick_list: FormText = "",
    count: FormText = "",
    bin: FormText = "",
    source: FormText = "",
    item: FormText = "",
    qty: FormText = "",
    scans: FormText = "",
    seen: FormText = "",
) -> Response:
    """One scan (or a button: cancel, finish, discard): do it, and show the page again."""
    task = _task(name)
    session, db = _begin(request)
    sessions.check_csrf(session, {"csrf": csrf})
    given = {"po": po, "pick_list": pick_list, "count": count, "bin": bin, "source": source,
             "item": item, "qty": qty, "scans": scans, "seen": seen}  # fmt: skip
    state = _state(task, given)
    scan = Scan(clip(code), clip(quantity, 40), clip(action, 20), clip(token, 64))
    try:
        changed = dict(state)
        feedback = task.step(db, session.actor, changed, scan)
        state = changed
    except OnhandError as exc:  # refused: the context stays as it was
        feedback = refused(exc)
    history = logged(read_log(clip(log, LONG["log"])), feedback)
    return _show(request, session, db, task, state, feedback, history)
