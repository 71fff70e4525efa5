"""Typed errors raised by the domain and services.

Each error carries a stable machine-readable ``code`` and a sentence a person understands.
``kind`` groups errors for the entrypoints (HTTP status, CLI exit code) without the domain
knowing about HTTP.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar


class OnhandError(Exception):
    """Base of every expected error; anything else reaching an entrypoint is a bug."""

    kind: ClassVar[str] = "invalid"
    code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra


class InvalidInput(OnhandError):
    """The request is well-formed but breaks a rule (422)."""

    kind = "invalid"
    code = "invalid_input"


class MalformedInput(OnhandError):
    """The request cannot be read at all (400)."""

    kind = "malformed"
    code = "malformed_request"


class NotFound(OnhandError):
    kind = "not_found"
    code = "not_found"


class Conflict(OnhandError):
    """The request is valid but the current state refuses it (409)."""

    kind = "conflict"
    code = "conflict"


class Unauthenticated(OnhandError):
    kind = "unauthenticated"
    code = "unauthenticated"


class Forbidden(OnhandError):
    kind = "forbidden"
    code = "forbidden"


class Gone(OnhandError):
    """What was asked for existed once and was removed for good (410)."""

    kind = "gone"
    code = "gone"


class Unavailable(OnhandError):
    """A passing condition (a busy or unreachable database): retrying later may succeed (503)."""

    kind = "unavailable"
    code = "unavailable"


class TooLarge(OnhandError):
    kind = "too_large"
    code = "payload_too_large"


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(
        self,
        *,
        sku: str,
        location: str,
        requested: Decimal,
        available: Decimal,
        lot: str | None = None,
        serial: str | None = None,
    ) -> None:
        what = f"{sku}"
        if lot:
            what += f" lot {lot!r}"
        if serial:
            what += f" serial {serial!r}"
        super().__init__(
            f"only {available} of {what} available at {location}, {requested} requested",
            sku=sku,
            location=location,
            requested=str(requested),
            available=str(available),
            lot=lot,
            serial=serial,
        )


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different posting",
            idempotency_key=key,
        )
