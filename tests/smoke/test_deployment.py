"""DEP-02: the deployed LiteLLM config is the generated one, byte for byte (sha256).
DEP-03: the gateway service runs, was (re)started after its config last changed, and has
logged no ERROR since it started.

The deployed file, the service and its log are read on the gateway host through testinfra;
the service is found through systemd where systemd runs the host, else as the process that
listens on the gateway port.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.fixtures import not_applicable
from gateproof.probes import deploy, hosts
from gateproof.probes.endpoint import endpoint
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
    reproduce = (
        f"sha256sum {generated.path} {deployed.path}; diff -u {generated.path} {deployed.path}"
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


@pytest.mark.smoke
@pytest.mark.checklist("DEP-03")
def test_gateway_service_restarted_and_clean(
    gateway_host: Any, gateproof_settings: Settings, check: Check
) -> None:
    gateway = gateproof_settings.gateway
    if gateway is None:
        not_applicable("the gateway", "gateway.url")
    port = endpoint(gateway.url).port
    where = f"{hosts.host_name(gateway_host)} port {port} (from gateway.url)"
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
            reproduce=f"systemctl status {gateway.service_name}"
            if service.manager == "systemd"
            else f"ss -ltnp 'sport = :{port}'",
        )
    if gateway.deployed_config is not None:
        deployed = deploy.host_file(gateway_host, gateway.deployed_config)
        if deployed.mtime is not None and deployed.mtime > service.started:
            check.fail(
                "the gateway was not restarted after its config changed",
                target=f"{where}, config {deployed.path} (from gateway.deployed_config)",
                expected="service started after the deployed config last changed",
                actual=f"started {_when(service.started)}, config changed {_when(deployed.mtime)}",
                details=[("service", service.detail)],
                reproduce=f"stat -c %y {deployed.path}; ps -o lstart= -p {service.pids[0]}",
            )
    scan = _log_scan(gateway_host, gateproof_settings, service)
    check.evidence.add(
        "log",
        f"{scan.path}: {scan.records} record(s) since {_when(service.started)}, "
        f"{len(scan.errors)} error(s), {scan.client_caused} client-caused error(s) ignored",
    )
    if scan.errors:
        check.fail(
            f"the gateway logged {len(scan.errors)} ERROR record(s) since it started",
            target=f"{scan.path} (from gateway.log_path)",
            expected=f"no ERROR records since {_when(service.started)}",
            actual=scan.errors[0],
            details=[("error", e) for e in scan.errors[1:5]],
            reproduce=f'grep -E \'"level": "(ERROR|CRITICAL|FATAL)"\' {scan.path} '
            "| grep -v user_api_key_auth | tail -5",
        )


def _log_scan(host: Any, settings: Settings, service: deploy.ServiceState) -> deploy.LogScan:
    from gateproof.errors import ProbeError

    gateway = settings.gateway
    assert gateway is not None and service.started is not None
    if gateway.log_path is not None:
        scan = deploy.log_errors(host, gateway.log_path, service.started)
        if not scan.exists:
            raise ProbeError(
                f"the gateway log {gateway.log_path} does not exist on {hosts.host_name(host)}",
                target=str(gateway.log_path),
                setting="gateway.log_path",
                hint="point gateway.log_path at the file the gateway writes",
            )
        return scan
    if service.manager == "systemd" and gateway.service_name:
        return deploy.journal_errors(host, gateway.service_name, service.started)
    raise ProbeError(
        "cannot read the gateway's log: gateway.log_path is not set and no systemd unit "
        "runs the gateway",
        setting="gateway.log_path",
        hint="set gateway.log_path",
    )
