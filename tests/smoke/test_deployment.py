"""DEP-02: the deployed LiteLLM config is the generated one, byte for byte (sha256).
DEP-03: the gateway service runs, is the LiteLLM proxy started with the deployed config
(command line of the process owning the gateway port), was (re)started after its config last
changed, and has logged no error since it started: structured and plain-text records, client
errors set apart, and the run's own tagged request found in the log (else the log read is not
the live one).

The deployed file, the service and its log are read on the gateway host through testinfra;
the service is found through systemd where systemd runs the host, else as the process that
listens on the gateway port.
"""

from __future__ import annotations

import datetime as dt
import shlex
from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.fixtures import not_applicable
from gateproof.fixtures_replicas import Replica, replicas_of
from gateproof.parametrize import gateway_specs, host_of, replica_host_spec
from gateproof.probes import deploy, gateway_log, hosts
from gateproof.probes.endpoint import endpoint
from gateproof.probes.gateway import GatewayProbe, nonce
from gateproof.schema import GENERATED_FILE
from gateproof.settings import Settings


def _when(stamp: float | None) -> str:
    return dt.datetime.fromtimestamp(stamp).isoformat(timespec="seconds") if stamp else "unknown"


@pytest.mark.smoke
@pytest.mark.checklist("DEP-02")
def test_deployed_config_is_the_generated_file(
    gateway_host: Any, gateproof_settings: Settings, check: Check
) -> None:
    gateway = gateproof_settings.gateway
    if gateway is None or gateway.deployed_config is None:
        not_applicable("a deployed config path", "gateway.deployed_config")
    generated = deploy.local_file(gateproof_settings.config_dir / GENERATED_FILE)
    deployed = deploy.host_file(gateway_host, gateway.deployed_config)
    check.evidence.add("generated", f"{generated.path} sha256 {generated.sha256}")
    check.evidence.add("deployed", f"{deployed.path} sha256 {deployed.sha256}")
    # The deployed file is read where it is (over ssh for an ssh host), compared here.
    reproduce = (
        hosts.on_host(gateway_host, f"cat {shlex.quote(str(deployed.path))}")
        + f" | diff -u {generated.path} -"
    )
    if not generated.exists:
        check.fail(
            "the generated config is missing",
            target=f"{generated.path} (from config_dir)",
            expected="the generated LiteLLM config",
            actual="no such file",
            reproduce="gateproof generate",
        )
    if not deployed.exists or deployed.sha256 != generated.sha256:
        check.fail(
            "the deployed config is not the generated file"
            if deployed.exists
            else "the deployed config is missing",
            target=f"{hosts.host_name(gateway_host)}:{deployed.path} "
            "(from gateway.deployed_config)",
            expected=f"sha256 {generated.sha256} (of {generated.path})",
            actual=f"sha256 {deployed.sha256}" if deployed.exists else "no such file",
            details=[("changed", _when(deployed.mtime))] if deployed.exists else [],
            reproduce=reproduce,
        )


START_SLACK_S = 1.0


