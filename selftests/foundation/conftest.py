"""Helpers for the plugin's pytester tests: a clean environment, an opted-in inner project,
and a settings writer."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

# What the repo's pyproject.toml says (this suite uses gateproof, and every test under tests/
# is an acceptance test), as overrides: an ini file the test writes still counts.
OPT_IN = "-o gateproof=true -o gateproof_suite_dirs=tests"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GATEPROOF_* or secret variable of the outer shell leaks into an inner run."""
    for name in list(os.environ):
        if name.startswith("GATEPROOF_") or name in ("LITELLM_MASTER_KEY", "REDIS_PASSWORD"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


@pytest.fixture(autouse=True)
def _opted_in(request: pytest.FixtureRequest, _clean_env: None) -> None:
    """An inner project opts in to gateproof as the repo does, unless the test says
    ``@pytest.mark.plain_project`` (a suite that never heard of gateproof)."""
    if "pytester" in request.fixturenames and not request.node.get_closest_marker("plain_project"):
        request.getfixturevalue("pytester")  # first: it clears PYTEST_ADDOPTS
        monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("PYTEST_ADDOPTS", OPT_IN)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "plain_project: the inner pytester project does not opt in")


@pytest.fixture
def settings_file(pytester: pytest.Pytester) -> Callable[[str], None]:
    """Write ``config/gateproof.yaml`` in the inner project."""

    def write(text: str) -> None:
        (pytester.path / "config").mkdir(exist_ok=True)
        (pytester.path / "config" / "gateproof.yaml").write_text(text, encoding="utf-8")

    return write
