"""The real NATS JetStream server for the relay's tests: whether it is there, a stream of a
test's own (removed afterwards), reading what a stream holds, durable pull consumers, and a
gate that cuts the way to the broker to stage an outage."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nats
from nats.js.errors import NotFoundError

from onhand.services.nats_relay import RelayConfig
from tests.async_run import run_async

NATS_ENV = "ONHAND_TEST_NATS_URL"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


def nats_test_url() -> str:
    return os.environ.get(NATS_ENV, DEFAULT_NATS_URL)


def nats_unavailable(url: str) -> str | None:
    """Why the NATS server at ``url`` cannot serve the tests (down, or JetStream off), or None."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 4222
    try:
        with socket.create_connection((host, port), timeout=3) as s:
            s.settimeout(3)
            greeting = s.recv(4096).decode(errors="replace")
    except OSError as exc:
        return f"no NATS server at {host}:{port} ({exc})"
    if not greeting.startswith("INFO "):
        return f"{host}:{port} does not answer as a NATS server"
    info = json.loads(greeting[5:].strip())
    if not info.get("jetstream"):
        return f"the NATS server at {host}:{port} runs without JetStream (start it with -js)"
    return None


@dataclass(frozen=True)
class Message:
    """One message of a stream."""

    seq: int  # the stream's own position
    subject: str
    headers: dict[str, str]
    event: dict[str, Any]  # the envelope


@dataclass
class Stream:
    """A JetStream stream and subject prefix of one test's own."""

    url: str
    name: str
    subject: str

    @classmethod
    def new(cls, url: str) -> Stream:
        tag = uuid.uuid4().hex[:10]
        return cls(url=url, name=f"T_{tag.upper()}", subject=f"t{tag}.events")

    def config(self, url: str | None = None, **more: Any) -> RelayConfig:
        return RelayConfig(url=url or self.url, stream=self.name, subject=self.subject, **more)

    def env(self, url: str | None = None) -> dict[str, str]:
        """The settings that make a serving process relay to this stream."""
        return {
            "ONHAND_NATS_URL": url or self.url,
            "ONHAND_NATS_STREAM": self.name,
            "ONHAND_NATS_SUBJECT": self.subject,
        }

    def messages(self) -> list[Message]:
        """Every message the stream holds, in its order ([] while it does not exist)."""
        return run_async(self._messages())

    async def _messages(self) -> list[Message]:
        nc = await nats.connect(self.url)
        try:
            js = nc.jetstream()
            try:
                info = await js.stream_info(self.name)
            except NotFoundError:
                return []
            out: list[Message] = []
            if not info.state.messages:
                return out
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                m = await js.get_msg(self.name, seq)
                assert m.subject is not None
                assert m.data is not None
                out.append(Message(seq, m.subject, dict(m.headers or {}), json.loads(m.data)))
            return out
        finally:
            await nc.close()

    def consume(self, durable: str, subjects: str | None = None) -> list[Message]:
        """What a durable pull consumer (made on first use, filtered by ``subjects``) has not
        yet acknowledged: fetched until the broker says none is pending, each acknowledged."""
        return run_async(self._consume(durable, subjects or f"{self.subject}.>"))

    async def _consume(self, durable: str, subjects: str) -> list[Message]:
        nc = await nats.connect(self.url)
        try:
            js = nc.jetstream()
            sub = await js.pull_subscribe(subjects, durable=durable, stream=self.name)
            out: list[Message] = []
            deadline = time.monotonic() + 60
            while True:
                # The broker's count, not a quiet moment, says when everything was fetched.
                info = await sub.consumer_info()
                if not info.num_pending and not info.num_ack_pending:
                    return out
                if time.monotonic() > deadline:
                    raise AssertionError(f"consumer {durable} still has {info.num_pending} pending")
                try:
                    batch = await sub.fetch(100, timeout=5)
                except (TimeoutError, nats.errors.TimeoutError):
                    continue
                for m in batch:
                    event = json.loads(m.data)
                    out.append(
                        Message(m.metadata.sequence.stream, m.subject, dict(m.headers or {}), event)
                    )
                    await m.ack_sync()
        finally:
            await nc.close()

    def delete(self) -> None:
        async def drop() -> None:
            nc = await nats.connect(self.url)
            try:
                with contextlib.suppress(NotFoundError):
                    await nc.jetstream().delete_stream(self.name)
            finally:
                await nc.close()

        run_async(drop())


def wait_until(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` if it never does (a generous bound,
    for a loaded machine: this is no timing assertion)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


class Gate:
    """A local port that forwards to the broker while open and refuses connections while
    closed: a broker outage, with the real broker behind it."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 4222)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"nats://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._open = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._accepting: threading.Thread | None = None

    def open(self) -> None:
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", self.port))
        lsock.listen()
        lsock.settimeout(0.2)
        self._listener = lsock
        self._open.set()
        self._accepting = threading.Thread(target=self._accept, args=(lsock,), daemon=True)
        self._accepting.start()

    def close(self) -> None:
        """Refuse new connections and cut the open ones."""
        self._open.clear()
        if self._accepting is not None:
            self._accepting.join(5)
            self._accepting = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            cut, self._sockets = self._sockets, []
        for s in cut:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, lsock: socket.socket) -> None:
        while self._open.is_set():
            try:
                client, _ = lsock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
