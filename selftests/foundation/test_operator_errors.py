"""Operator mistakes end in a message that names the fix, never a traceback or a leaked secret."""

from __future__ import annotations

from collections.abc import Callable

import pytest

SUITE = """
import pytest

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-01")
def test_schema():
    pass
"""


def test_section_error_does_not_echo_a_literal_secret(
    pytester: pytest.Pytester, settings_file: Callable[[str], None]
) -> None:
    settings_file("gateway:\n  master_key: sk-literal-0xC0FFEE-99\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gateway.url: Field required*"])
    assert "sk-literal-0xC0FFEE-99" not in result.stdout.str() + result.stderr.str()


def test_impossible_date_in_settings_is_a_usage_error(
    pytester: pytest.Pytester, settings_file: Callable[[str], None]
) -> None:
    settings_file("deployment:\n  name: 2020-13-01\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gateproof.yaml:2: not valid YAML*month must be in 1..12*"])


def test_waivers_key_without_entries_means_none(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_suite": SUITE})
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "waivers.yaml").write_text("# none yet\nwaivers:\n")
    result = pytester.runpytest("tests")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the rest of predeploy has no test
    result.stdout.fnmatch_lines(["VERDICT: INCOMPLETE (*"])


def test_impossible_waiver_expiry_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "waivers.yaml").write_text(
        "waivers:\n  - id: PRE-CFG-01\n    reason: r\n    approver: a\n    expires: 2026-13-01\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*waivers.yaml: cannot read waivers*month must be in 1..12*"])


def test_unreadable_secrets_file_is_a_usage_error(
    pytester: pytest.Pytester, settings_file: Callable[[str], None]
) -> None:
    settings_file("secrets_file: secrets.env\n")
    (pytester.path / "secrets.env").write_bytes(b"KEY=\xff\xfe\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot read secrets_file*secrets.env*UTF-8*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_unwritable_record_dir_turns_the_run_red_without_traceback(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(**{"tests/test_suite": SUITE})
    (pytester.path / "rec").write_text("a file, not a directory")
    result = pytester.runpytest("tests", "--gateproof-record", "rec")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*DOC-01*FAILED*the record was asked for and not written: *rec*",
            "VERDICT: RED (1 item(s) failed or could not be checked: DOC-01)",
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
