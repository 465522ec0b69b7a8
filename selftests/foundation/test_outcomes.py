"""Outcome rules: absent component -> N/A; configured but dead -> fails fast, naming URL."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

import pytest

USES_GATEWAY = """
import pytest

@pytest.mark.smoke
@pytest.mark.checklist("SMK-01")
def test_liveliness(gateway_client):
    response = gateway_client.get("/health/liveliness")
    assert response.status_code == 200

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-03")
def test_redis(redis_client):
    assert redis_client.ping()
"""


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_absent_components_are_not_applicable(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_live": USES_GATEWAY})
    result = pytester.runpytest("tests", "-rs", "--gateproof-record", "rec")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            # the other predeploy and smoke items have no test here: not run, not green
            "*VERDICT: INCOMPLETE (*",
            "*N/A: the gateway is not part of this deployment (gateway.url is not set)*",
            "*N/A: Redis is not part of this deployment (redis.host is not set)*",
        ]
    )
    record = (pytester.path / "rec" / "record.json").read_text()
    assert '"outcome": "not_applicable"' in record


def test_configured_but_unreachable_fails_within_the_timeout(
    pytester: pytest.Pytester, settings_file: Callable[[str], None]
) -> None:
    gateway_port, redis_port = closed_port(), closed_port()
    settings_file(
        f"gateway: {{url: 'http://127.0.0.1:{gateway_port}'}}\n"
        f"redis: {{host: 127.0.0.1, port: {redis_port}}}\n"
        "timeouts: {connect_s: 1}\n"
    )
    pytester.makepyfile(**{"tests/test_live": USES_GATEWAY})
    started = time.monotonic()
    result = pytester.runpytest("tests")
    elapsed = time.monotonic() - started
    result.assert_outcomes(failed=1, errors=1)
    for expected in (
        [
            f"SMK-01 could not check: could not connect to http://127.0.0.1:{gateway_port}"
            " within 1 s*",
            "*setting  gateway.url*",
        ],
        [
            "PRE-INF-03 could not check: could not connect to Redis within 1 s*",
            "*setting  redis.host / redis.port*",
            f"*redis-cli -h 127.0.0.1 -p {redis_port} PING*",
        ],
        ["*VERDICT: RED*"],
    ):
        result.stdout.fnmatch_lines(expected)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert elapsed < 10, f"a dead component must cost one connect timeout, took {elapsed:.1f} s"


def test_probe_error_is_recorded_as_error_not_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        **{
            "tests/test_probe": """
import pytest
from gateproof.errors import ProbeError

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-01")
def test_cannot_check():
    raise ProbeError("answer was not JSON", target="http://127.0.0.1:1/api/tags")

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-02")
def test_wrong():
    assert 404 == 200, "status 404, expected 200"
"""
        }
    )
    pytester.runpytest("tests", "--gateproof-record", "rec")
    items = json.loads((pytester.path / "rec" / "record.json").read_text())["items"]
    assert items["PRE-INF-01"]["outcome"] == "error"
    assert "answer was not JSON" in items["PRE-INF-01"]["tests"][0]["message"]
    assert items["PRE-INF-02"]["outcome"] == "failed"


ASKS_TWICE = """
import pytest
from gateproof.probes.prometheus import PrometheusProbe
from gateproof.probes import hosts
from gateproof.probes.redis_probe import unauthenticated_ping

def _prometheus(settings):
    return PrometheusProbe.connect(settings.prometheus.url, connect_s=1, read_s=1)

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-04")
@pytest.mark.parametrize("attempt", [1, 2])
def test_redis_twice(gateproof_settings, attempt):
    unauthenticated_ping(gateproof_settings)

@pytest.mark.monitoring
@pytest.mark.checklist("MON-02")
@pytest.mark.parametrize("attempt", [1, 2])
def test_prometheus_twice(gateproof_settings, attempt):
    _prometheus(gateproof_settings).query("up")

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-05")
def test_local_reach_knows_the_dead_redis(gateproof_settings):
    redis = gateproof_settings.redis
    reach = hosts.tcp_reach(
        hosts.get_host("local://"), redis.host, redis.port, 1,
        known_as=f"redis://{redis.host}:{redis.port}",
    )
    assert not reach.reachable
    assert reach.detail.startswith("not tried again"), reach.detail
"""


def test_a_dead_redis_or_prometheus_is_tried_once_per_run(
    pytester: pytest.Pytester, settings_file: Callable[[str], None]
) -> None:
    # Their client libraries (redis-py, requests) bypass the httpx helper: they share its
    # memory of dead targets, so the second check fails at once instead of waiting again.
    redis_port, prometheus_port = closed_port(), closed_port()
    settings_file(
        f"redis: {{host: 127.0.0.1, port: {redis_port}}}\n"
        f"prometheus: {{url: 'http://127.0.0.1:{prometheus_port}'}}\n"
        "timeouts: {connect_s: 1}\n"
    )
    pytester.makepyfile(**{"tests/test_twice": ASKS_TWICE})
    result = pytester.runpytest("tests", "-p", "no:randomly")
    result.assert_outcomes(failed=4, passed=1)
    result.stdout.fnmatch_lines(
        [
            "PRE-SEC-04 could not check: could not connect to Redis within 1 s*",
            "PRE-SEC-04 could not check: not tried again: an earlier request this run failed*",
            f"MON-02 could not check: could not connect to Prometheus at "
            f"http://127.0.0.1:{prometheus_port}*",
            "MON-02 could not check: not tried again: an earlier request this run failed*",
        ]
    )
