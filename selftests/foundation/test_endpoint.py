"""One URL-to-port helper: the scheme's default port, and no second copy elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateproof.probes.endpoint import endpoint

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://gw.example.com", "gw.example.com:443"),
        ("https://gw.example.com/v1", "gw.example.com:443"),
        ("http://127.0.0.1", "127.0.0.1:80"),
        ("http://127.0.0.1:4000/health", "127.0.0.1:4000"),
        ("HTTPS://GW.example.com:8443", "gw.example.com:8443"),
        ("http://[::1]:9090", "[::1]:9090"),
        ("redis://cache", "cache:6379"),
    ],
)
def test_host_and_port(url: str, shown: str) -> None:
    assert str(endpoint(url)) == shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("127.0.0.1:4000", "names no host"),
        ("http://gw:99999", "out of range"),
        ("grpc://gw", "no default"),
    ],
)
def test_unusable_url_is_a_value_error(url: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        endpoint(url)


def test_no_other_copy_guesses_a_default_port() -> None:
    guess = re.compile(r"\.port\s+or\s+\(?\s*\d")
    copies = [
        f"{path.relative_to(REPO)}:{number}"
        for root in ("src", "tests")
        for path in sorted((REPO / root).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if guess.search(line)
    ]
    assert copies == [], "use gateproof.probes.endpoint.endpoint(url).port instead"
