"""Helpers for the plugin's pytester tests: a clean environment and a settings writer."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GATEPROOF_* or secret variable of the outer shell leaks into an inner run."""
    for name in list(os.environ):
        if name.startswith("GATEPROOF_") or name in ("LITELLM_MASTER_KEY", "REDIS_PASSWORD"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings_file(pytester: pytest.Pytester) -> Callable[[str], None]:
    """Write ``config/gateproof.yaml`` in the inner project."""

    def write(text: str) -> None:
        (pytester.path / "config").mkdir(exist_ok=True)
        (pytester.path / "config" / "gateproof.yaml").write_text(text, encoding="utf-8")

    return write
