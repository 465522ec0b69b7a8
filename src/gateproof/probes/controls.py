"""The provider control hooks of the settings (``provider_controls.<name>.stop`` / ``.start``):
shell commands the destructive checks (SMK-06, PST-03, MON-07) run to stop a provider and
start it again. A hook that cannot run or exits non-zero is a ProbeError naming its setting:
the check could not be made, nothing about the gateway was learned."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from gateproof.errors import ProbeError
from gateproof.evidence import Evidence

HOOK_TIMEOUT_S = 30.0
T = TypeVar("T")


def run_hook(command: str, setting: str, evidence: Evidence) -> None:
    """Run ``command`` (from ``setting``) through the shell, within HOOK_TIMEOUT_S."""
    __tracebackhide__ = True
    try:
        done = subprocess.run(
            command,
            shell=True,
            capture_output=True,
            text=True,
            timeout=HOOK_TIMEOUT_S,
            check=False,
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


def while_stopped(
    controls: Mapping[str, Any],
    provider: str,
    why: str,
    evidence: Evidence,
    action: Callable[[], T],
) -> T:
    """Stop ``provider`` with its hook, run ``action``, and start it again whatever happened.
    No hook for it is a ProbeError naming ``provider_controls.<provider>``."""
    __tracebackhide__ = True
    control = controls.get(provider)
    if control is None:
        raise ProbeError(
            f"cannot stop provider '{provider}' ({why}): no control hook",
            setting=f"provider_controls.{provider}",
            hint="add stop/start shell commands for it, or allow mock fallbacks in staging",
        )
    run_hook(control.stop, f"provider_controls.{provider}.stop", evidence)
    try:
        return action()
    finally:
        run_hook(control.start, f"provider_controls.{provider}.start", evidence)
