"""Settings from the environment: a wrong ONHAND_ variable is named in a sentence (never its
value, which may be a password), and the command line says it without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from onhand.config import SettingsError, load_settings


def test_a_wrong_variable_is_named_and_its_value_is_not_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONHAND_DB_POOL_SIZE", "s3cret-looking")
    monkeypatch.setenv("ONHAND_SENSOR_RAW_DAYS", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    said = str(caught.value)
    assert "ONHAND_DB_POOL_SIZE: Input should be a valid integer" in said
    assert "ONHAND_SENSOR_RAW_DAYS: Input should be greater than or equal to 1" in said
    assert "s3cret" not in said


@pytest.mark.parametrize(
    ("raw", "rollup", "fine"), [(30, 10, False), (30, 30, True), (30, 0, True)]
)
def test_roll_ups_are_kept_at_least_as_long_as_the_raw_readings(
    monkeypatch: pytest.MonkeyPatch, raw: int, rollup: int, fine: bool
) -> None:
    monkeypatch.setenv("ONHAND_SENSOR_RAW_DAYS", str(raw))
    monkeypatch.setenv("ONHAND_SENSOR_ROLLUP_DAYS", str(rollup))
    if fine:
        assert load_settings().sensor_rollup_days == rollup
        return
    with pytest.raises(SettingsError, match=r"ONHAND_SENSOR_ROLLUP_DAYS \(10\) must be 0"):
        load_settings()


def test_the_command_line_refuses_a_wrong_setting_with_a_sentence(tmp_path: Path) -> None:
    env = os.environ | {"ONHAND_SENSOR_ROLLUP_DAYS": "10"}
    got = subprocess.run(
        [sys.executable, "-m", "onhand.cli", "--database-url", f"sqlite:///{tmp_path}/x.db", "verify"],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert got.returncode == 2
    assert "error: a setting is wrong: ONHAND_SENSOR_ROLLUP_DAYS (10) must be 0" in got.stderr
    assert "Traceback" not in got.stderr
    assert not (tmp_path / "x.db").exists()  # nothing was made
