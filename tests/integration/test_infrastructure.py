"""PRE-INF-01..05: providers healthy, gateway up with exactly the configured models, Redis up,
resources of the gateway host below limits, and TCP reach from it to every component.

The gateway's ``/health`` runs a real (billed) completion per deployment, so it is called
only when the settings say ``gateway.billed_health: true``.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.probes import hosts, redis_probe
from gateproof.probes.endpoint import endpoint
from gateproof.probes.gateway import GatewayProbe
from gateproof.probes.providers import ProviderProbe
from gateproof.settings import Settings

JSON_HEALTH_PATHS = ("/api/tags", "/v1/models")


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-01")
def test_provider_health_endpoint(
    request: pytest.FixtureRequest, provider: Any, gateproof_settings: Settings, check: Check
) -> None:
    probe = ProviderProbe(
        str(request.node.callspec.params["provider"]), provider, gateproof_settings
    )
    exchange = probe.health()
    check.status(
        exchange,
        f"provider '{probe.name}' is not healthy: {probe.health_path} answered {exchange.status}",
        target=f"provider '{probe.name}' {exchange.url} (from {probe.setting})",
    )
    if probe.health_path in JSON_HEALTH_PATHS:
        exchange.json()  # a model list that is not JSON: the provider is not healthy


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-02")
def test_gateway_health_and_model_list(
    gateway_authed: GatewayProbe, sources: Any, gateproof_settings: Settings, check: Check
) -> None:
    gateway = gateway_authed
    check.gateway_health(gateway)
    check.exact_models(gateway, sources.routable_models())
    assert gateproof_settings.gateway is not None
    if not gateproof_settings.gateway.billed_health:
        check.evidence.add("note", "/health not called: it is billed (gateway.billed_health)")
        return
    health = check.see(gateway.billed_health())
    body = health.json()
    unhealthy = body.get("unhealthy_endpoints") if isinstance(body, dict) else None
    if health.status != 200 or unhealthy:
        names = [str(e.get("model")) for e in unhealthy or [] if isinstance(e, dict)]
        check.fail(
            "the gateway's /health reports unhealthy deployments",
            target=f"{health.url} (from gateway.url; gateway.billed_health is true)",
            expected="200 and no unhealthy_endpoints",
            actual=f"status {health.status}; unhealthy {names}",
            exchange=health,
        )


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-03")
def test_redis_ping_and_info(redis_client: Any, gateproof_settings: Settings, check: Check) -> None:
    state = redis_probe.status(redis_client, gateproof_settings)
    check.evidence.add("redis", f"PING {state.ping}; INFO stats keys {len(state.stats)}")
    if not state.ping or "keyspace_hits" not in state.stats:
        check.fail(
            "Redis did not answer an authenticated PING and INFO",
            target=f"redis://{state.target} (from redis.host / redis.port)",
            expected="PONG and INFO stats with keyspace_hits",
            actual=f"PING {'PONG' if state.ping else 'no PONG'}; "
            f"INFO stats keys {sorted(state.stats)[:8]}",
            reproduce=f"redis-cli -h {state.target.rpartition(':')[0]} "
            f"-p {state.target.rpartition(':')[2]} --askpass INFO stats",
        )


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-04")
def test_host_resources_below_limits(
    gateway_host: Any, gateproof_settings: Settings, check: Check
) -> None:
    limits = gateproof_settings.thresholds
    seen = hosts.resources(gateway_host)
    check.evidence.add("host", seen.detail)
    over = [
        f"{name} {value:.1f}% > {limit:g}%"
        for name, value, limit in (
            ("cpu", seen.cpu_percent, limits.cpu_percent),
            ("memory", seen.memory_percent, limits.memory_percent),
            ("disk /", seen.disk_percent, limits.disk_percent),
        )
        if value > limit
    ]
    if over:
        check.fail(
            f"host {hosts.host_name(gateway_host)} is short of resources",
            target=f"{hosts.host_name(gateway_host)} (from hosts)",
            expected=f"cpu <= {limits.cpu_percent:g}%, memory <= {limits.memory_percent:g}%, "
            f"disk <= {limits.disk_percent:g}% (thresholds.*)",
            actual="; ".join(over),
            details=[("measured", seen.detail)],
            reproduce="cat /proc/loadavg; nproc; free -k; df -P /",
        )


def _targets(sources: Any, settings: Settings) -> list[tuple[str, str, int]]:
    found = []
    for name, provider in sources.active_providers().items():
        where = endpoint(str(provider.base_url))
        found.append((f"provider {name}", where.host, where.port))
    if settings.redis is not None:
        found.append(("redis", settings.redis.host, settings.redis.port))
    if settings.prometheus is not None:
        where = endpoint(settings.prometheus.url)
        found.append(("prometheus", where.host, where.port))
    return found


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-05")
def test_components_reachable_from_gateway_host(
    gateway_host: Any, sources: Any, gateproof_settings: Settings, check: Check
) -> None:
    wait = gateproof_settings.timeouts.connect_s
    failed = []
    for label, address, port in _targets(sources, gateproof_settings):
        reach = hosts.tcp_reach(gateway_host, address, port, wait)
        check.evidence.add("tcp", f"{label} {address}:{port}: {reach.detail}")
        if not reach.reachable:
            failed.append((label, f"{address}:{port}: {reach.detail}"))
    if failed:
        first = failed[0][1].split(":")
        check.fail(
            f"{len(failed)} component(s) not reachable from {hosts.host_name(gateway_host)}",
            target=f"{hosts.host_name(gateway_host)} (from hosts) -> providers, Redis, Prometheus",
            expected=f"a TCP connection to each within {wait:g} s (timeouts.connect_s)",
            actual=", ".join(label for label, _ in failed),
            details=failed,
            reproduce=f"timeout {wait:g} bash -c 'exec 3<>/dev/tcp/{first[0]}/{first[1]}'",
        )
