"""Helpers of the monitoring checks: a deadline-bound wait and the control hooks that stop
and start a provider."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar

from gateproof.errors import ProbeError

T = TypeVar("T")


def wait_for(probe: Callable[[], T], done: Callable[[T], bool], deadline_s: float) -> T:
    """Call ``probe`` until ``done`` holds or ``deadline_s`` passed; return the last result."""
    __tracebackhide__ = True
    end = time.monotonic() + deadline_s
    result = probe()
    while not done(result) and time.monotonic() < end:
        time.sleep(0.25)
        result = probe()
    return result


def run_hook(command: str, setting: str, evidence: Any) -> None:
    """Run a control command from the settings (a shell command), with a deadline."""
    __tracebackhide__ = True
    try:
        done = subprocess.run(
            command, shell=True, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProbeError(f"{setting} could not run: {exc}", setting=setting) from None
    evidence.add("hook", f"{setting}: rc {done.returncode}")
    if done.returncode != 0:
        raise ProbeError(
            f"{setting} failed (rc {done.returncode}): {done.stderr.strip()[-300:]}",
            setting=setting,
            hint=f"run it by hand: {command}",
        )
