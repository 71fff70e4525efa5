"""`onhand simulate` through Typer's CliRunner, on a real SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onhand.cli import app
from onhand.cli_simulation import parse_policy

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    args = ["--database-url", f"sqlite:///{tmp_path / 'sim.db'}"]
    assert (
        runner.invoke(app, [*args, "init", "--slug", "sim", "--password", "secret-pw1"]).exit_code
        == 0
    )
    (tmp_path / "l.csv").write_text("path,kind\nWH1,internal\nWH1/A,internal\n")
    (tmp_path / "i.csv").write_text("sku,name,unit_cost\nBOLT,Bolt,2.00\n")
    (tmp_path / "b.csv").write_text("sku,location,quantity\nBOLT,WH1/A,50\n")
    for kind in ("locations", "items", "balances"):
        got = runner.invoke(app, [*args, "import", kind, str(tmp_path / f"{kind[0]}.csv")])
        assert got.exit_code == 0, got.output
    return args


def test_generated_demand_compared_in_a_table(db: list[str]) -> None:
    got = runner.invoke(
        app,
        [
            *db,
            "simulate",
            "BOLT",
            "--generate",
            "normal",
            "--mean",
            "10",
            "--sd",
            "3",
            "--days",
            "5000",
            "--lead-time",
            "3",
            "--order-cost",
            "25",
            "-p",
            "s_q:fill=0.95,name=sq95",
            "-p",
            "r_s:r=7,cycle=0.9",
            "-p",
            "jit",
        ],
    )
    assert got.exit_code == 0, got.output
    assert "BOLT generated: 5000 days" in got.output
    assert "supplier" not in got.output
    assert "sq95" in got.output
    assert "r_s #2" in got.output
    assert "0.0 %" in got.output  # JIT serves nothing from stock


def test_history_at_a_location(db: list[str]) -> None:
    for _ in range(3):
        assert (
            runner.invoke(
                app, [*db, "scrap", "BOLT", "WH1/A", "4", "--reason", "damaged"]
            ).exit_code
            == 0
        )
    today = datetime.now(UTC).date().isoformat()
    got = runner.invoke(
        app,
        [
            *db,
            "simulate",
            "BOLT",
            "WH1",
            "--start",
            today,
            "--lead-time",
            "1",
            "-p",
            "min_max:s=5,S=20",
        ],
    )
    assert got.exit_code == 0, got.output
    # One day, 12 scrapped: (s = 5, S = 20) starts at 20, serves all 12, then orders 12.
    assert f"BOLT at WH1, {today} to {today}: 1 day, mean 12.00 a day" in got.output
    assert "100.0 %" in got.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "BOLT", "WH1", "--lead-time", "1"], "at least one --policy"),
        (["simulate", "BOLT", "WH1", "-p", "r_s:S=9"], "no preferred supplier"),
        (["simulate", "BOLT", "WH1", "--lead-time", "1", "-p", "r_s"], "give order_up_to"),
        (["simulate", "BOLT", "WH1", "--lead-time", "1", "-p", "s_q:x=1"], "unknown key"),
        (["simulate", "BOLT", "WH1", "--lead-time", "1", "-p", "s_q:s=a"], "not a number"),
        (["simulate", "BOLT", "--lead-time", "1", "-p", "jit"], "give a location"),
        (["simulate", "NOPE", "WH1", "--lead-time", "1", "-p", "jit"], "not found"),
        (
            ["simulate", "BOLT", "--generate", "poisson", "--lead-time", "1", "-p", "jit"],
            "normal or intermittent",
        ),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(
    db: list[str], args: list[str], message: str
) -> None:
    got = runner.invoke(app, [*db, *args])
    assert got.exit_code in (2, 3), got.output
    assert message in got.output
    assert got.exception is None or isinstance(got.exception, SystemExit)


def test_policy_syntax() -> None:
    spec = parse_policy("r_s:r=7,fill=0.98,name=weekly")
    assert (spec.kind, spec.review_period, spec.service_type, spec.service_level, spec.name) == (
        "r_s",
        7,
        "fill_rate",
        0.98,
        "weekly",
    )
    fixed = parse_policy("min_max:s=5,S=20")
    assert (fixed.reorder_point, fixed.order_up_to, fixed.service_level) == (5.0, 20.0, None)
