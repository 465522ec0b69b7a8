"""Commands gateproof prints work when pasted as printed, paths with spaces included."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gateproof.stack.commands import next_steps
from gateproof.stack.layout import RunDir

REPO = Path(__file__).resolve().parents[2]


def _shell(command: str) -> subprocess.CompletedProcess[str]:
    """``command`` through bash from the repo root, this venv's commands first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-c", command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def run(tmp_path: Path) -> RunDir:
    """A run dir whose path has a space, holding settings for a stack that is not running."""
    run = RunDir.at(tmp_path / "my runs" / "ref")
    run.root.mkdir(parents=True)
    run.settings.write_text(f"config_dir: {REPO / 'config'}\n", encoding="utf-8")
    return run


def test_stack_up_pytest_command_runs_from_the_repo_root(run: RunDir) -> None:
    pytest_line = next(line for line in next_steps(run) if line.startswith("pytest "))
    done = _shell(f"{pytest_line} --collect-only")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"rootdir: {REPO}" in done.stdout
    assert f"gateproof settings: {run.settings}" in done.stdout
    assert "<Dir smoke>" in done.stdout
    assert "selftests" not in done.stdout + done.stderr


def test_stack_up_down_command_names_the_run_dir(run: RunDir) -> None:
    down = next(line for line in next_steps(run) if line.startswith("gateproof stack down"))
    done = _shell(down)
    assert done.returncode == 0, done.stderr
    assert f"no stack recorded in {run.root} " in done.stdout


def test_stale_generated_config_names_a_working_generate_command(tmp_path: Path) -> None:
    config = tmp_path / "my config"
    config.mkdir()
    for name in ("providers.yaml", "model-mappings.yaml", "litellm-unified.yaml"):
        (config / name).write_bytes((REPO / "config" / name).read_bytes())
    with (config / "litellm-unified.yaml").open("a", encoding="utf-8") as stale:
        stale.write("# edited by hand\n")
    check = _shell(shlex.join(["gateproof", "generate", "--check", "--config-dir", str(config)]))
    assert check.returncode == 1
    printed = check.stderr.split("run `", 1)[1].split("`", 1)[0]
    assert _shell(printed).returncode == 0
    assert _shell(f"{printed} --check").returncode == 0
