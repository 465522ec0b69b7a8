"""A run configured with unique secret values leaves none of them in any output or file."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

LEAKY = """
import logging
import os
import pytest

@pytest.mark.smoke
@pytest.mark.checklist("SMK-01")
def test_leaks_everywhere(gateproof_settings, evidence):
    key = gateproof_settings.resolve_secret("os.environ/GP_MASTER", "gateway.master_key")
    password = gateproof_settings.resolve_secret("os.environ/GP_REDIS", "redis.password")
    print("stdout", key, password)
    logging.getLogger("x").warning("log %s", key)
    evidence.add("request", "Authorization: Bearer " + key)
    assert key == password, f"key {key} differs from {password}"

@pytest.mark.smoke
@pytest.mark.checklist("SMK-02")
def test_error_message_with_secret(gateproof_settings):
    raise RuntimeError("boom " + os.environ["GP_MASTER"])
"""


def test_no_secret_reaches_terminal_reports_or_records(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = f"sk-unique-{secrets.token_hex(12)}"
    redis_password = f"pw-unique-{secrets.token_hex(12)}"
    monkeypatch.setenv("GP_MASTER", master)
    (pytester.path / "secrets.env").write_text(f"GP_REDIS={redis_password}\n")
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "gateproof.yaml").write_text(
        "secrets_file: secrets.env\n"
        "gateway: {url: 'http://127.0.0.1:9', master_key: os.environ/GP_MASTER}\n"
        "redis: {port: 9, password: os.environ/GP_REDIS}\n"
    )
    pytester.makepyfile(**{"tests/test_leaky": LEAKY})
    result = pytester.runpytest_subprocess(
        "tests",
        "-rA",
        "-v",
        "--gateproof-record",
        "rec",
        "--junitxml",
        "junit.xml",
        "--html",
        "report.html",
        "--self-contained-html",
    )
    result.assert_outcomes(failed=2)
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for name in ("rec/record.json", "rec/checklist.md", "junit.xml", "report.html"):
        outputs[name] = Path(pytester.path / name).read_text()
    assert "***" in outputs["stdout"]  # the masked values are there, the secrets are not
    for where, text in outputs.items():
        assert master not in text, f"master key leaked into {where}"
        assert redis_password not in text, f"Redis password leaked into {where}"


URL_LEAK = """
import pytest

@pytest.mark.monitoring
@pytest.mark.checklist("MON-01")
def test_names_its_url(gateproof_settings):
    raise AssertionError("could not reach " + gateproof_settings.prometheus.url)
"""


def test_credentials_in_a_component_url_are_masked(pytester: pytest.Pytester) -> None:
    password = f"pw-url-{secrets.token_hex(12)}"
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "gateproof.yaml").write_text(
        f"gateway: {{url: 'http://ops:{password}@127.0.0.1:9'}}\n"
        f"prometheus: {{url: 'http://ops:{password}@127.0.0.1:9'}}\n"
    )
    pytester.makepyfile(**{"tests/test_url": URL_LEAK})
    result = pytester.runpytest_subprocess(
        "tests", "-rA", "--gateproof-record", "rec", "--html", "report.html"
    )
    result.assert_outcomes(failed=1)
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for name in ("rec/record.json", "rec/checklist.md", "report.html"):
        outputs[name] = Path(pytester.path / name).read_text()
    assert "http://***@127.0.0.1:9" in outputs["stdout"]
    for where, text in outputs.items():
        assert password not in text, f"the URL's password leaked into {where}"
