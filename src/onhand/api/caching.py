"""Answers are not kept by browsers or proxies: they carry stock, prices, tokens and webhook
secrets, and a warehouse terminal is shared (Back after signing out must not show them)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"  # versioned files, cacheable: their URLs change with each release


class NoStore:
    """Pure ASGI middleware: ``Cache-Control: no-store`` on every answer outside /static/ that
    does not say otherwise."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(STATIC_PREFIX):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
