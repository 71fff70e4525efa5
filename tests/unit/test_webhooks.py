"""Webhook rules: URLs, signatures (and a receiver's check of them), the retry schedule."""

from __future__ import annotations

import random
import time

import pytest

from onhand.domain.errors import InvalidInput
from onhand.domain.webhooks import (
    RetryPolicy,
    check_url,
    is_private_address,
    is_private_host,
    new_secret,
    signature_header,
    verify,
)
from tests.webhook_receiver import verify_signature

BODY = b'{"id":7,"type":"stock.moved"}'


def test_a_signature_verifies_with_its_secret_body_and_a_recent_timestamp() -> None:
    secret = new_secret()
    header = signature_header([secret], 1_000_000, BODY)
    assert header.startswith("t=1000000,v1=")
    assert verify(secret, header, BODY, now=1_000_000)
    assert verify(secret, header, BODY, now=1_000_299)
    assert not verify(secret, header, BODY, now=1_000_301)  # a replay after the window
    assert not verify(secret, header, BODY + b" ", now=1_000_000)
    assert not verify(new_secret(), header, BODY, now=1_000_000)
    assert not verify(secret, header.replace("t=1000000", "t=1000001"), BODY, now=1_000_000)
    assert not verify(secret, "v1=abc", BODY, now=1_000_000)


def test_after_a_rotation_either_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    header = signature_header([new, old], 50, BODY)
    assert header.count("v1=") == 2
    assert verify(new, header, BODY, now=50)
    assert verify(old, header, BODY, now=50)


def test_the_receivers_check_in_the_docs_agrees_with_the_signer() -> None:
    secret = new_secret()
    now = int(time.time())
    assert verify_signature(secret, signature_header([secret], now, BODY), BODY)
    assert not verify_signature(secret, signature_header([secret], now - 1000, BODY), BODY)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/onhand",
        "http://example.com:8080/x?token=abc",
        "https://[2001:db8::1]/x",
    ],
)
def test_good_urls_pass(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/x",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "https://",
        "https://a b.com/",
        "https://u:p@example.com/",
        "https://example.com/#x",
        "https://example.com:0/",
        "https://example.com:70000/",
        "https://example.com/" + "a" * 2000,
    ],
)
def test_bad_urls_are_refused_with_a_sentence(url: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_url(url)
    assert info.value.code == "invalid_webhook_url"
    assert len(info.value.message) > 15


def test_private_addresses_are_recognised() -> None:
    for host in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "169.254.169.254", "::1", "fd00::1",
                 "::ffff:127.0.0.1", "0.0.0.0", "localhost", "api.localhost"):  # fmt: skip
        assert is_private_host(host), host
    for host in ("93.184.216.34", "2606:4700::1111", "example.com", "cafe", "0xcafe.example"):
        assert not is_private_host(host), host
    assert not is_private_address("not-an-address")


@pytest.mark.parametrize(
    "host",
    [
        "100.100.100.200",  # shared address space (RFC 6598): a cloud's metadata service
        "100.64.0.1",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 around 169.254.169.254
        "127.1",  # what a resolver reads as 127.0.0.1
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "0xa9.0xfe.0xa9.0xfe",
    ],
)
def test_addresses_hidden_in_other_forms_are_private_too(host: str) -> None:
    assert is_private_host(host)


def test_the_default_schedule_tries_fifteen_times_over_about_a_day() -> None:
    policy = RetryPolicy()
    rng = random.Random(1)
    waits = [policy.delay(n, rng) for n in range(1, policy.max_attempts)]
    assert 0.75 * 30 <= waits[0] <= 30
    assert all(w <= policy.cap for w in waits)
    assert 16 * 3600 <= sum(waits) <= 26 * 3600
    assert not policy.is_dead(14)
    assert policy.is_dead(15)
    assert policy.delay(200) <= policy.cap  # a dead delivery retried by hand many times
    assert RetryPolicy(max_attempts=5000).delay(2000) <= policy.cap  # no float overflow
