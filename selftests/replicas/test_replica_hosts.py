"""DEP-03 per replica looks at the replica on its own host, and the host checks' reproducers
run where the host is: two ssh gateway hosts (sshd on 127.0.0.2 and 127.0.0.3, both this
machine) in front of the two-replica stack, healthy and with one fault made from outside."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from replica_suite import run_suite, settings_copy

from gateproof.stack.launcher import replica_urls
from gateproof.stack.sshhosts import SshHosts, start_hosts
from gateproof.stack.testing import ReferenceStack

SSH_OFFSET = 240  # past the replica stack's own ports
DEP03 = "restarted_and_clean or every_replica_runs"


@pytest.fixture(scope="module")
def ssh_hosts(
    replica_stack: ReferenceStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SshHosts]:
    hosts = start_hosts(tmp_path_factory.mktemp("ssh"), 2, replica_stack.base_port + SSH_OFFSET)
    try:
        yield hosts
    finally:
        hosts.stop_all()


def _on_ssh_hosts(hosts: SshHosts) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["hosts"] = hosts.specs
        data["gateway_hosts"] = hosts.specs
        data["ssh_config"] = str(hosts.ssh_config)

    return edit


def _message(test: dict[str, Any]) -> str:
    return str(test["message"])


def test_each_replica_checked_once_on_two_ssh_gateway_hosts(
    replica_stack: ReferenceStack, ssh_hosts: SshHosts, tmp_path: Path
) -> None:
    """Two gateway hosts: DEP-03 green on both, and one replica check per replica (not one
    per replica and host)."""
    settings = settings_copy(replica_stack, "settings-ssh.yaml", _on_ssh_hosts(ssh_hosts))
    record = run_suite(replica_stack, tmp_path / "rec", "smoke", DEP03, settings)
    tests = record.tests("DEP-03")
    assert {t["outcome"] for t in tests} == {"passed"}, record.output[-3000:]
    ids = sorted(t["nodeid"].split("[", 1)[1] for t in tests)
    urls = replica_urls(replica_stack.base_port, 2)
    assert ids == sorted([f"host={s}]" for s in ssh_hosts.specs] + [f"replica={u}]" for u in urls])


def test_replica_on_no_gateway_host_errors_naming_the_settings(
    replica_stack: ReferenceStack, tmp_path: Path
) -> None:
    """A replica whose URL names no gateway host is not checked elsewhere: an error."""
    stranger = "http://192.0.2.7:4000"  # TEST-NET-1: never called, the host is decided first

    def elsewhere(data: dict[str, Any]) -> None:
        data["gateway"]["replicas"] = [data["gateway"]["replicas"][0], stranger]

    settings = settings_copy(replica_stack, "settings-stranger.yaml", elsewhere)
    record = run_suite(replica_stack, tmp_path / "rec", "smoke", "every_replica_runs", settings)
    by_id = {t["nodeid"].split("[", 1)[1]: t for t in record.tests("DEP-03")}
    assert by_id[f"replica={replica_stack.gateway_url}]"]["outcome"] == "passed", by_id
    bad = by_id[f"replica={stranger}]"]
    assert bad["outcome"] == "error", bad
    assert "replica 2 of 2 http://192.0.2.7:4000 runs on none of the gateway hosts" in (
        _message(bad)
    )
    assert "setting  gateway.replicas, gateway_hosts" in _message(bad)
    assert f"target   {stranger} (from gateway.replicas[1])" in _message(bad)


def test_ssh_host_reproducer_runs_on_the_host(
    replica_stack: ReferenceStack, ssh_hosts: SshHosts, tmp_path: Path
) -> None:
    """DEP-02 on a deployed file edited by hand: its reproducer starts with ssh, and pasted
    as it is it shows the edit."""
    edited = tmp_path / "deployed.yaml"
    deployed = replica_stack.run.deployed_config.read_text(encoding="utf-8")
    edited.write_text(deployed + "# edited by hand\n", encoding="utf-8")

    def hand_edited(data: dict[str, Any]) -> None:
        _on_ssh_hosts(ssh_hosts)(data)
        data["gateway"]["deployed_config"] = str(edited)

    settings = settings_copy(replica_stack, "settings-edited.yaml", hand_edited)
    record = run_suite(replica_stack, tmp_path / "rec", "smoke", "generated_file", settings)
    tests = record.tests("DEP-02")
    assert [t["outcome"] for t in tests] == ["failed", "failed"], record.output[-3000:]
    for test in tests:
        lines = _message(test).splitlines()
        reproduce = lines[lines.index("Reproduce with:") + 1].strip()
        assert reproduce.startswith("ssh -o BatchMode=yes"), reproduce
        assert f"-F {ssh_hosts.ssh_config}" in reproduce and " | diff -u " in reproduce
        shown = subprocess.run(reproduce, shell=True, capture_output=True, text=True,
                               timeout=30, check=False)  # fmt: skip
        assert shown.returncode == 1 and "\n+# edited by hand" in shown.stdout, shown
