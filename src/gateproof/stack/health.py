"""Readiness checks, one per kind of component. Each returns ``(ready, detail)`` and never
raises for a component that is merely not up yet; every call has a short timeout."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

Check = Callable[[], tuple[bool, str]]
TIMEOUT = httpx.Timeout(2.0, connect=0.5)
NEVER_SCRAPED = "0001-01-01"


def http_ok(url: str, headers: dict[str, str] | None = None, contains: str = "") -> Check:
    def check() -> tuple[bool, str]:
        try:
            response = httpx.get(url, headers=headers, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            return False, f"{url}: {type(exc).__name__}"
        if response.status_code != 200:
            return False, f"{url}: status {response.status_code}"
        if contains and contains not in response.text:
            return False, f"{url}: no {contains!r} in the answer"
        return True, f"{url}: 200"

    return check


def redis_ping(port: int, password: str) -> Check:
    def check() -> tuple[bool, str]:
        client = redis.Redis(
            host="127.0.0.1",
            port=port,
            password=password,
            socket_timeout=1.0,
            socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 0),  # redis-py 8 retries with backoff by default: ~4 s
        )
        try:
            return bool(client.ping()), f"redis 127.0.0.1:{port}: PONG"
        except redis.RedisError as exc:
            return False, f"redis 127.0.0.1:{port}: {type(exc).__name__}"
        finally:
            client.close()

    return check


def prometheus_targets(url: str, jobs: tuple[str, ...]) -> Check:
    """Ready when every expected job has an active target that was scraped and is up
    (``/-/ready`` answers long before the first scrape)."""

    def check() -> tuple[bool, str]:
        try:
            response = httpx.get(f"{url}/api/v1/targets", timeout=TIMEOUT)
            active = response.json()["data"]["activeTargets"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            return False, f"{url}/api/v1/targets: {type(exc).__name__}"
        state = {t["labels"].get("job"): t for t in active}
        waiting = []
        for job in jobs:
            target = state.get(job)
            if target is None:
                waiting.append(f"{job}: not discovered yet")
            elif str(target.get("lastScrape", NEVER_SCRAPED)).startswith(NEVER_SCRAPED):
                waiting.append(f"{job}: not scraped yet")
            elif target.get("health") != "up":
                waiting.append(f"{job}: {target.get('health')} {target.get('lastError', '')}")
        return not waiting, "; ".join(waiting) or f"all {len(jobs)} targets up"

    return check


def tcp_open(port: int, host: str = "127.0.0.1") -> Check:
    def check() -> tuple[bool, str]:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True, f"{host}:{port} accepts connections"
        except OSError as exc:
            return False, f"{host}:{port}: {exc.strerror or type(exc).__name__}"

    return check


def all_of(*checks: Check) -> Check:
    def check() -> tuple[bool, str]:
        details = []
        for one in checks:
            ready, detail = one()
            if not ready:
                return False, detail
            details.append(detail)
        return True, "; ".join(details)

    return check
