"""Each verdict of CHECKLIST.md's rules, with terminal, checklist.md, record.json, the HTML
report and the JUnit XML agreeing on it and on the items not run; exit codes; xdist."""

from __future__ import annotations

import pytest
from verdict_suites import REPORT_ARGS, Outputs, phase_suite

from gateproof.checklist import all_items

MONITORING = ("monitoring",)
SMOKE = ("smoke",)
POSTDEPLOY_ITEMS = [i.id for i in all_items() if i.phase == "postdeploy"]


def write_waivers(pytester: pytest.Pytester, *entries: tuple[str, str]) -> None:
    lines = ["waivers:"]
    for item_id, expires in entries:
        lines += [
            f"  - id: {item_id}",
            "    reason: accepted for this release",
            "    approver: ops-lead",
            f"    expires: {expires}",
        ]
    (pytester.path / "config").mkdir(exist_ok=True)
    (pytester.path / "config" / "waivers.yaml").write_text("\n".join(lines) + "\n")


def run(pytester: pytest.Pytester, *args: str) -> Outputs:
    result = pytester.runpytest("tests", *args, *REPORT_ARGS)
    return Outputs.read(pytester, result)


def test_green_every_in_scope_item_passed_or_na(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING, MON_05="na")})
    out = run(pytester, "-m", "monitoring")
    assert out.ret == pytest.ExitCode.OK
    out.assert_agree("GREEN", [])
    items = out.record["items"]
    assert items["MON-05"]["outcome"] == "not_applicable"
    assert items["REL-01"]["outcome"] == "passed"  # the HTML report was asked for and written
    assert items["DOC-01"]["outcome"] == "out_of_scope"  # record without sign-off
    assert items["SMK-01"]["outcome"] == "out_of_scope"
    assert items["SMK-01"]["reason"] == "phase smoke not selected"
    assert out.record["scope"] == {"phases": ["monitoring"], "how": "-m 'monitoring'"}


def test_green_with_waivers_covers_a_failure_and_a_not_run_item(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        **{"tests/test_mon": phase_suite(MONITORING, MON_01="fail", MON_06="absent")}
    )
    write_waivers(pytester, ("MON-01", "2999-01-01"), ("MON-06", "2999-01-01"))
    out = run(pytester, "-m", "monitoring")
    assert out.ret == pytest.ExitCode.OK
    out.assert_agree("GREEN_WITH_WAIVERS", [])
    items = out.record["items"]
    assert items["MON-01"]["outcome"] == "waived"
    assert items["MON-06"]["outcome"] == "waived"
    assert items["MON-06"]["reason"].startswith("not run (no test collected for this item)")
    assert "ops-lead" in out.html  # the waivers table


def test_incomplete_when_the_destructive_variant_is_gated_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(SMOKE, SMK_06="variants")})
    out = run(pytester, "-m", "smoke")
    assert out.ret == pytest.ExitCode.TESTS_FAILED
    out.assert_agree("INCOMPLETE", ["SMK-06"])
    smk06 = out.record["items"]["SMK-06"]
    assert smk06["outcome"] == "not_run"  # not N/A: one variant N/A, the other not allowed
    assert "--gateproof-allow-destructive" in smk06["reason"]
    assert "[ ] **SMK-06** Fallback behaviour — NOT RUN" in out.checklist
    assert "Production-ready: ☐ Yes  ☒ No  ☐ With caveats" in out.checklist


def test_incomplete_when_k_deselects_an_item_or_a_dependency_is_missing(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(SMOKE, SMK_05="dependency")})
    out = run(pytester, "-k", "not smk_01")
    assert out.ret == pytest.ExitCode.TESTS_FAILED
    out.assert_agree("INCOMPLETE", ["SMK-01", "SMK-05"])
    items = out.record["items"]
    assert items["SMK-01"]["reason"] == "deselected by -k 'not smk_01'"
    assert items["SMK-05"]["reason"] == "dependency for SMK-05 could not be checked"
    assert out.record["scope"]["phases"] == ["smoke"]


