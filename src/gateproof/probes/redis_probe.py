"""Redis: a PING without credentials, PING and INFO with them, and cache key lookups.

(Named ``redis_probe`` so that it never shadows the ``redis`` package.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateproof.errors import ProbeError, UnreachableError

if TYPE_CHECKING:
    import redis

    from gateproof.settings import Settings

SETTING = "redis.host / redis.port"


@dataclass(frozen=True)
class UnauthenticatedPing:
    """What Redis said to a PING from a client that sent no password."""

    target: str
    refused: bool
    reply: str

    def redis_cli(self) -> str:
        host, _, port = self.target.rpartition(":")
        return f"redis-cli -h {host} -p {port} PING"


@dataclass(frozen=True)
class RedisStatus:
    target: str
    ping: bool
    stats: dict[str, Any]


@dataclass(frozen=True)
class KeyLookup:
    key: str
    exists: bool
    ttl_s: int | None


def _target(settings: Settings) -> str:
    assert settings.redis is not None
    return f"{settings.redis.host}:{settings.redis.port}"


def unauthenticated_ping(settings: Settings) -> UnauthenticatedPing:
    """PING over a fresh connection that sends no credentials."""
    import redis as redis_lib
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    assert settings.redis is not None
    target = _target(settings)
    client = redis_lib.Redis(
        host=settings.redis.host,
        port=settings.redis.port,
        socket_connect_timeout=settings.timeouts.connect_s,
        socket_timeout=settings.timeouts.read_s,
        retry=Retry(NoBackoff(), 0),
        protocol=2,  # RESP2: no HELLO, so the server answers the PING itself
    )
    try:
        reply = client.ping()
        return UnauthenticatedPing(target, refused=False, reply="PONG" if reply else repr(reply))
    except redis_lib.AuthenticationError as exc:
        return UnauthenticatedPing(target, refused=True, reply=f"NOAUTH {exc}")
    except redis_lib.ResponseError as exc:
        if "NOAUTH" in str(exc) or "auth" in str(exc).lower():
            return UnauthenticatedPing(target, refused=True, reply=str(exc))
        raise ProbeError(f"Redis answered PING with an error: {exc}", target=target) from None
    except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
        raise UnreachableError(
            f"could not connect to Redis: {exc}",
            target=target,
            setting=SETTING,
            hint="start redis-server, or fix the setting",
        ) from None
    finally:
        client.close()


def status(client: redis.Redis, settings: Settings) -> RedisStatus:
    """PING and INFO stats over the authenticated client."""
    import redis as redis_lib

    target = _target(settings)
    try:
        pong = bool(client.ping())
        stats: dict[str, Any] = dict(client.info("stats"))
    except redis_lib.RedisError as exc:
        raise ProbeError(f"Redis PING/INFO failed: {exc}", target=target, setting=SETTING) from None
    return RedisStatus(target, pong, stats)


def lookup(client: redis.Redis, settings: Settings, keys: list[str]) -> KeyLookup:
    """The first of ``keys`` that exists (with its TTL), else a miss on the first."""
    import redis as redis_lib

    try:
        for key in keys:
            if client.exists(key):
                ttl = client.ttl(key)
                return KeyLookup(key, True, int(ttl) if isinstance(ttl, int) else None)
    except redis_lib.RedisError as exc:
        raise ProbeError(
            f"Redis EXISTS failed: {exc}", target=_target(settings), setting=SETTING
        ) from None
    return KeyLookup(keys[0], False, None)
