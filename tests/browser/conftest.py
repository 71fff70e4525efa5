"""Browser tests: Debian's chromium (/usr/bin/chromium, headless) driven by Playwright against a
real `onhand serve` process. The browser is installed by `python3 run.py test` (never downloaded
by Playwright); without it these tests skip with a reason, except in CI where they fail.

Every page a test opens fails the test on any console error or uncaught script error.
Screenshots go to artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, start_server

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "demo-password-1"


@dataclass(frozen=True)
class Site:
    """A served demo organisation: its address and the users to sign in as."""

    url: str
    admin: str
    clerk: str
    password: str
    database_url: str = ""  # the served database, for a test that leaves state a page shows


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (python3 run.py test installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A small demo organisation (its history, documents, counts and plans), served once."""
    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'demo.db'}"
    env = {k: v for k, v in os.environ.items() if k != "ONHAND_DATABASE_URL"}
    built = subprocess.run(
        [sys.executable, "-m", "onhand.cli", "--database-url", url, "demo", "--no-serve",
         "--items", "40", "--days", "90", "--slug", "demo"],
        env=env | {"COLUMNS": "120"}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    password = re.search(r"Login\s+demo / (\S+)", built.stdout)
    assert password, built.stdout
    server: Server = start_server(url)
    yield Site(server.url, "demo", "demo-clerk", password.group(1), url)
    server.stop()


@pytest.fixture
def console() -> list[str]:
    """The console errors and uncaught script errors of the test's page."""
    return []


@pytest.fixture
def page(browser: Any, console: list[str]) -> Iterator[Any]:
    """A fresh browser context and page at desktop width; console errors fail the test (but
    for refusals the test expects: ``expect_refused``)."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: console.append(str(e)))
    yield tab
    context.close()
    assert console == [], f"browser console errors: {console}"


def expect_refused(console: list[str], status: int) -> None:
    """The browser logs a page answered with an error status as a console error: take the one
    the test caused on purpose off the list (there must be one)."""
    mark = f"status of {status} "
    found = [m for m in console if mark in m]
    assert found, f"no response with status {status} was logged: {console}"
    console.remove(found[0])


def sign_in(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def screenshots(page: Any, name: str) -> None:
    """The page at phone and desktop width, full length, into artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def no_horizontal_scroll(page: Any) -> bool:
    """Whether the page fits the viewport's width (nothing wider than a phone's screen)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