@pytest.mark.smoke
@pytest.mark.checklist("DEP-03")
def test_gateway_service_restarted_and_clean(
    request: pytest.FixtureRequest, gateway_host: Any, gateproof_settings: Settings, check: Check
) -> None:
    gateway = gateproof_settings.gateway
    if gateway is None:
        not_applicable("the gateway", "gateway.url")
    spec = str(request.node.callspec.params["gateway_host"])
    served = _replica_on(request.config, spec, gateproof_settings)
    # A replica on this host is this host's gateway: its port, its log, its tagged request.
    url, source = (gateway.url, "gateway.url") if served is None else (served.url, served.source)
    port = endpoint(url).port
    where = f"{hosts.host_name(gateway_host)} port {port} (from {source})"
    service = deploy.service_state(
        gateway_host, port, gateway.service_name, gateway.service_manager
    )
    check.evidence.add("service", f"{service.manager}: {service.detail}")
    if not service.active or service.started is None:
        check.fail(
            "the gateway service is not running",
            target=where if service.manager == "process" else f"unit {gateway.service_name}",
            expected="active, a process serving the gateway port",
            actual=service.detail,
            reproduce=hosts.on_host(
                gateway_host,
                f"systemctl status {gateway.service_name}"
                if service.manager == "systemd"
                else f"ss -ltnp 'sport = :{port}'",
            ),
        )
    _expect_configured_gateway(check, gateway_host, port, where, gateproof_settings, service)
    if gateway.deployed_config is not None:
        deployed = deploy.host_file(gateway_host, gateway.deployed_config)
        # A process start time is boot time (whole seconds in /proc/stat) plus ticks: up to
        # 1 s early. A restart within that second of the deploy is still a restart.
        if deployed.mtime is not None and deployed.mtime > service.started + START_SLACK_S:
            check.fail(
                "the gateway was not restarted after its config changed",
                target=f"{where}, config {deployed.path} (from gateway.deployed_config)",
                expected="service started after the deployed config last changed",
                actual=f"started {_when(service.started)}, config changed {_when(deployed.mtime)}",
                details=[("service", service.detail)],
                reproduce=hosts.on_host(
                    gateway_host,
                    f"stat -c %y {deployed.path}; ps -o lstart= -p {service.pids[0]}",
                ),
            )
    tag = f"dep03-{nonce()}"
    if served is None:
        probe: GatewayProbe = request.getfixturevalue("gateway")
    else:
        probe = request.getfixturevalue("replica_gateways")[served.index - 1]
    check.evidence.add("tagged request", f"sent to {url} (from {source})")
    check.see(probe.tagged(tag))
    scan = _log_scan(gateway_host, gateproof_settings, service, tag)
    check.evidence.add("log", scan.describe())
    source = f"{scan.path} (from gateway.log_path)" if gateway.log_path else scan.path
    if not scan.tag_found and served is None:
        # Through the balancer the request reached one of the gateway hosts, maybe not this one:
        # then this host's log is not shown to be live, and its error scan proves nothing.
        from gateproof.errors import ProbeError

        elsewhere = _tag_on_other_host(request, spec, gateproof_settings, service, tag)
        if elsewhere is not None:
            raise ProbeError(
                f"could not show that {source} on {hosts.host_name(gateway_host)} is the live "
                f"log: the tagged request went through gateway.url to {elsewhere}, and no "
                "replica of gateway.replicas runs on this host to send it to directly",
                target=source,
                setting="gateway.replicas, gateway_hosts",
                hint="list each gateway machine's own URL in gateway.replicas (see "
                "docs/settings.md, hosts)",
            )
    if not scan.tag_found:
        check.fail(
            "the gateway log being read is not the live log: this run's own request is not in it",
            target=source,
            expected=f"the access line of GET /health/liveliness?gateproof={tag} (sent just "
            f"now), within {scan.waited_s:.1f} s",
            actual=f"not found among {scan.records} record(s) since {_when(service.started)}"
            " (rotated without a reopen? another file? logging switched off?)",
            reproduce=hosts.on_host(
                gateway_host, f"grep -c {tag} {scan.path}; ls -l --time-style=full-iso {scan.path}*"
            ),
        )
    if scan.errors:
        check.fail(
            f"the gateway logged {len(scan.errors)} error record(s) since it started",
            target=source,
            expected=f"no ERROR/CRITICAL records or tracebacks since {_when(service.started)} "
            f"(client-caused errors not counted: {scan.client_caused})",
            actual=scan.errors[0],
            details=[("error", e) for e in scan.errors[1:5]],
            reproduce=hosts.on_host(
                gateway_host,
                f'grep -nE \'"level": "(ERROR|CRITICAL)"|^Traceback|^(ERROR|CRITICAL)\' '
                f"{scan.path} | tail -5",
            ),
        )


def _replica_on(config: pytest.Config, spec: str, settings: Settings) -> Replica | None:
    """The first replica of ``gateway.replicas`` that runs on the gateway host ``spec``."""
    specs = gateway_specs(config)
    return next((r for r in replicas_of(settings) if replica_host_spec(r.url, specs) == spec), None)


def _tag_on_other_host(
    request: pytest.FixtureRequest,
    spec: str,
    settings: Settings,
    service: deploy.ServiceState,
    tag: str,
) -> str | None:
    """The name of another gateway host whose log holds ``tag``; None: none does."""
    cache = request.getfixturevalue("_host_cache")
    for other in gateway_specs(request.config):
        if other == spec:
            continue
        host = host_of(request.config, other, cache)
        if _log_scan(host, settings, service, tag, wait_s=0.5).tag_found:
            return str(hosts.host_name(host))
    return None


