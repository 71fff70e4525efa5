"""The `onhand` command line: set up, serve, verify, demo, import and export, purchasing and
channel sales."""

from __future__ import annotations

import os
import secrets
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

# The other cli_* modules register their commands on the same app.
from onhand import (  # noqa: F401
    cli_channel_sales,
    cli_counting,
    cli_data,
    cli_demand,
    cli_demo,
    cli_erp,
    cli_events,
    cli_exceptions,
    cli_iot,
    cli_kpis,
    cli_moves,
    cli_planning,
    cli_purchasing,
    cli_reports,
    cli_sales,
    cli_scanning,
    cli_simulation,
    cli_trace,
    cli_valuation,
    cli_webhooks,
)
from onhand.cli_common import (
    EXIT,
    app,
    console,
    database,
    fail,
    handled,
    progress,
    run,
    serve_api,
    state,
)
from onhand.config import SettingsError, load_settings
from onhand.services import accounts, verify
from onhand.store.engine import shown_url

__all__ = ["app", "database", "handled", "main", "state"]


@app.callback()
def main_options(
    database_url: Annotated[
        str | None,
        typer.Option(help="Database URL (default: $ONHAND_DATABASE_URL or sqlite:///onhand.db)"),
    ] = None,
) -> None:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(f"a setting is wrong: {exc}", EXIT["invalid"]) from None
    if database_url:
        settings.database_url = database_url
    state.settings = settings
    state.explicit_database = bool(database_url) or "ONHAND_DATABASE_URL" in os.environ


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
    console.print(f"Database ready: {shown_url(state.settings.database_url)}")
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
    serve_api(host, port, workers)


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
        # escape: "[movement 7]" would otherwise be taken for Rich markup and vanish.
        console.print(f"[red]{f.check}[/]{escape(where)}: {escape(f.message)}", highlight=False)
    console.print(
        f"{report.movements} movements in {report.chains} chains, "
        f"{report.checkpoints} checkpoints checked in {report.seconds:.2f} s: "
        + ("[green]OK[/]" if report.ok else f"[red]{len(report.findings)} finding(s)[/]")
    )
    if not report.ok:
        raise typer.Exit(1)
    if checkpoint:
        _print_checkpoint(verify.checkpoint(db))


@app.command("checkpoint")
def checkpoint_cmd() -> None:
    """Record a checkpoint over all chain heads (run `onhand verify` first) and print its id."""
    db = database()
    with handled():
        cp = verify.checkpoint(db)
    _print_checkpoint(cp)


def _print_checkpoint(cp: verify.Checkpoint) -> None:
    console.print(f"checkpoint {cp.id} recorded: {cp.hash}")
    console.print("Keep this hash outside the database: it vouches for every movement up to now.")


def main(argv: list[str] | None = None) -> Any:
    return app(args=argv)


if __name__ == "__main__":
    main(sys.argv[1:])
