"""A real webhook receiver for tests: a threaded HTTP server on 127.0.0.1 that checks each
delivery's signature the way docs/webhooks.md tells receivers to (with its own code, not
onhand's), drops repeated event ids, and behaves by path:

- ``/ok/<name>``: answers 204.
- ``/fail-first/<name>``: handles an event the first time it arrives, then answers 500 as if
  it had crashed before answering; answers 204 to the retry (which it recognises by event id).
- ``/fail/<name>``: always 500.
- ``/hang/<name>``: holds every request until ``release()``.

What arrived is kept per path: every request (``arrivals``) and the effect of each event, once
(``handled``: event id -> envelope).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300  # seconds: an older signature is refused (a replayed request)


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = TOLERANCE) -> bool:
    """The receiver's check, as docs/webhooks.md writes it."""
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or abs(time.time() - timestamp) > tolerance:
        return False
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


@dataclass
class Arrival:
    """One request as it arrived, and what the receiver answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    answered: int | None = None

    @property
    def event_id(self) -> int:
        return int(self.headers["onhand-event-id"])

    @property
    def envelope(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """The server and what it saw; ``secrets[path]`` are the secrets it accepts there."""

    server: ThreadingHTTPServer
    secrets: dict[str, list[str]] = field(default_factory=dict)
    arrivals: dict[str, list[Arrival]] = field(default_factory=dict)
    handled: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    hanging: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"  # where it listens

    def accept(self, path: str, secret: str) -> None:
        """Accept deliveries signed with ``secret`` at ``path`` (besides earlier secrets)."""
        with self.lock:
            self.secrets.setdefault(path, []).append(secret)

    def of(self, path: str) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals.get(path, []))

    def effects(self, path: str) -> dict[int, dict[str, Any]]:
        with self.lock:
            return dict(self.handled.get(path, {}))

    def release(self) -> None:
        """Let hanging requests finish (and every later one pass straight through)."""
        self._release.set()

    def wait_for(self, check: Callable[[], bool], *, seconds: float = 60, what: str = "") -> None:
        """Wait until ``check()`` holds (a bound against hanging, not a timing claim)."""
        deadline = time.monotonic() + seconds
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {seconds} s: {what}")
            time.sleep(0.05)

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            accepted = list(self.secrets.get(path, []))
        ok = any(verify_signature(s, headers.get("onhand-signature", ""), body) for s in accepted)
        arrival = Arrival(path, headers, body, ok)
        with self.lock:
            self.arrivals.setdefault(path, []).append(arrival)
        if not ok:
            arrival.answered = 401
            return 401
        mode = path.strip("/").split("/", 1)[0]
        if mode == "hang" and not self._release.is_set():
            with self.lock:
                self.hanging += 1
            self._release.wait()
            with self.lock:
                self.hanging -= 1
        with self.lock:
            seen = self.handled.setdefault(path, {})
            first = arrival.event_id not in seen
            if first:  # the effect, once per event id however often it arrives
                seen[arrival.event_id] = arrival.envelope
        status = 500 if mode == "fail" or (mode == "fail-first" and first) else 204
        arrival.answered = status
        return status


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a held request: nothing to report


def start_receiver() -> Receiver:
    """A receiver on a free port of 127.0.0.1, serving in daemon threads."""
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = holder[0]._handle(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    holder.append(receiver)
    threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True).start()
    return receiver