def _expect_configured_gateway(
    check: Check,
    host: Any,
    port: int,
    where: str,
    settings: Settings,
    service: deploy.ServiceState,
) -> None:
    """The port is served by LiteLLM, started with the deployed config (not an impostor, not
    a gateway started by hand on another file). Under systemd the unit's main pid may be a
    wrapper: what serves the port is looked up by the socket."""
    __tracebackhide__ = True
    gateway = settings.gateway
    assert gateway is not None
    pids = service.pids if service.manager == "process" else hosts.port_owners(host, port)[1]
    running = deploy.gateway_processes(host, pids)
    for proc in running:
        check.evidence.add("process", f"pid {proc.pid}: {proc.command[:300]}")
    reproduce = hosts.on_host(
        host, f"ss -ltnp 'sport = :{port}'; tr '\\0' ' ' < /proc/<pid>/cmdline"
    )
    litellm = [p for p in running if p.is_litellm]
    if not litellm:
        shown = "; ".join(f"pid {p.pid}: {p.command[:200]}" for p in running)
        check.fail(
            f"port {port} is not served by the LiteLLM gateway",
            target=where,
            expected="the LiteLLM proxy (litellm --config <deployed config>)",
            actual=shown or "no owning process visible (another user's process, no root?)",
            reproduce=reproduce,
        )
    if gateway.deployed_config is None:
        return
    deployed = hosts.resolved_path(host, str(gateway.deployed_config))
    other = [p for p in litellm if p.config_resolved != deployed]
    if other:
        proc = other[0]
        given = (
            f"{proc.config} ({proc.config_from}; resolves to {proc.config_resolved})"
            if proc.config
            else "no config file (no --config, no CONFIG_FILE_PATH)"
        )
        check.fail(
            "the gateway runs another config than the deployed one",
            target=f"{where}, pid {proc.pid}",
            expected=f"started with {gateway.deployed_config} (gateway.deployed_config; "
            f"resolves to {deployed})",
            actual=f"started with {given}",
            details=[("command", proc.command[:300])],
            reproduce=reproduce,
        )


def _log_scan(
    host: Any, settings: Settings, service: deploy.ServiceState, tag: str, wait_s: float = 3.0
) -> gateway_log.LogScan:
    from gateproof.errors import ProbeError

    gateway = settings.gateway
    assert gateway is not None and service.started is not None
    if gateway.log_path is not None:
        scan = gateway_log.file_scan(host, gateway.log_path, service.started, tag, wait_s)
        if not scan.exists:
            raise ProbeError(
                f"the gateway log {gateway.log_path} does not exist on {hosts.host_name(host)}",
                target=str(gateway.log_path),
                setting="gateway.log_path",
                hint="point gateway.log_path at the file the gateway writes",
            )
        return scan
    if service.manager == "systemd" and gateway.service_name:
        return gateway_log.journal_scan(host, gateway.service_name, service.started, tag, wait_s)
    raise ProbeError(
        "cannot read the gateway's log: gateway.log_path is not set and no systemd unit "
        "runs the gateway",
        setting="gateway.log_path",
        hint="set gateway.log_path",
    )


@pytest.mark.smoke
@pytest.mark.checklist("DEP-03")
def test_every_replica_runs_the_deployed_config(
    replica: Any,
    replica_host: Any,
    replica_gateway: GatewayProbe,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    """Replicated gateways: the process serving each replica's port is LiteLLM started with
    the deployed config, and was restarted after that file last changed (a replica left on
    the old config, or started on another file, is named). Its log is the main check's.
    Each replica is looked at on its own host: the gateway host its URL names."""
    gateway_host = replica_host
    gateway = gateproof_settings.gateway
    assert gateway is not None
    port = endpoint(replica.url).port
    where = f"{hosts.host_name(gateway_host)} port {port} ({replica.label}, from {replica.source})"
    service = deploy.service_state(gateway_host, port, None, "process")
    check.evidence.add("service", f"{service.manager}: {service.detail}")
    if not service.active or service.started is None:
        check.fail(
            f"{replica.label} answered, but no process visibly serves its port",
            target=where,
            expected="a process listening on the replica's port",
            actual=service.detail,
            reproduce=hosts.on_host(gateway_host, f"ss -ltnp 'sport = :{port}'"),
        )
    _expect_configured_gateway(check, gateway_host, port, where, gateproof_settings, service)
    if gateway.deployed_config is not None:
        deployed = deploy.host_file(gateway_host, gateway.deployed_config)
        if deployed.mtime is not None and deployed.mtime > service.started + START_SLACK_S:
            check.fail(
                f"{replica.label} was not restarted after its config changed",
                target=f"{where}, config {deployed.path} (from gateway.deployed_config)",
                expected="every replica started after the deployed config last changed",
                actual=f"started {_when(service.started)}, config changed {_when(deployed.mtime)}",
                details=[("service", service.detail)],
                reproduce=hosts.on_host(
                    gateway_host,
                    f"stat -c %y {deployed.path}; ps -o lstart= -p {service.pids[0]}",
                ),
            )
