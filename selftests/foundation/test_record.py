"""Verdict and run record for green, red and waived runs; waivers; results under xdist."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from verdict_suites import phase_suite

from gateproof.checklist import ITEMS

SUITE = """
import pytest

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-01")
def test_schema():
    pass

@pytest.mark.smoke
@pytest.mark.checklist("SMK-02", "PRE-INF-02")
def test_models():
    assert {SMK_02_OK}, "model list differs: missing ['qwen-coder-vllm']"

@pytest.mark.monitoring
@pytest.mark.checklist("MON-05")
def test_grafana():
    pytest.skip("N/A: Grafana is not part of this deployment (grafana.url is not set)")
"""


def make_suite(pytester: pytest.Pytester, *, smk02_ok: bool) -> None:
    pytester.makepyfile(**{"tests/test_suite": SUITE.replace("{SMK_02_OK}", str(smk02_ok))})


def read_record(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "rec" / "record.json").read_text())
    return data


def write_waivers(pytester: pytest.Pytester, text: str) -> None:
    (pytester.path / "config").mkdir(exist_ok=True)
    (pytester.path / "config" / "waivers.yaml").write_text(text)


def test_green_run_writes_both_files_with_every_item(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(("monitoring",), MON_05="na")})
    result = pytester.runpytest(
        "tests",
        "-m",
        "monitoring",
        "--gateproof-record",
        "rec",
        "--gateproof-signoff-deployer",
        "Ada",
        "--gateproof-signoff-verifier",
        "Grace",
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*gateproof verdict*",
            "scope: monitoring (from -m 'monitoring')",
            "phase monitoring  6 passed, 1 N/A",
            "*VERDICT: GREEN (*",
        ]
    )
    record = read_record(pytester)
    assert record["verdict"] == "GREEN"
    assert set(record["items"]) == {item.id for item in ITEMS}
    assert record["items"]["MON-01"]["outcome"] == "passed"
    assert record["items"]["MON-05"]["outcome"] == "not_applicable"
    assert record["items"]["PST-02"]["outcome"] == "out_of_scope"
    assert record["items"]["DOC-01"]["outcome"] == "passed"
    assert record["signoff"] == {"deployer": "Ada", "verifier": "Grace"}
    assert record["selected_phases"] == ["monitoring"]
    dt.datetime.fromisoformat(record["started"])
    checklist = (pytester.path / "rec" / "checklist.md").read_text()
    assert "- [x] **MON-01** Prometheus scraping all targets — passed" in checklist
    assert (
        "- [-] **MON-05** Grafana dashboard shows data — N/A: "
        "N/A: MON-05 is not part of this deployment"
    ) in checklist
    assert "- [ ] **SMK-02** All expected models listed — out of scope: phase smoke" in checklist
    assert "Deployment completed by: Ada" in checklist
    assert "Production-ready: ☒ Yes  ☐ No  ☐ With caveats" in checklist
    # the seed's order: configuration before smoke before monitoring before sign-off
    order = [checklist.index(x) for x in ("PRE-CFG-01", "SMK-02", "MON-05", "## Sign-off")]
    assert order == sorted(order)


def test_red_run(pytester: pytest.Pytester) -> None:
    make_suite(pytester, smk02_ok=False)
    result = pytester.runpytest("tests", "--gateproof-record", "rec")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*SMK-02      FAILED*", "*VERDICT: RED (2 item(s) failed or could not be checked*"]
    )
    record = read_record(pytester)
    assert record["verdict"] == "RED"
    assert "missing ['qwen-coder-vllm']" in record["items"]["SMK-02"]["tests"][0]["message"]
    checklist = (pytester.path / "rec" / "checklist.md").read_text()
    assert "- [ ] ❌ **SMK-02** ~~All expected models listed~~ — FAILED" in checklist
    assert "Production-ready: ☐ Yes  ☒ No  ☐ With caveats" in checklist


def test_waived_failure_gives_green_with_waivers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(("smoke",), SMK_02="fail")})
    write_waivers(
        pytester,
        "waivers:\n  - id: SMK-02\n    reason: vLLM model rolls out tomorrow\n"
        "    approver: ops-lead\n    expires: 2999-01-01\n",
    )
    result = pytester.runpytest("tests", "--gateproof-record", "rec", "-rx")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*VERDICT: GREEN WITH WAIVERS (1 item(s) waived: SMK-02)*", "*waived: SMK-02*ops-lead*"]
    )
    record = read_record(pytester)
    assert record["verdict"] == "GREEN_WITH_WAIVERS"
    assert record["items"]["SMK-02"]["outcome"] == "waived"
    assert record["waivers"][0]["approver"] == "ops-lead"
    checklist = (pytester.path / "rec" / "checklist.md").read_text()
    assert "Production-ready: ☐ Yes  ☐ No  ☒ With caveats" in checklist


def test_waiver_by_test_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(("smoke",), SMK_02="fail")})
    write_waivers(
        pytester,
        "waivers:\n  - id: tests/test_smoke.py::test_smk_02\n    reason: r\n"
        "    approver: a\n    expires: 2999-01-01\n",
    )
    pytester.runpytest("tests", "--gateproof-record", "rec")
    assert read_record(pytester)["verdict"] == "GREEN_WITH_WAIVERS"


def test_expired_waiver_waives_nothing_and_is_named(pytester: pytest.Pytester) -> None:
    make_suite(pytester, smk02_ok=True)
    write_waivers(
        pytester,
        "waivers:\n  - id: SMK-02\n    reason: old\n    approver: a\n    expires: 2020-01-01\n",
    )
    result = pytester.runpytest("tests", "--gateproof-record", "rec")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*problem: expired waiver *waivers.yaml:2: SMK-02 expired 2020-01-01*renew or remove*"]
    )
    assert read_record(pytester)["verdict"] == "RED"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "waivers:\n  - id: SMK-02\n    reason: r\n    expires: 2999-01-01\n",
            "*waivers.yaml:2: waiver #1: approver: Field required*",
        ),
        (
            "waivers:\n  - id: SMK-02\n    reason: r\n    approver: a\n    expires: someday\n",
            "*waivers.yaml:2: waiver #1: expires: Input should be a valid date*",
        ),
        (
            "waivers:\n  - id: NOPE-1\n    reason: r\n    approver: a\n    expires: 2999-01-01\n",
            "*id 'NOPE-1' is neither a checklist ID nor a test node id*",
        ),
        ("waivers: {id: SMK-02}\n", "*expected a mapping with a list under 'waivers:'*"),
    ],
    ids=["no-approver", "bad-date", "unknown-id", "not-a-list"],
)
def test_malformed_waiver_is_a_usage_error(
    pytester: pytest.Pytester, text: str, expected: str
) -> None:
    make_suite(pytester, smk02_ok=True)
    write_waivers(pytester, text)
    result = pytester.runpytest("tests")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gateproof waivers are invalid*", expected])


def test_results_are_the_same_under_xdist(pytester: pytest.Pytester) -> None:
    make_suite(pytester, smk02_ok=False)
    result = pytester.runpytest_subprocess(
        "tests", "-n", "2", "--gateproof-record", "rec", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(["*VERDICT: RED (2 item(s) failed or could not be checked*"])
    record = read_record(pytester)
    outcomes = {key: value["outcome"] for key, value in record["items"].items()}
    assert outcomes["PRE-CFG-01"] == "passed"
    assert outcomes["SMK-02"] == "failed"
    assert outcomes["MON-05"] == "not_applicable"
    assert record["phase_counts"]["smoke"] == {"failed": 1}


def test_html_report_has_phase_and_checklist_columns(pytester: pytest.Pytester) -> None:
    make_suite(pytester, smk02_ok=False)
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(autouse=True)
def _evidence(evidence):
    evidence.add("status", "404 from http://127.0.0.1:1/v1/models")
"""
    )
    pytester.runpytest("tests", "--html", "report.html", "--self-contained-html")
    html = Path(pytester.path / "report.html").read_text()
    assert "<th>Phase</th>" in html and "<th>Checklist</th>" in html
    assert "SMK-02, PRE-INF-02" in html
    assert "404 from http://127.0.0.1:1/v1/models" in html  # evidence attached to the failure
    assert "<th>Outcome</th>" in html
    # an N/A row's log is its reason, not the (path, line, text) tuple pytest keeps
    assert "N/A: Grafana is not part of this deployment (grafana.url is not set)" in html
    assert "Skipped: N/A" not in html


