"""What every `onhand` command shares: the Typer app, consoles, settings, error handling.

Command modules (cli.py, cli_data.py, cli_demo.py, ...) register their commands on ``app``; they
import this module, never each other, so there is no import cycle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from onhand.config import Settings
from onhand.domain.access import Actor
from onhand.domain.errors import OnhandError
from onhand.runtime import open_database
from onhand.services import operators
from onhand.store.engine import shown_url
from onhand.store.unit_of_work import Database

app = typer.Typer(
    name="onhand",
    help="Inventory on a verifiable double-entry stock ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: a message stays on one line, whatever the terminal width (logs, grep).
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org", help="Organisation slug (default: the only organisation in the database)"
    ),
]

# Exit codes per error kind, so scripts can tell a bad input from a conflict.
EXIT = {
    "invalid": 2,
    "malformed": 2,
    "not_found": 3,
    "conflict": 4,
    "gone": 4,
    "forbidden": 5,
    "unauthenticated": 5,
}


class State:
    settings: Settings
    # True when --database-url or $ONHAND_DATABASE_URL chose the database (not the default).
    explicit_database: bool = False


state = State()


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn expected errors into a message and an exit code, never a traceback."""
    try:
        yield
    except OnhandError as exc:
        raise fail(exc.message, EXIT.get(exc.kind, 1)) from None


def read_input(file: str) -> bytes:
    """The bytes of a file named on the command line ('-': standard input)."""
    try:
        return sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror or exc}", EXIT["invalid"]) from None


def database() -> Database:
    try:
        return open_database(state.settings)
    except Exception as exc:  # a wrong URL or an unreachable server
        shown = shown_url(state.settings.database_url)
        raise fail(f"cannot open the database {shown!r}: {exc}") from None


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,  # no stray blank line in logs and pipes
    )


def run(fn: Callable[[], T]) -> T:
    with handled():
        return fn()


# How long a new worker process may take to answer its supervisor. Uvicorn's 5 s default is
# shorter than a worker's start on a busy small machine: it killed and restarted them for ever.
WORKER_START_SECONDS = 60


def serve_api(host: str, port: int, workers: int = 1) -> None:
    """Run the HTTP API with uvicorn on the database of ``state.settings`` until interrupted."""
    # The workers build their app from the environment.
    os.environ["ONHAND_DATABASE_URL"] = state.settings.database_url
    database().dispose()  # migrate once, before the workers start
    console.print(f"onhand on http://{host}:{port}  (web pages at /, API docs at /docs)")
    uvicorn.run(
        "onhand.app:asgi",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=WORKER_START_SECONDS,
        log_level="warning",
        access_log=False,
    )


def org_session(org: str | None) -> tuple[Database, Actor]:
    """The database and the acting admin of the organisation named by --org (or the only one)."""
    db = database()
    with handled():
        return db, operators.org_actor(db, org)


def number_arg(text: str, what: str = "quantity") -> Decimal:
    """A decimal from the command line, or exit 2 with a sentence."""
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise fail(f"{what} {text!r} is not a number", EXIT["invalid"]) from None


def day_arg(text: str | None, what: str = "date") -> date | None:
    """A YYYY-MM-DD from the command line (None stays None), or exit 2 with a sentence."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise fail(f"{what} {text!r} is not a date such as 2026-03-31", EXIT["invalid"]) from None
