"""The `onhand` command line: set up, serve, verify, demo, import and export."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from onhand.app import open_database
from onhand.config import Settings, load_settings
from onhand.domain.errors import OnhandError
from onhand.services import accounts, verify
from onhand.store.unit_of_work import Database

app = typer.Typer(
    name="onhand",
    help="Inventory on a verifiable double-entry stock ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
T = TypeVar("T")

# Exit codes per error kind, so scripts can tell a bad input from a conflict.
EXIT = {
    "invalid": 2,
    "malformed": 2,
    "not_found": 3,
    "conflict": 4,
    "forbidden": 5,
    "unauthenticated": 5,
}


class State:
    settings: Settings


state = State()


@app.callback()
def main_options(
    database_url: Annotated[
        str | None,
        typer.Option(help="Database URL (default: $ONHAND_DATABASE_URL or sqlite:///onhand.db)"),
    ] = None,
) -> None:
    settings = load_settings()
    if database_url:
        settings.database_url = database_url
    state.settings = settings


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn expected errors into a message and an exit code, never a traceback."""
    try:
        yield
    except OnhandError as exc:
        raise fail(exc.message, EXIT.get(exc.kind, 1)) from None


def database() -> Database:
    try:
        return open_database(state.settings)
    except Exception as exc:  # a wrong URL or an unreachable server
        raise fail(f"cannot open the database {state.settings.database_url!r}: {exc}") from None


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def run(fn: Callable[[], T]) -> T:
    with handled():
        return fn()


@app.command()
def init(
    org: Annotated[str, typer.Option(help="Organisation name")] = "My company",
    slug: Annotated[str, typer.Option(help="Organisation short name")] = "main",
    admin: Annotated[str, typer.Option(help="Admin username")] = "admin",
    password: Annotated[
        str | None, typer.Option(help="Admin password (generated and printed if omitted)")
    ] = None,
) -> None:
    """Create the database schema, the first organisation and its admin; print an API token."""
    db = database()
    shown = password or secrets.token_urlsafe(12)
    new = run(
        lambda: accounts.create_organisation(
            db, name=org, slug=slug, admin_username=admin, admin_password=shown
        )
    )
    console.print(f"Database ready: {state.settings.database_url}")
    console.print(f"Organisation {slug!r} created (id {new.org_id}).")
    console.print(f"Admin user: {admin}" + ("" if password else f"  password: {shown}"))
    console.print(f"API token (shown once): [bold]{new.token}[/]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    # The workers build their app from the environment.
    os.environ["ONHAND_DATABASE_URL"] = state.settings.database_url
    database().dispose()  # migrate once, before the workers start
    console.print(f"onhand API on http://{host}:{port}  (docs at /docs)")
    uvicorn.run(
        "onhand.app:asgi",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@app.command("verify")
def verify_cmd(
    checkpoint: Annotated[
        bool, typer.Option(help="Record a checkpoint over all chain heads when everything is fine")
    ] = False,
) -> None:
    """Check conservation, balances = replay of the ledger, and the hash chains. Exit 1 on findings."""
    db = database()
    with progress() as bar:
        task = bar.add_task("checking movements", total=None)
        report = verify.verify(db, progress=lambda n: bar.advance(task, n))
    for f in report.findings:
        where = f" [movement {f.movement_id}]" if f.movement_id is not None else ""
        console.print(f"[red]{f.check}[/]{where}: {f.message}", highlight=False)
    console.print(
        f"{report.movements} movements in {report.chains} chains, "
        f"{report.checkpoints} checkpoints checked in {report.seconds:.2f} s: "
        + ("[green]OK[/]" if report.ok else f"[red]{len(report.findings)} finding(s)[/]")
    )
    if not report.ok:
        raise typer.Exit(1)
    if checkpoint:
        console.print(f"checkpoint {verify.checkpoint(db)} recorded")


def main(argv: list[str] | None = None) -> Any:
    return app(args=argv)


if __name__ == "__main__":
    main(sys.argv[1:])
