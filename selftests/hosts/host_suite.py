"""Run the acceptance suite's host checks in a child pytest against the reference stack and
the test ssh hosts (``--gateproof-hosts``, ``--gateproof-ssh-config``), and read what it
decided: ``record.json`` for the outcomes and messages, the JUnit XML for each test's time.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gateproof.stack.sshhosts import SshHosts
from gateproof.stack.suite_run import SuiteRun, run_suite

REPO = Path(__file__).resolve().parents[2]
CONNECT_S = 2.0  # timeouts.connect_s of the child runs: ssh's ConnectTimeout
RUN_TIMEOUT_S = 120.0
# Every test that reaches a host, and one that does not (PRE-INF-03) to show it stays green.
HOST_TESTS = (
    "tests/integration/test_infrastructure.py::test_host_resources_below_limits",
    "tests/integration/test_infrastructure.py::test_components_reachable_from_gateway_host",
    "tests/smoke/test_deployment.py::test_deployed_config_is_the_generated_file",
    "tests/smoke/test_deployment.py::test_gateway_service_restarted_and_clean",
    "tests/integration/test_security.py::test_cors_origins_hold_no_wildcard",
    "tests/integration/test_security.py::test_local_gateway_listens_on_loopback_only",
    "tests/integration/test_infrastructure.py::test_redis_ping_and_info",
)
# Enough to show a dead second host leaves the gateway host's checks alone (the slow DEP-03
# and PRE-SEC checks of the gateway host are shown green by the healthy run).
RESOURCE_AND_REACH_TESTS = (*HOST_TESTS[:2], HOST_TESTS[-1])
# PST-01's re-run of PRE-INF-04 after a short warm-up: the postdeploy resource gate per host.
POSTDEPLOY_TESTS = (
    "tests/postdeploy/test_revalidation.py::test_host_resources_below_limits_again",
)
SHORT_WARMUP = (
    "--gateproof-postdeploy-warmup-duration-s=2",
    "--gateproof-postdeploy-warmup-settle-s=0",
)
GATEWAY_HOST_ITEMS = {"PRE-INF-05", "DEP-02", "DEP-03", "PRE-SEC-01", "PRE-SEC-03"}
EVERY_HOST_ITEMS = {"PRE-INF-04"}
CONTROL_ITEMS = {"PRE-INF-03"}


@dataclass
class HostRun(SuiteRun):
    """A child run with how long each test took (JUnit XML: setup + call + teardown)."""

    seconds: dict[str, float] = field(default_factory=dict)  # test name with its id -> s

    def outcomes(self, items: set[str]) -> dict[str, str]:
        return {item: self.outcome(item) for item in sorted(items)}

    def on_host(self, spec: str) -> list[dict[str, Any]]:
        """Every test of the run whose id is ``host=spec``."""
        return [
            t
            for item in self.items.values()
            for t in item["tests"]
            if t["nodeid"].endswith(f"[host={spec}]")
        ]


def run_host_checks(
    settings: Path, hosts: SshHosts, out: Path, tests: tuple[str, ...] = HOST_TESTS
) -> HostRun:
    """``pytest TESTS`` against the stack's settings with ``hosts`` over ssh."""
    extra = SHORT_WARMUP if tests == POSTDEPLOY_TESTS else ()
    run = run_suite(
        settings, out, *extra,
        f"--gateproof-hosts={','.join(hosts.specs)}",
        f"--gateproof-ssh-config={hosts.ssh_config}",
        f"--gateproof-timeouts-connect-s={CONNECT_S:g}",
        f"--junitxml={out / 'junit.xml'}",
        marker=None, paths=tests, cwd=REPO, timeout_s=RUN_TIMEOUT_S,
    )  # fmt: skip
    fields_of = {f.name: getattr(run, f.name) for f in fields(SuiteRun)}
    return HostRun(**fields_of, seconds=_seconds(out / "junit.xml"))


def _seconds(junit: Path) -> dict[str, float]:
    return {
        str(case.get("name")): float(case.get("time") or 0.0)
        for case in ET.parse(junit).getroot().iter("testcase")
    }
