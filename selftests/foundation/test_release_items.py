"""DOC-01 and REL-01 are decided by the run itself: by the record and the HTML report really
written, not by the options that asked for them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from verdict_suites import REPORT_ARGS, Outputs, phase_suite

MONITORING = ("monitoring",)

REMOVE_THE_REPORT = """
from pathlib import Path

import pytest


class _RemoveReport:
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        Path("report.html").unlink()  # after pytest-html wrote it (registered after it)


def pytest_sessionstart(session):
    session.config.pluginmanager.register(_RemoveReport())
"""


def read_json(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "rec" / "record.json").read_text())
    return data


def junit_case(pytester: pytest.Pytester) -> ET.Element:
    case = ET.parse(pytester.path / "junit.xml").find(".//testcase[@name='verdict']")
    assert case is not None
    return case


def test_rel01_fails_when_the_report_is_gone_after_pytest_html_wrote_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING)})
    pytester.makeconftest(REMOVE_THE_REPORT)
    result = pytester.runpytest("tests", *REPORT_ARGS)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert not (pytester.path / "report.html").exists()
    record = read_json(pytester)
    rel01 = record["items"]["REL-01"]
    assert rel01["outcome"] == "failed"
    assert "report.html was asked for (--html) but is not on disk" in rel01["reason"]
    reason = "1 item(s) failed or could not be checked: REL-01"
    assert record["verdict_reason"] == reason
    result.stdout.fnmatch_lines([f"VERDICT: RED ({reason})"])
    # the record was rewritten with the final verdict, and JUnit carries it too
    checklist = (pytester.path / "rec" / "checklist.md").read_text()
    assert "Verdict: **RED**" in checklist
    assert "**REL-01** ~~HTML report for the release~~ — FAILED" in checklist
    failure = junit_case(pytester).find("failure")
    assert failure is not None and failure.get("message") == f"RED: {reason}"


def test_rel01_fails_when_pytest_html_cannot_write(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING)})
    (pytester.path / "report.html").mkdir()  # a directory where the file should go
    result = pytester.runpytest("tests", *REPORT_ARGS)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    rel01 = read_json(pytester)["items"]["REL-01"]
    assert rel01["outcome"] == "failed"
    assert rel01["reason"].startswith("pytest-html could not write ")
    assert "Is a directory" in rel01["reason"]
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_without_html_or_signoff_the_release_items_are_out_of_scope(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING)})
    result = pytester.runpytest("tests", "--gateproof-record", "rec")
    assert result.ret == pytest.ExitCode.OK
    items = read_json(pytester)["items"]
    assert items["REL-01"] == {
        **items["REL-01"],
        "outcome": "out_of_scope",
        "in_scope": False,
        "reason": "no HTML report asked for (--html FILE)",
    }
    assert items["DOC-01"]["outcome"] == "out_of_scope"
    assert items["DOC-01"]["reason"].startswith("record written without sign-off")


def test_doc01_passes_when_the_record_is_written_and_signed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING)})
    result = pytester.runpytest(
        "tests",
        *REPORT_ARGS,
        "--gateproof-signoff-deployer",
        "Ada",
        "--gateproof-signoff-verifier",
        "Grace",
    )
    out = Outputs.read(pytester, result)
    out.assert_agree("GREEN", [])
    doc01 = out.record["items"]["DOC-01"]
    assert (doc01["outcome"], doc01["in_scope"]) == ("passed", True)
    assert "signed off by Ada and Grace" in doc01["reason"]
    assert "Deployment completed by: Ada" in out.checklist
    assert "<td>Verified by</td><td>Grace</td>" in out.html


def test_doc01_half_signed_is_not_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING)})
    result = pytester.runpytest("tests", *REPORT_ARGS, "--gateproof-signoff-deployer", "Ada")
    out = Outputs.read(pytester, result)
    assert out.ret == pytest.ExitCode.TESTS_FAILED
    out.assert_agree("INCOMPLETE", ["DOC-01"])
    assert out.record["items"]["DOC-01"]["reason"] == (
        "record written; sign-off missing: verifier (--gateproof-signoff-verifier)"
    )


def test_doc01_fails_when_the_record_cannot_be_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING)})
    (pytester.path / "rec").write_text("a file, not a directory")
    result = pytester.runpytest("tests", "--gateproof-record", "rec", "--junitxml", "junit.xml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*DOC-01*FAILED*the record was asked for and not written: *rec*",
            "VERDICT: RED (1 item(s) failed or could not be checked: DOC-01)",
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert junit_case(pytester).find("failure") is not None
