"""`onhand demo`: build a demo organisation with a year of history, verify it and serve it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onhand.cli_common import app, console, database, err, handled, progress, serve_api, state
from onhand.services import demo as demo_service
from onhand.services import verify

DEMO_FILE = "onhand-demo.db"


def _fresh_demo_file() -> None:
    """Use ./onhand-demo.db, starting from scratch: the file belongs to the demo alone."""
    path = Path(DEMO_FILE)
    state.settings.database_url = f"sqlite:///{DEMO_FILE}"
    # A throwaway database: a killed process may lose the last commits, never consistency.
    state.settings.sqlite_synchronous = "NORMAL"
    if path.exists():
        err.print(f"replacing the previous demo database {DEMO_FILE}", highlight=False)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(DEMO_FILE + suffix).unlink(missing_ok=True)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    items: Annotated[int, typer.Option(help="Number of items (10-5000)")] = 300,
    days: Annotated[int, typer.Option(help="Days of history, up to yesterday")] = 365,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed builds the same company")
    ] = 42,
    slug: Annotated[
        str, typer.Option(help="Organisation slug, also the admin's username")
    ] = "demo",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API when built (or just exit)")
    ] = True,
) -> None:
    """Build a demo organisation (3 warehouses, items with a year of history), verify it and
    serve it. Uses ./onhand-demo.db, rebuilt from scratch each time, unless --database-url or
    $ONHAND_DATABASE_URL names a database (where an existing demo organisation is refused)."""
    if not state.explicit_database:
        _fresh_demo_file()
    db = database()
    with handled(), progress() as bar:
        task = bar.add_task("simulating days", total=days)
        result = demo_service.build_demo(
            db,
            slug=slug,
            item_count=items,
            days=days,
            seed=seed,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    profiles = ", ".join(f"{n} {p}" for p, n in sorted(result.profiles.items()))
    console.print(
        f"Demo organisation {result.slug!r} built: {result.warehouses} warehouses, "
        f"{result.locations} locations, {result.items} items ({profiles}), "
        f"{result.movements:,} movements in {result.postings} postings over {result.days} days.",
        highlight=False,
    )
    with progress() as bar:
        task = bar.add_task("verifying", total=result.movements)
        report = verify.verify(db, progress=lambda n: bar.advance(task, n))
    db.dispose()
    for finding in report.findings:
        err.print(f"{finding.check}: {finding.message}", highlight=False, markup=False)
    console.print(
        f"verify: {report.movements:,} movements in {report.chains} chains: "
        + ("[green]OK[/]" if report.ok else f"[red]{len(report.findings)} finding(s)[/]"),
        highlight=False,
    )
    if not report.ok:
        raise typer.Exit(1)
    _print_access(result, host, port, serve)
    if serve:
        serve_api(host, port)


def _print_access(result: demo_service.DemoResult, host: str, port: int, serve: bool) -> None:
    url = f"http://{host}:{port}"
    lines = [
        ("Database", state.settings.database_url),
        ("Web", f"{url}/  (sign in with the login below)"),
        ("API", f"{url}/api/v1"),
        ("Docs", f"{url}/docs"),
        ("Login", f"{result.username} / {result.password}  (POST /api/v1/auth/token)"),
        ("Also", f"{', '.join(result.other_users)}: same password"),
        ("API token", result.token),
        ("Counts", result.count_plan),
        ("Planning", result.planning_run),
        ("Value", result.valuation),
        (
            "Try",
            f'curl -H "Authorization: Bearer {result.token}" "{url}/api/v1/stock/locations?path=WH1"',
        ),
    ]
    console.print()
    for label, value in lines:
        console.print(f"  [bold]{label:<10}[/] {value}", highlight=False)
    if not serve:
        console.print(
            f"\nServe it with: onhand --database-url {state.settings.database_url} serve "
            f"--port {port}",
            highlight=False,
        )
    console.print()
