"""`onhand webhooks` as a user runs it: a real process on an SQLite file, a real receiver in
this test process; `onhand webhooks deliver --once` sends what is due, signed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import ok
from tests.integration.test_csv_import import BALANCES_CSV, ITEMS_CSV, LOCATIONS_CSV
from tests.webhook_receiver import Receiver, start_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.close()


def onhand(*args: str, cwd: Path, private: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONHAND_")}
    if private:
        env["ONHAND_WEBHOOK_ALLOW_PRIVATE"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "onhand.cli", *args],
        cwd=cwd,
        env=env | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_webhooks_from_the_command_line(tmp_path: Path, receiver: Receiver) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'hooks.db'}"]
    ok(onhand(*db, "init", "--slug", "hooks", "--password", "secret-pw1", cwd=tmp_path))
    for kind, text in (("locations", LOCATIONS_CSV), ("items", ITEMS_CSV)):
        (tmp_path / f"{kind}.csv").write_text(text)
        ok(onhand(*db, "import", kind, f"{kind}.csv", cwd=tmp_path))

    path = "/ok/cli"
    out = ok(onhand(*db, "webhooks", "add", receiver.url(path), "--type", "stock.*", cwd=tmp_path))
    assert "webhook 1  active" in out
    secret = re.search(r"signing secret \(shown once.*\): (whsec_\S+)", out)
    assert secret, out
    receiver.accept(path, secret.group(1))
    assert "events: stock.*" in ok(onhand(*db, "webhooks", "list", cwd=tmp_path))

    (tmp_path / "balances.csv").write_text(BALANCES_CSV)
    ok(onhand(*db, "import", "balances", "balances.csv", cwd=tmp_path))
    out = ok(onhand(*db, "webhooks", "deliver", "--once", cwd=tmp_path))
    assert "1 attempts made" in out
    [arrival] = receiver.of(path)
    assert arrival.signature_ok
    assert arrival.envelope["type"] == "stock.moved"
    log = ok(onhand(*db, "webhooks", "deliveries", "1", cwd=tmp_path))
    assert "delivered" in log
    assert "stock.moved" in log
    assert "next (UTC)" in log  # the times are UTC, whatever the terminal's zone

    ok(onhand(*db, "webhooks", "update", "1", "--pause", cwd=tmp_path))
    assert "paused" in ok(onhand(*db, "webhooks", "list", cwd=tmp_path))
    rotated = ok(onhand(*db, "webhooks", "rotate-secret", "1", "--keep-hours", "0", cwd=tmp_path))
    assert "whsec_" in rotated
    assert secret.group(1) not in rotated

    # Refusals: an exit code and a sentence, nothing made.
    bad = onhand(*db, "webhooks", "add", "ftp://example.com/x", cwd=tmp_path)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert "https://" in bad.stderr
    bad = onhand(*db, "webhooks", "add", receiver.url("/ok/x"), cwd=tmp_path, private=False)
    assert bad.returncode == 2
    assert "ONHAND_WEBHOOK_ALLOW_PRIVATE" in bad.stderr
    bad = onhand(*db, "webhooks", "add", "https://example.com/x", "--type", "nope", cwd=tmp_path)
    assert bad.returncode == 2
    assert "no event type" in bad.stderr
    bad = onhand(*db, "webhooks", "remove", "7", cwd=tmp_path)
    assert bad.returncode == 3
    assert "webhook 7 not found" in bad.stderr
    assert "Traceback" not in bad.stderr
    for args in (("remove", "99999999999999999999"), ("retry", "1", "99999999999999999999")):
        bad = onhand(*db, "webhooks", *args, cwd=tmp_path)
        assert bad.returncode == 2, bad.stderr
        assert "less than or equal to" in bad.stderr
        assert "Traceback" not in bad.stderr
    assert ok(onhand(*db, "webhooks", "list", cwd=tmp_path)).count("webhook ") == 1
    ok(onhand(*db, "webhooks", "remove", "1", cwd=tmp_path))
    assert "no webhooks" in ok(onhand(*db, "webhooks", "list", cwd=tmp_path))
