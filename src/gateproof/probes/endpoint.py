"""Where a URL points: its host and port, the scheme's default port when none is written.

The one place that turns a URL into ``host:port``: ``https://gw.example`` is port 443, not
80. Probes, checks and config findings all ask here, so they name the same port.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "redis": 6379, "rediss": 6379}


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str  # without IPv6 brackets, lower case (as urllib gives it)
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def endpoint(url: str) -> Endpoint:
    """Host and port of ``url``; ValueError when it names no host, or no port can be told."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host (write scheme://host[:port])")
    port = parts.port  # raises ValueError for a port that is not a number in 0..65535
    if port is None:
        if scheme not in DEFAULT_PORTS:
            raise ValueError(f"{url!r} has no port and {scheme or 'no'} scheme has no default")
        port = DEFAULT_PORTS[scheme]
    return Endpoint(scheme, parts.hostname, port)
