"""Webhooks: what a subscription's URL may be, how a delivery is signed, and when a failed one
is tried again.

A delivery is signed as ``Onhand-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret,
"<t>.<body>")>`` (a second ``v1`` while a rotated secret's previous one is still honoured), so
a receiver can check that onhand sent it, unchanged, recently.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from onhand.domain.errors import InvalidInput

MAX_URL = 2000
SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "Onhand-Signature"
# How old a signed timestamp a receiver should still accept (the docs' replay window).
TOLERANCE_SECONDS = 300

PENDING, DELIVERED, RETRYING, DEAD = "pending", "delivered", "retrying", "dead"
STATUSES = (PENDING, DELIVERED, RETRYING, DEAD)
# Waiting for an attempt: what the dispatcher claims.
DUE = (PENDING, RETRYING)
# The outbox cursor of the fan-out that turns events into deliveries.
FANOUT_CURSOR = "webhooks:fanout"


def _refuse(message: str, code: str = "invalid_webhook_url") -> InvalidInput:
    return InvalidInput(message, code=code)


def check_url(url: str) -> str:
    """The URL a subscription delivers to: absolute http or https with a host, no user name or
    password in it (they would travel in every delivery's logs), no fragment."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise _refuse(f"the URL must be 1-{MAX_URL} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise _refuse("the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        raise _refuse(f"{url[:80]!r} is not a URL (a port must be 1-65535)") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _refuse(f"the URL must start with https:// or http://, not {url[:80]!r}")
    if not parts.hostname:
        raise _refuse(f"the URL {url[:80]!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise _refuse(
            "the URL must not hold a user name or password: the signature proves the sender"
        )
    if parts.fragment:
        raise _refuse("the URL must not have a #fragment (it is never sent to the server)")
    if port == 0:
        raise _refuse("the URL's port must be 1-65535")
    return url


def check_description(text: str) -> str:
    """What a subscription is for: up to 200 printable characters (may be empty)."""
    text = text.strip()
    if len(text) > 200 or not text.isprintable():
        raise InvalidInput(
            "the description must be up to 200 printable characters",
            code="invalid_description",
        )
    return text


def host_of(url: str) -> str:
    """The host name of a checked URL (lower case, IPv6 without brackets)."""
    return (urlsplit(url).hostname or "").lower()


def is_private_address(address: str) -> bool:
    """Whether an IP address is not on the public internet: loopback, private networks,
    shared address space and link-local (cloud metadata services live there), multicast,
    reserved or unspecified; an IPv6 address around such an IPv4 one (mapped, 6to4) too."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _as_ipv4(host: str) -> str | None:
    """The address a resolver reads in the older IPv4 forms ("127.1", "2130706433",
    "0x7f.0.0.1", "0177.0.0.1"), which ``ipaddress`` refuses; None for anything else."""
    if not host or host.strip("0123456789abcdefx.") or host.startswith("."):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(host))  # parses, looks nothing up
    except OSError:
        return None


def is_private_host(host: str) -> bool:
    """Whether a host name is private without looking it up: localhost, or a private
    literal address in any form. (Names are checked again at each connection.)"""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    return is_private_address(_as_ipv4(host) or host)


def private_refusal(host: str) -> InvalidInput:
    """The refusal of a private host (what a delivery log says, and a 422 on creation)."""
    return _refuse(
        f"{host[:80]} is a private or local address: webhooks go to public addresses unless "
        "the server's operator allows private ones (ONHAND_WEBHOOK_ALLOW_PRIVATE=true)",
        code="webhook_url_not_allowed",
    )


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe text with a recognisable prefix."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under the secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    """The Onhand-Signature value: the timestamp and one v1 signature per valid secret."""
    parts = [f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets_)]
    return ",".join(parts)


def verify(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether a delivery's Onhand-Signature holds a v1 signature of ``body`` under ``secret``
    with a timestamp within ``tolerance`` seconds of ``now`` (what a receiver checks)."""
    timestamp: int | None = None
    given: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            given.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, g) for g in given)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a failed delivery is tried again: ``base`` seconds after the first failure,
    doubling up to ``cap``, each wait shortened by up to a quarter at random (so endpoints
    that failed together are not retried together); dead after ``max_attempts``.

    The defaults try 15 times over about a day: 30 s, 1, 2, 4, 8, 16, 32 min, 1 h 4, 2 h 8,
    then every 4 h."""

    base: float = 30.0
    cap: float = 4 * 3600.0
    max_attempts: int = 15

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        # The exponent is bounded: past the cap it changes nothing, and 2**1024 is no float.
        raw = min(self.base * 2 ** min(max(attempts - 1, 0), 64), self.cap)
        jitter = (rng or random).uniform(0.75, 1.0)
        return raw * jitter

    def is_dead(self, attempts: int) -> bool:
        """Whether a delivery that failed ``attempts`` times is given up on."""
        return attempts >= self.max_attempts
