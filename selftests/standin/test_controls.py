"""The provider control hooks (probes/controls.py) that SMK-06, PST-03 and MON-07 run: a hook
that fails is could-not-check naming its setting, never a silent pass."""

from __future__ import annotations

import pytest

from gateproof.errors import ProbeError
from gateproof.evidence import Evidence
from gateproof.probes import controls


def test_a_hook_that_succeeds_is_in_the_evidence() -> None:
    evidence = Evidence()
    controls.run_hook("true", "provider_controls.p.stop", evidence)
    assert evidence.entries == [("hook", "provider_controls.p.stop: rc 0")]


def test_a_failing_hook_names_its_setting_and_its_error() -> None:
    with pytest.raises(ProbeError) as caught:
        controls.run_hook("echo no such unit >&2; exit 5", "provider_controls.p.start", Evidence())
    assert caught.value.setting == "provider_controls.p.start"
    assert "failed (rc 5): no such unit" in str(caught.value)


def test_a_hung_hook_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(controls, "HOOK_TIMEOUT_S", 0.2)
    with pytest.raises(ProbeError, match="could not run"):
        controls.run_hook("sleep 5", "provider_controls.p.stop", Evidence())