def test_a_passed_variant_checks_the_item_without_its_destructive_sibling(
    pytester: pytest.Pytester,
) -> None:
    suite = phase_suite(SMOKE, SMK_06="variants").replace(
        'pytest.skip("N/A: SMK-06 is not part of this deployment")', "pass"
    )
    pytester.makepyfile(**{"tests/test_smoke": suite})
    out = run(pytester)
    out.assert_agree("GREEN", [])
    assert out.record["items"]["SMK-06"]["outcome"] == "passed"


def test_red_by_failure_still_lists_the_items_not_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        **{"tests/test_smoke": phase_suite(SMOKE, SMK_02="fail", SMK_06="variants")}
    )
    out = run(pytester, "-m", "smoke")
    assert out.ret == pytest.ExitCode.TESTS_FAILED
    out.assert_agree("RED", ["SMK-06"])
    assert out.record["verdict_reason"] == "1 item(s) failed or could not be checked: SMK-02"
    assert "- [ ] ❌ **SMK-02** ~~All expected models listed~~ — FAILED" in out.checklist


def test_red_by_expired_waiver_shows_in_junit_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_mon": phase_suite(MONITORING)})
    write_waivers(pytester, ("MON-01", "2020-01-01"))
    out = run(pytester, "-m", "monitoring")
    assert out.ret == pytest.ExitCode.TESTS_FAILED
    out.assert_agree("RED", [])
    assert "expired waiver" in out.record["verdict_reason"]
    _, _, suite = out.junit_verdict()
    assert (suite.get("failures"), suite.get("errors")) == ("1", "0")


@pytest.mark.parametrize("expression", ["postdeploy", "smoke or postdeploy"])
def test_red_when_a_selected_phase_has_no_test(pytester: pytest.Pytester, expression: str) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(SMOKE)})
    out = run(pytester, "-m", expression)
    assert out.ret == pytest.ExitCode.TESTS_FAILED  # pytest alone would exit 5 for -m postdeploy
    out.assert_agree("RED", POSTDEPLOY_ITEMS)
    assert (
        "phase postdeploy was selected but the suite has no test for it"
        in out.record["verdict_reason"]
    )
    assert out.record["scope"]["phases"] == [p for p in ("smoke", "postdeploy") if p in expression]


def test_red_when_interrupted(pytester: pytest.Pytester) -> None:
    suite = phase_suite(MONITORING).replace(
        "def test_mon_02():\n    pass", "def test_mon_02():\n    raise KeyboardInterrupt"
    )
    pytester.makepyfile(**{"tests/test_mon": suite})
    result = pytester.runpytest_subprocess("tests", "-m", "monitoring", *REPORT_ARGS)
    out = Outputs.read(pytester, result)
    assert out.ret == pytest.ExitCode.INTERRUPTED
    not_reached = ["MON-02", "MON-03", "MON-05", "MON-06", "MON-07", "MON-08"]
    out.assert_agree("RED", not_reached)
    assert "the run was interrupted" in out.record["verdict_reason"]
    assert out.record["items"]["MON-03"]["reason"] == (
        "not reached: the run stopped before this test"
    )


@pytest.mark.parametrize(
    ("kinds", "k", "verdict", "not_run"),
    [
        # -k: the workers tell the controller what they deselected, and why
        ({"SMK_06": "variants"}, "not smk_01", "INCOMPLETE", ["SMK-01", "SMK-06"]),
        ({"SMK_02": "fail", "SMK_05": "dependency"}, "", "RED", ["SMK-05"]),
    ],
    ids=["incomplete", "red"],
)
def test_xdist_gives_the_same_verdict(
    pytester: pytest.Pytester, kinds: dict[str, str], k: str, verdict: str, not_run: list[str]
) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(SMOKE, **kinds)})
    plain = run(pytester, "-m", "smoke or postdeploy", "-k", k)
    result = pytester.runpytest_subprocess(
        "tests", "-n", "2", "-m", "smoke or postdeploy", "-k", k, *REPORT_ARGS
    )
    parallel = Outputs.read(pytester, result)
    # postdeploy selected but without tests: RED either way, its items not run
    parallel.assert_agree("RED", not_run + POSTDEPLOY_ITEMS)
    plain.assert_agree("RED", not_run + POSTDEPLOY_ITEMS)
    assert parallel.ret == plain.ret == pytest.ExitCode.TESTS_FAILED

    def outcomes(out: Outputs) -> dict[str, str]:
        return {k: v["outcome"] for k, v in out.record["items"].items()}

    assert outcomes(parallel) == outcomes(plain)
    assert parallel.record["verdict_reason"] == plain.record["verdict_reason"]
    # and without the empty phase, the verdict of the smoke phase itself
    result = pytester.runpytest_subprocess("tests", "-n", "2", "-m", "smoke", "-k", k, *REPORT_ARGS)
    Outputs.read(pytester, result).assert_agree(verdict, not_run)


