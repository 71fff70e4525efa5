"""The architecture is a test: imports point downwards only, the domain imports no framework,
the command line loads no web framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = (ROOT / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert contracts >= 4
    assert f"{contracts} kept, 0 broken" in result.stdout


def test_the_command_line_starts_without_its_heavy_libraries() -> None:
    """Every command (and every server worker, which imports the CLI first) pays for what
    `onhand.cli` imports: the web framework, label drawing, statistics and the broker clients
    load only in the commands that use them."""
    heavy = ["fastapi", "fpdf", "scipy", "nats", "httpx", "paho", "segno", "matplotlib"]
    code = f"import sys, onhand.cli; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
