"""`onhand kpis` and `onhand kpi-settings` from the command line: a real `onhand` process on an
SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.test_cli import ok, onhand


def test_kpis_and_carrying_cost_settings_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'kpi.db'}"]
    ok(onhand(*db, "init", "--slug", "kpi", "--password", "secret-pw1", cwd=tmp_path))
    (tmp_path / "l.csv").write_text("path,kind\nWH1,internal\nWH1/A,internal\n")
    (tmp_path / "i.csv").write_text("sku,name,unit_cost\nBOLT,Bolt,3\n")
    (tmp_path / "b.csv").write_text("sku,location,quantity\nBOLT,WH1/A,7\n")
    for kind in ("locations", "items", "balances"):
        ok(onhand(*db, "import", kind, f"{kind[0]}.csv", cwd=tmp_path))
    shown = ok(onhand(*db, "kpi-settings", cwd=tmp_path))
    assert "these are the defaults" in shown
    assert "24" in shown  # 10 + 5 + 2 + 1 + 1 + 5
    out = ok(onhand(*db, "kpi-settings", "--capital", "16", "--storage", "1", cwd=tmp_path))
    assert "16" in out
    assert "these are the defaults" not in out
    # 7 x 3 = 21 held today, over a one-day period: average 21.00; nothing sold.
    out = ok(
        onhand(
            *db,
            "kpis",
            "--by",
            "warehouse",
            "--start",
            datetime.now(UTC).date().isoformat(),
            cwd=tmp_path,
        )
    )
    assert "(1 days) by warehouse" in out
    assert "carrying cost 26 % a year" in out  # 16 + 1 + 2 + 1 + 1 + 5
    assert "WH1" in out
    assert "average inventory value" in out
    assert "21.00" in out
    bad = onhand(*db, "kpis", "--by", "planet", cwd=tmp_path)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert "by must be one of" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = onhand(*db, "kpi-settings", "--capital", "200", cwd=tmp_path)
    assert bad.returncode == 2
    assert "from 0 to 100" in bad.stderr
