"""PRE-INF-01..05: providers healthy, gateway up with exactly the configured models, Redis up,
resources of every host below limits (``hosts``), and TCP reach from each gateway host
(``gateway_hosts``, default the first host) to every component.

The gateway's ``/health`` runs a real (billed) completion per deployment, so it is called
only when the settings say ``gateway.billed_health: true``.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.fixtures import not_applicable
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
    if probe.health_path in JSON_HEALTH_PATHS:  # a model list that is not JSON: not healthy
        check.body(
            exchange,
            f"provider '{probe.name}' answered {probe.health_path} with a body that is not JSON",
            target=f"provider '{probe.name}' {exchange.url} (from {probe.setting})",
            expected=f"200 and the JSON model list of {probe.type} {probe.health_path}",
        )


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-02")
def test_gateway_health_and_model_list(
    gateway_authed: GatewayProbe, sources: Any, check: Check
) -> None:
    gateway = gateway_authed
    check.gateway_health(gateway)
    check.exact_models(gateway, sources.routable_models())


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-02")
def test_gateway_billed_health(
    request: pytest.FixtureRequest, gateproof_settings: Settings, check: Check
) -> None:
    """The billed ``/health``: its opt-out is N/A for this run, never a pass."""
    if gateproof_settings.gateway is None:
        not_applicable("the gateway", "gateway.url")
    if not gateproof_settings.gateway.billed_health:
        pytest.skip(
            "N/A: not part of this run: billed /health disabled by setting "
            "gateway.billed_health (it makes one real completion per deployment)"
        )
    gateway: GatewayProbe = request.getfixturevalue("gateway_authed")
    health = check.see(gateway.billed_health())
    body = check.body(
        health, "the gateway's /health answered a body that is not JSON", target=health.url
    )
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
    request: pytest.FixtureRequest, deployment_host: Any, gateproof_settings: Settings, check: Check
) -> None:
    limits = gateproof_settings.thresholds
    seen = hosts.resources(deployment_host, _node_exporter_cpu(request, gateproof_settings, check))
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
            f"host {hosts.host_name(deployment_host)} is short of resources",
            target=f"{hosts.host_name(deployment_host)} (from hosts)",
            expected=f"cpu <= {limits.cpu_percent:g}% (5-minute average), memory <= "
            f"{limits.memory_percent:g}%, disk <= {limits.disk_percent:g}% (thresholds.*)",
            actual="; ".join(over),
            details=[("measured", seen.detail)],
            reproduce=_resources_reproducer(deployment_host, seen.cpu_source, gateproof_settings),
        )


def _node_exporter_cpu(
    request: pytest.FixtureRequest, settings: Settings, check: Check
) -> hosts.CpuFigure | None:
    """The node exporter's 5-minute CPU figure through Prometheus, when Prometheus is part of
    the deployment and has it; else None (the load average is used, and the evidence says why).

    Several node exporters: the busiest host counts (Prometheus does not say which one is the
    gateway's)."""
    from gateproof.errors import ProbeError
    from gateproof.probes.prometheus import NODE_CPU_5M, NODE_CPU_COVERED

    if settings.prometheus is None:
        return None
    try:
        prometheus = request.getfixturevalue("prometheus")
        samples = prometheus.query(NODE_CPU_5M)
        covered = {s.labels.get("instance") for s in prometheus.query(NODE_CPU_COVERED)}
    except ProbeError as exc:
        check.evidence.add("cpu", f"Prometheus not used ({str(exc).splitlines()[0]})")
        return None
    if not samples:
        check.evidence.add("cpu", "Prometheus has no node_cpu_seconds_total: load average used")
        return None
    samples = [s for s in samples if s.labels.get("instance") in covered]
    if not samples:
        check.evidence.add(
            "cpu",
            "the node exporter's series are younger than 5 minutes (just started): their "
            "5-minute rate covers the start-up alone; load average used",
        )
        return None
    busiest = max(samples, key=lambda s: s.value)
    instance = busiest.labels.get("instance", "?")
    return hosts.CpuFigure(
        max(busiest.value, 0.0),
        f"node exporter {instance}, 5-minute average through Prometheus "
        f"({settings.prometheus.url})",
    )


def _resources_reproducer(host: Any, cpu_source: str, settings: Settings) -> str:
    from urllib.parse import quote

    from gateproof.probes.prometheus import NODE_CPU_5M

    if settings.prometheus is not None and cpu_source.startswith("node exporter"):
        query = quote(NODE_CPU_5M, safe="")
        return f"curl -sS '{settings.prometheus.url}/api/v1/query?query={query}'; " + hosts.on_host(
            host, "free -k; df -P /"
        )
    return hosts.on_host(host, "cat /proc/loadavg; nproc; free -k; df -P /")


def _targets(sources: Any, settings: Settings) -> list[tuple[str, str, int, str, str]]:
    """(label, address, port, the target as the gate's probes name it, its setting)."""
    found = []
    for name, provider in sources.active_providers().items():
        where = endpoint(str(provider.base_url))
        url = str(provider.base_url)
        found.append((f"provider {name}", where.host, where.port, url, f"providers.{name}"))
    if settings.redis is not None:
        redis = settings.redis
        known_as = f"redis://{redis.host}:{redis.port}"
        found.append(("redis", redis.host, redis.port, known_as, redis_probe.SETTING))
    if settings.prometheus is not None:
        where = endpoint(settings.prometheus.url)
        url = settings.prometheus.url
        found.append(("prometheus", where.host, where.port, url, "prometheus.url"))
    return found


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-INF-05")
def test_components_reachable_from_gateway_host(
    gateway_host: Any, sources: Any, gateproof_settings: Settings, check: Check
) -> None:
    wait = gateproof_settings.timeouts.connect_s
    failed = []
    for label, address, port, known_as, setting in _targets(sources, gateproof_settings):
        reach = hosts.tcp_reach(
            gateway_host, address, port, wait, known_as=known_as, setting=setting
        )
        check.evidence.add("tcp", f"{label} {address}:{port}: {reach.detail}")
        if not reach.reachable:
            failed.append((label, f"{address}:{port}: {reach.detail}"))
    if failed:
        first = failed[0][1].split(":")
        check.fail(
            f"{len(failed)} component(s) not reachable from {hosts.host_name(gateway_host)}",
            target=f"{hosts.host_name(gateway_host)} (from hosts / gateway_hosts) -> providers, "
            "Redis, Prometheus",
            expected=f"a TCP connection to each within {wait:g} s (timeouts.connect_s)",
            actual=", ".join(label for label, _ in failed),
            details=failed,
            reproduce=hosts.on_host(
                gateway_host, f"timeout {wait:g} bash -c 'exec 3<>/dev/tcp/{first[0]}/{first[1]}'"
            ),
        )
