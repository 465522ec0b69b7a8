"""The long waits say what they wait for and how far they are (issue 13, item 5): the LiteLLM
venv build steps and the wait for another build's lock. Stack start and gateway restart are
shown on a real stack by test_rollback_e2e."""

from __future__ import annotations

import fcntl
import sys
import threading
import time
from pathlib import Path

import pytest

from gateproof.stack import litellm_env, progress
from gateproof.stack.litellm_env import VenvError


@pytest.fixture(autouse=True)
def _quick_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "FIRST_NOTE_S", 0.2)
    monkeypatch.setattr(progress, "EVERY_S", 0.3)


def test_a_long_build_step_says_how_long_it_has_run() -> None:
    said: list[str] = []
    litellm_env._run_step(
        [sys.executable, "-c", "import time; time.sleep(1.2)"], "step 2 of 2 (pip)", said.append
    )
    notes = [line for line in said if line.startswith("  waiting for step 2 of 2 (pip): ")]
    assert notes, said
    assert notes[0].endswith(f"s of {litellm_env.INSTALL_TIMEOUT_S:.0f} s allowed")


def test_a_short_step_prints_nothing() -> None:
    said: list[str] = []
    litellm_env._run_step([sys.executable, "-c", "pass"], "step 1 of 2 (python)", said.append)
    assert said == []


def test_a_failing_step_shows_the_end_of_its_output() -> None:
    script = "import sys; print('resolving litellm'); sys.exit('no matching distribution')"
    with pytest.raises(VenvError) as caught:
        litellm_env._run_step([sys.executable, "-c", script], "step 2 of 2 (pip)", print)
    assert "building the LiteLLM venv failed" in str(caught.value)
    assert "resolving litellm\nno matching distribution" in str(caught.value)


def test_waiting_for_another_build_says_so(tmp_path: Path) -> None:
    lock_path = tmp_path / ".lock"
    other = lock_path.open("w")
    fcntl.flock(other, fcntl.LOCK_EX)  # "another process" builds
    threading.Timer(1.0, other.close).start()  # ... and finishes after a second
    said: list[str] = []
    began = time.monotonic()
    with lock_path.open("w") as mine:
        litellm_env._lock(mine, said.append)
    assert time.monotonic() - began >= 0.9
    assert said[0] == f"another process is building the LiteLLM venv ({lock_path}); waiting for it"
    assert any(line.startswith("  waiting for the other LiteLLM venv build: ") for line in said)
