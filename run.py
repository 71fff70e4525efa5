#!/usr/bin/env python3
"""Set up what onhand needs (a virtual environment with the locked dependencies), then run it.

    python3 run.py demo        # build a demo organisation with a year of history and serve it
    python3 run.py test        # run the whole test suite
    python3 run.py onhand ...  # any onhand command

Only Python 3.11+ is needed; everything else is installed into .venv on first use.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".onhand-installed"


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_env() -> None:
    """Create .venv and install the locked dependencies, only when they changed."""
    # run.py starts under whatever python3 the system has, before the venv exists.
    if sys.version_info < (3, 11):  # noqa: UP036
        sys.exit("onhand needs Python 3.11 or newer")
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    print("installing dependencies (requirements.lock) ...", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / "requirements.lock")], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(want)


CHROMIUM = Path("/usr/bin/chromium")


def ensure_browser() -> None:
    """The browser tests drive Debian's chromium: install it where this user may (root, or
    sudo without a password); elsewhere those tests skip and say why."""
    if CHROMIUM.exists() or not Path("/usr/bin/apt-get").exists():
        return
    sudo: list[str] = []
    if os.geteuid() != 0:
        probe = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
        if probe.returncode != 0:
            print("chromium is not installed and apt-get needs root: browser tests will skip")
            return
        sudo = ["sudo", "-n"]
    print("installing Debian's chromium for the browser tests (apt-get) ...", flush=True)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, check=False)
        subprocess.run(install, env=env, check=False)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "onhand"}:
        print(__doc__)
        return 2
    ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "test":
        ensure_browser()
        args = [str(PY), "-m", "pytest", *rest]
    elif command == "demo":
        args = [str(BIN / "onhand"), "demo", *rest]
    else:
        args = [str(BIN / "onhand"), *rest]
    os.chdir(ROOT)
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
