"""Redis: a PING without credentials, PING and INFO with them, and cache key lookups.

(Named ``redis_probe`` so that it never shadows the ``redis`` package.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateproof.errors import ProbeError, UnreachableError
from gateproof.probes.http import NoAnswerError, known_dead, remember_dead

if TYPE_CHECKING:
    import redis

    from gateproof.settings import Settings

SETTING = "redis.host / redis.port"
WAIT_SETTING = "redis.timeout_s"


@dataclass(frozen=True)
class UnauthenticatedPing:
    """What Redis said to a PING from a client that sent no password."""

    target: str
    refused: bool
    reply: str

    def redis_cli(self) -> str:
        return redis_cli(self.target, "PING", password=False)


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


def redis_cli(target: str, command: str, *, password: bool = True) -> str:
    """The redis-cli line that repeats ``command``; the password is asked for, never shown."""
    host, _, port = target.rpartition(":")
    return f"redis-cli -h {host} -p {port}{' --askpass' if password else ''} {command}"


def _client(settings: Settings, password: str | None, **extra: Any) -> redis.Redis:
    """A client that never retries and waits at most its own timeout per operation."""
    import redis as redis_lib
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    assert settings.redis is not None
    # A Redis found unreachable this run is not tried again: one connect timeout per run.
    earlier = known_dead(f"redis://{_target(settings)}")
    if earlier is not None:
        raise earlier
    return redis_lib.Redis(
        host=settings.redis.host,
        port=settings.redis.port,
        db=settings.redis.db,
        password=password,
        socket_connect_timeout=settings.timeouts.connect_s,
        socket_timeout=settings.redis.timeout_s,
        retry=Retry(NoBackoff(), 0),
        **extra,
    )


def transport_error(
    exc: Exception,
    settings: Settings,
    doing: str,
    *,
    password: bool | None = None,
    command: str = "PING",
) -> ProbeError:
    """A connect failure (refused, or no handshake within timeouts.connect_s) or a hang (the
    connection is up, the answer never came within redis.timeout_s), each with its reproducer."""
    import redis as redis_lib

    assert settings.redis is not None
    target = _target(settings)
    if password is None:  # the reproducer asks for a password only where one is configured
        password = settings.redis.password is not None
    reproduce = redis_cli(target, command, password=password)
    text = str(exc)
    if isinstance(exc, redis_lib.TimeoutError) and "connecting" not in text.lower():
        wait = settings.redis.timeout_s
        return NoAnswerError(
            f"Redis at {target} accepted the connection but did not answer {doing} within "
            f"{wait:g} s (waited {wait:g} s): it is up but not answering (stopped, hung or "
            "overloaded)",
            target=target,
            setting=WAIT_SETTING,
            hint="look at the redis-server process on that host (state T = stopped, D = "
            f"blocked on disk) and its log. Reproduce with:\n    {reproduce}",
        )
    wait = settings.timeouts.connect_s
    return remember_dead(
        f"redis://{target}",
        UnreachableError(
            f"could not connect to Redis within {wait:g} s ({target}): {text}",
            target=target,
            setting=SETTING,
            hint=f"start redis-server, or fix the setting. Reproduce with:\n    {reproduce}",
        ),
    )


def connect(settings: Settings, password: str | None) -> redis.Redis:
    """An authenticated client that answered PING (the ``redis_client`` fixture's client)."""
    import redis as redis_lib

    assert settings.redis is not None
    client = _client(settings, password)
    target = _target(settings)
    try:
        client.ping()
    except redis_lib.AuthenticationError as exc:
        client.close()
        raise ProbeError(
            f"Redis refused the configured password: {exc}",
            target=target,
            setting=f"redis.password ({settings.redis.password})",
            hint="check the value behind that reference (environment or secrets_file). "
            f"Reproduce with:\n    {redis_cli(target, 'PING')}",  # a password is configured
        ) from None
    except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
        client.close()
        raise transport_error(exc, settings, "AUTH and PING") from None
    return client


def unauthenticated_ping(settings: Settings) -> UnauthenticatedPing:
    """PING over a fresh connection that sends no credentials."""
    import redis as redis_lib

    target = _target(settings)
    # RESP2: no HELLO, so the server answers the PING itself
    client = _client(settings, None, protocol=2)
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
        raise transport_error(exc, settings, "PING without a password", password=False) from None
    finally:
        client.close()


def status(client: redis.Redis, settings: Settings) -> RedisStatus:
    """PING and INFO stats over the authenticated client."""
    import redis as redis_lib

    target = _target(settings)
    try:
        pong = bool(client.ping())
        stats: dict[str, Any] = dict(client.info("stats"))
    except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
        raise transport_error(exc, settings, "PING and INFO stats", command="INFO stats") from None
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
    except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
        raise transport_error(exc, settings, "EXISTS", command=f"EXISTS {keys[0]}") from None
    except redis_lib.RedisError as exc:
        raise ProbeError(
            f"Redis EXISTS failed: {exc}", target=_target(settings), setting=SETTING
        ) from None
    return KeyLookup(keys[0], False, None)