def test_junit_cases_carry_the_outcome_of_the_whole_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        **{"tests/test_smoke": phase_suite(SMOKE, SMK_02="fail", SMK_06="variants")}
    )
    out = run(pytester, "-m", "smoke")
    shown = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}.get(
            "gateproof_outcome"
        )
        for case in out.junit.iter("testcase")
    }
    # junitxml keeps the teardown report's properties: they must not read "passed"
    assert shown["test_smk_02"] == "failed"
    assert shown["test_smk_06_mock"] == "not_applicable"
    assert shown["test_smk_06"] == "not_run"


def test_collect_only_gives_no_verdict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(SMOKE, SMK_06="absent")})
    result = pytester.runpytest("tests", "--co", "--gateproof-record", "rec")
    assert result.ret == pytest.ExitCode.OK
    assert "VERDICT" not in result.stdout.str()
    assert not (pytester.path / "rec").exists()


def test_a_waiver_by_test_id_covers_that_test_not_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_smoke": phase_suite(SMOKE, SMK_06="variants")})
    write_waivers(pytester, ("tests/test_smoke.py::test_smk_06", "2999-01-01"))
    out = run(pytester, "-m", "smoke")
    assert out.ret == pytest.ExitCode.OK
    out.assert_agree("GREEN_WITH_WAIVERS", [])
    assert out.record["items"]["SMK-06"]["reason"].startswith("not run (not run: destructive")


SNAPSHOT_HALF = """
import pytest

@pytest.mark.predeploy
@pytest.mark.checklist("PST-09")
def test_snapshot_saved():
    pass
"""


def test_a_test_of_an_unselected_phase_does_not_leave_its_item_unchecked(
    pytester: pytest.Pytester,
) -> None:
    """PST-09 is checked in postdeploy; its predeploy half (the snapshot), deselected by
    -m postdeploy, is not the item left unchecked."""
    pytester.makepyfile(
        **{"tests/test_post": phase_suite(("postdeploy",)), "tests/test_pre": SNAPSHOT_HALF}
    )
    out = run(pytester, "-m", "postdeploy")
    out.assert_agree("GREEN", [])
    assert out.record["items"]["PST-09"]["outcome"] == "passed"
    failing = {
        "tests/test_post": phase_suite(("postdeploy",), PST_09="fail"),
        "tests/test_pre": SNAPSHOT_HALF,
    }
    pytester.makepyfile(**failing)
    out = run(pytester, "-m", "postdeploy")
    assert out.record["items"]["PST-09"]["outcome"] == "failed"
    both = run(pytester, "-m", "predeploy or postdeploy")
    assert both.record["items"]["PST-09"]["outcome"] == "failed"


def test_a_failed_test_whose_items_are_out_of_scope_is_never_green(
    pytester: pytest.Pytester,
) -> None:
    """The snapshot test failing in a -m predeploy run (its item PST-09 is out of scope there)
    still makes the run RED."""
    failing_half = SNAPSHOT_HALF.replace("    pass", '    assert False, "snapshot not saved"')
    pytester.makepyfile(
        **{"tests/test_pre": phase_suite(("predeploy",)), "tests/test_snap": failing_half}
    )
    out = run(pytester, "-m", "predeploy")
    assert out.ret == pytest.ExitCode.TESTS_FAILED
    assert out.record["verdict"] == "RED"
    assert out.record["items"]["PST-09"]["outcome"] == "out_of_scope"
    assert any("test_snapshot_saved" in p for p in out.record["problems"]), out.record["problems"]
