"""Stack lifecycle: status, refusals before anything starts, crash handling, up/down by CLI.

The ranges used here sit above the session stack's (26100 + 2500 per xdist worker).
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gateproof.stack import launcher, process
from gateproof.stack.commands import main
from gateproof.stack.layout import RunDir
from gateproof.stack.testing import (
    ReferenceStack,
    base_port_for_worker,
    free_base,
    selftest_config_dir,
)

CLI_TIMEOUT_S = 120.0


_ranges = itertools.count()


@pytest.fixture
def spare_base() -> int:
    """A base port range of its own for each test that starts processes (above the session
    stack's range, 150 ports apart)."""
    offset = 1000 + 150 * (next(_ranges) % 6)
    return free_base(base_port_for_worker(os.environ.get("PYTEST_XDIST_WORKER")) + offset)


@pytest.fixture
def source_dir(request: pytest.FixtureRequest) -> Path:
    return selftest_config_dir(request.config.rootpath)


def test_status_lists_every_component_healthy(
    reference_stack: ReferenceStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stack", "status", "--run-dir", str(reference_stack.run.root)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    expected = {
        "litellm",
        "redis",
        "prometheus",
        "alertmanager",
        "node-exporter",
        "redis-exporter",
        "webhook",
        "grafana",
        "loki",
        "log-shipper",
        *(f"standin-{p}" for p in reference_stack.providers),
    }
    assert set(rows) == expected
    assert all(row[3] == "yes" for row in rows.values()), out
    stand_ins = {name for name, row in rows.items() if row[4] == "stand-in"}
    assert stand_ins == {"grafana", "loki", *(f"standin-{p}" for p in reference_stack.providers)}


def test_second_up_in_the_same_run_dir_is_refused(
    reference_stack: ReferenceStack, source_dir: Path
) -> None:
    with pytest.raises(launcher.StackError, match="already running") as refused:
        launcher.up(
            reference_stack.run.root,
            source_dir,
            reference_stack.base_port,
            source_dir.parent / "monitoring",
            say=lambda _: None,
        )
    assert "stack down --run-dir" in str(refused.value)


def test_second_up_on_the_same_ports_names_them(
    reference_stack: ReferenceStack, source_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(launcher.StackError) as refused:
        launcher.up(
            tmp_path,
            source_dir,
            reference_stack.base_port,
            source_dir.parent / "monitoring",
            say=lambda _: None,
        )
    message = str(refused.value)
    assert f"port {reference_stack.port('litellm')} (litellm) is already in use" in message
    assert f"port {reference_stack.port('redis')} (redis) is already in use" in message
    assert "nothing was started" in message
    assert not (tmp_path / "stack.json").exists()


def test_a_busy_port_is_named_before_anything_starts(
    source_dir: Path, tmp_path: Path, spare_base: int
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", spare_base + 2))
        squatter.listen()
        with pytest.raises(launcher.StackError) as refused:
            launcher.up(
                tmp_path,
                source_dir,
                spare_base,
                source_dir.parent / "monitoring",
                say=lambda _: None,
            )
    assert f"port {spare_base + 2} (prometheus) is already in use" in str(refused.value)
    assert f"port {spare_base} (litellm)" not in str(refused.value)
    assert not any(tmp_path.iterdir()), "a refused up must leave the run dir as it was"


def test_status_names_a_dead_component_and_its_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    run = RunDir.at(tmp_path)
    state = launcher.StackState(str(run.root), 28100, "/src", status="up")
    log = str(run.log("litellm"))
    state.components.append(
        launcher.Started("litellm", int(gone.stdout), None, 1, [1], "", "", log)
    )
    state.save(run)
    assert main(["stack", "status", "--run-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "up, but 1 of 1 components unhealthy" in out
    assert f"litellm: see {log}" in out
    assert "gateproof stack down --run-dir" in out


@pytest.fixture
def broken_monitoring(tmp_path: Path) -> Path:
    rules = tmp_path / "monitoring" / "prometheus" / "rules"
    rules.mkdir(parents=True)
    (rules / "broken.yml").write_text("groups:\n  - name: x\n    rules:\n      - alert: [\n")
    return tmp_path / "monitoring"


def test_a_crash_during_up_stops_the_rest_and_shows_the_log(
    source_dir: Path, tmp_path: Path, spare_base: int, broken_monitoring: Path
) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(launcher.StackError) as crashed:
        launcher.up(run_dir, source_dir, spare_base, broken_monitoring, say=lambda _: None)
    message = str(crashed.value)
    assert "prometheus exited with status" in message
    assert "broken.yml" in message  # the tail of Prometheus' own log
    state = launcher.StackState.load(RunDir.at(run_dir))
    assert state is not None and state.status == "failed"
    assert state.components, "nothing was recorded as started"
    assert not state.alive(), [c.name for c in state.alive()]
    listening = [p for c in state.components for p in c.ports if process.port_in_use(p)]
    assert not listening


@pytest.fixture
def cli_run_dir(tmp_path: Path) -> Iterator[Path]:
    run_dir = tmp_path / "cli-run"
    yield run_dir
    launcher.down(run_dir, say=lambda _: None)  # whatever the test did, nothing stays up


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateproof.stack.commands", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def test_up_status_down_by_cli_leaves_nothing_behind(
    source_dir: Path, cli_run_dir: Path, spare_base: int
) -> None:
    up = cli(
        "stack",
        "up",
        "--run-dir",
        str(cli_run_dir),
        "--base-port",
        str(spare_base),
        "--config-dir",
        str(source_dir),
    )
    assert up.returncode == 0, up.stdout + up.stderr
    status = cli("stack", "status", "--run-dir", str(cli_run_dir))
    assert status.returncode == 0, status.stdout
    state = launcher.StackState.load(RunDir.at(cli_run_dir))
    assert state is not None and len(state.alive()) == len(state.components) >= 11
    down = cli("stack", "down", "--run-dir", str(cli_run_dir))
    assert down.returncode == 0, down.stdout + down.stderr
    assert "nothing of the stack is listening" in down.stdout
    assert not state.alive()
    assert not [p for c in state.components for p in c.ports if process.port_in_use(p)]
    again = cli("stack", "down", "--run-dir", str(cli_run_dir))
    assert again.returncode == 0 and "already stopped" in again.stdout


def test_provider_controls_in_the_settings_refuse_and_restore(
    clean_standins: ReferenceStack,
) -> None:
    settings = yaml.safe_load(clean_standins.settings_path.read_text(encoding="utf-8"))
    controls = settings["provider_controls"]
    assert set(controls) == set(clean_standins.providers)
    name = next(iter(controls))
    stop = subprocess.run(
        controls[name]["stop"], shell=True, capture_output=True, text=True, timeout=30, check=False
    )
    assert stop.returncode == 0, stop.stderr
    assert clean_standins.control(name).faults()["refuse"] is True
    assert not process.port_in_use(clean_standins.providers[name].port)  # really refusing
    start = subprocess.run(
        controls[name]["start"], shell=True, capture_output=True, text=True, timeout=30, check=False
    )
    assert start.returncode == 0, start.stderr
    assert clean_standins.control(name).faults()["refuse"] is False
    assert process.port_in_use(clean_standins.providers[name].port)


def test_fault_command_names_an_unknown_provider(
    reference_stack: ReferenceStack, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = str(reference_stack.run.root)
    assert main(["stack", "fault", "--run-dir", run_dir, "--provider", "nope", "show"]) == 2
    assert "no stand-in 'nope'" in capsys.readouterr().err