def test_record_and_signoff_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_suite(pytester, smk02_ok=True)
    monkeypatch.setenv("GATEPROOF_RECORD", "rec")
    monkeypatch.setenv("GATEPROOF_SIGNOFF_DEPLOYER", "Env Deployer")
    result = pytester.runpytest("tests")
    result.stdout.fnmatch_lines(["record: *rec/record.json*"])
    record = read_record(pytester)
    assert record["signoff"]["deployer"] == "Env Deployer"
    assert record["items"]["DOC-01"]["outcome"] == "not_run"  # no verifier: not signed off
    assert "sign-off missing" in record["items"]["DOC-01"]["reason"]
    checklist = (pytester.path / "rec" / "checklist.md").read_text()
    assert "**DOC-01** Deployment record and sign-off — NOT RUN: record written; sign-off" in (
        checklist
    )


def test_interrupted_run_is_red(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        **{
            "tests/test_stop": """
import pytest

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-01")
def test_first():
    pass

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-02")
def test_ctrl_c():
    raise KeyboardInterrupt
"""
        }
    )
    result = pytester.runpytest_subprocess("tests", "--gateproof-record", "rec")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    record = read_record(pytester)
    assert record["verdict"] == "RED"
    assert "interrupted" in record["verdict_reason"]


def test_item_with_a_gated_variant_reads_not_run_not_na(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        **{
            "tests/test_variants": """
import pytest

@pytest.mark.smoke
@pytest.mark.checklist("SMK-06")
def test_mock_variant():
    pytest.skip("N/A: mock fallbacks are off in this deployment")

@pytest.mark.smoke
@pytest.mark.destructive
@pytest.mark.checklist("SMK-06")
def test_destructive_variant():
    pass

@pytest.mark.smoke
@pytest.mark.checklist("SMK-01")
def test_health():
    pass
"""
        }
    )
    pytester.runpytest("tests", "--gateproof-record", "rec")
    items = read_record(pytester)["items"]
    assert items["SMK-06"]["outcome"] == "not_run"
    assert items["SMK-01"]["outcome"] == "passed"
