"""Run a coroutine to completion from a test, whatever else the test process is doing.

The browser tests keep one Playwright session open for the whole run, and Playwright's sync
API leaves its event loop marked as running on the main thread; ``asyncio.run`` there then
refuses to start. A short-lived thread of its own has no running loop, so this always works.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on a thread of its own; returns its result or raises its error."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed back to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="test-asyncio-run")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
