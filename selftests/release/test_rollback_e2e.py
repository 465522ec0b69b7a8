"""RBK-01 end to end on a reference stack of this test's own: a broken config is generated and
deployed and smoke goes RED; `gateproof rollback VERSION --record` restores the generated file
and the deployed copy; the gateway restarts on it and smoke is GREEN again; the release record
shows the rollback and the smoke run that verified it.

Everything is done by the real commands and the unchanged acceptance suite (in a child
pytest). The source change is reverted by hand after the rollback, as an operator reverts the
commit: smoke compares the gateway against the sources (SMK-03 routes to the provider the
sources name)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateproof.cli import main
from gateproof.history import History
from gateproof.stack import launcher, progress
from gateproof.stack.layout import RunDir
from gateproof.stack.testing import base_port_for_worker, free_base, selftest_config_dir

REPO = Path(__file__).resolve().parents[2]
OWN_RANGE_OFFSET = 1200  # clear of the shared selftest stack's range
DEAD_PORT = 1  # nothing listens on port 1
# DEP-03 compares the gateway's start time (from /proc, whole seconds off the boot time) with
# the deployed file's mtime: a restart in the same second as the deploy can read as before it.
# An operator never restarts that fast; the test waits as long before each restart.
DEPLOY_TO_RESTART_S = 2.0


def restart(run: RunDir) -> None:
    time.sleep(DEPLOY_TO_RESTART_S)
    assert main(["stack", "restart", "--run-dir", str(run.root)]) == 0


UP_SAID: list[str] = []  # what `up` printed while starting the stack


@pytest.fixture
def own_stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunDir]:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = free_base(base_port_for_worker(worker) + OWN_RANGE_OFFSET)
    config = selftest_config_dir(request.config.rootpath)
    run = tmp_path / "stack"
    monitoring = config.resolve().parent / "monitoring"
    try:
        UP_SAID.clear()
        launcher.up(run, config, base, monitoring, say=UP_SAID.append)
        yield RunDir.at(run)
    finally:
        launcher.down(run, say=lambda _: None)


def smoke(settings: Path, record: Path) -> dict[str, Any]:
    """The smoke phase against the stack, as an operator runs it, recorded in ``record``."""
    argv = [sys.executable, "-m", "pytest", "tests", "-m", "smoke", "-q", "--tb=no",
            "-p", "no:randomly", "--gateproof-allow-destructive", "--gateproof-config",
            str(settings), "--gateproof-record", str(record)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    done = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert (record / "record.json").is_file(), done.stdout[-3000:] + done.stderr[-2000:]
    data: dict[str, Any] = json.loads((record / "record.json").read_text(encoding="utf-8"))
    return data


def break_one_provider(providers: Path, plans: list[dict[str, Any]]) -> str:
    """Point one OpenAI-compatible provider at a dead port in the sources; its name."""
    victim = next(p for p in plans if p["type"] != "ollama")
    text = providers.read_text(encoding="utf-8")
    wrong = victim["base_url"].replace(f":{victim['port']}", f":{DEAD_PORT}")
    assert victim["base_url"] in text
    providers.write_text(text.replace(victim["base_url"], wrong), encoding="utf-8")
    return str(victim["name"])


def test_rollback_restores_a_broken_deployment_and_the_release_shows_it(
    own_stack: RunDir,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = own_stack
    release = tmp_path / "release"
    providers = run.config / "providers.yaml"
    good_sources = providers.read_bytes()
    good_config = run.generated_config.read_bytes()
    assert run.deployed_config.read_bytes() == good_config
    state = launcher.StackState.load(run)
    assert state is not None
    # the start of the stack showed what it waited for (the gateway alone takes 10 s or more)
    assert any(line.startswith("  waiting for the stack to be ready: ") for line in UP_SAID)
    assert any(line.startswith("  litellm") and "ready after" in line for line in UP_SAID)

    # 1. a broken config is generated and deployed; the gateway restarts on it
    victim = break_one_provider(providers, state.providers)
    assert main(["generate", "--config-dir", str(run.config)]) == 0
    # The version holding the good bytes: `stack up` already kept it (as a "generate" entry),
    # so this generate keeps no "pre-generate" copy of it; an older one has another stamp.
    good_sha256 = hashlib.sha256(good_config).hexdigest()
    good = next(e for e in History(run.config).newest_first() if e.sha256 == good_sha256)
    broken_config = run.generated_config.read_bytes()
    assert broken_config != good_config
    run.deployed_config.write_bytes(broken_config)
    capsys.readouterr()
    monkeypatch.setattr(progress, "FIRST_NOTE_S", 0.0)  # a fast restart still shows its note
    restart(run)
    monkeypatch.undo()
    restart_out = capsys.readouterr().out
    assert "waiting for the gateway to answer /health/liveliness" in restart_out  # progress
    assert "gateway live again after" in restart_out

    # 2. smoke goes RED, naming the provider that no longer answers
    first = smoke(run.settings, release / "1-smoke")
    assert first["verdict"] == "RED"
    assert first["items"]["SMK-03"]["outcome"] == "failed"
    assert f"provider '{victim}'" in first["items"]["SMK-03"]["reason"]

    # 3. rollback: the generated file and the deployed copy back to the good bytes
    rollback = ["rollback", good.version, "--gateproof-config", str(run.settings)]
    assert main([*rollback, "--record", str(release / "2-rollback")]) == 0
    assert run.generated_config.read_bytes() == good_config
    assert run.deployed_config.read_bytes() == good_config
    providers.write_bytes(good_sources)  # the operator reverts the source change too
    restart(run)

    # 4. smoke is GREEN again
    second = smoke(run.settings, release / "3-smoke")
    assert second["verdict"] == "GREEN", second["verdict_reason"]

    # 5. the release record shows the rollback and the smoke run that verified it
    capsys.readouterr()
    check_release(release, run, first["deployment"]["config_version"], capsys)


def check_release(
    release: Path, run: RunDir, broken_version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["release", str(release), "--phases", "predeploy,smoke"])
    out = capsys.readouterr().out
    record = json.loads((release / "record.json").read_text(encoding="utf-8"))
    rbk = record["items"]["RBK-01"]
    assert rbk["outcome"] == "passed", rbk["reason"]
    assert f"rolled back from config {broken_version} to " in rbk["reason"]
    (done,) = record["release"]["rollbacks"]
    assert done["verified_by"] == str(release / "3-smoke")
    assert done["deployed"]["path"] == str(run.deployed_config)
    runs = {
        Path(r["path"]).name: (r["verdict"], r["decides"]) for r in record["release"]["records"]
    }
    assert runs == {"1-smoke": ("RED", False), "3-smoke": ("GREEN", True)}
    # no predeploy record was joined: the release cannot be GREEN, and says why
    assert code == 1 and record["verdict"] == "INCOMPLETE"
    assert record["items"]["PRE-CFG-01"]["reason"] == "no predeploy record joined"
    assert f"smoke after it: {release / '3-smoke'}" in out
    html = (release / "report.html").read_text(encoding="utf-8")
    assert "Rollbacks" in html and str(release / "3-smoke") in html
    # the superseded RED smoke is shown with why it was RED
    assert "RED: 1 item(s) failed or could not be checked: SMK-03" in html
    secrets = (run.secrets).read_text(encoding="utf-8").splitlines()
    for value in (line.partition("=")[2] for line in secrets if "=" in line):
        for written in ("record.json", "checklist.md", "report.html"):
            assert value not in (release / written).read_text(encoding="utf-8")
