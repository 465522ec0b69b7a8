"""Marker rules: phase and checklist IDs are required; destructive and load are opt-in."""

from __future__ import annotations

import pytest

GOOD = """
import pytest

@pytest.mark.predeploy
@pytest.mark.checklist("PRE-CFG-01")
def test_good():
    pass
"""


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.predeploy:*",
            "@pytest.mark.smoke:*",
            "@pytest.mark.postdeploy:*",
            "@pytest.mark.monitoring:*",
            "@pytest.mark.destructive:*",
            "@pytest.mark.load:*",
            "@pytest.mark.checklist(*ids):*",
        ]
    )


@pytest.mark.parametrize(
    ("decorators", "expected"),
    [
        ('@pytest.mark.checklist("PRE-CFG-01")', "*test_x.py::test_it: no phase marker*"),
        (
            '@pytest.mark.smoke\n@pytest.mark.predeploy\n@pytest.mark.checklist("SMK-01")',
            "*test_it: 2 phase markers (predeploy, smoke); keep exactly one*",
        ),
        ("@pytest.mark.smoke", "*test_it: no checklist ID*"),
        (
            '@pytest.mark.smoke\n@pytest.mark.checklist("SMK-99")',
            "*test_it: unknown checklist ID(s) SMK-99*",
        ),
    ],
    ids=["missing-phase", "two-phases", "missing-id", "unknown-id"],
)
def test_marker_violations_fail_collection(
    pytester: pytest.Pytester, decorators: str, expected: str
) -> None:
    pytester.makepyfile(
        **{"tests/test_x": f"import pytest\n\n{decorators}\ndef test_it():\n    pass\n"}
    )
    result = pytester.runpytest("tests")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*acceptance tests with missing or wrong markers*", expected])


def test_unmarked_test_outside_suite_dirs_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(helpers_test="def test_plain():\n    assert True\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_strict_markers_reject_a_typo(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        **{"tests/test_x": "import pytest\n\n@pytest.mark.smok\ndef test_it():\n    pass\n"}
    )
    result = pytester.runpytest("--strict-markers", "tests")
    result.stdout.fnmatch_lines(["*'smok' not found in `markers` configuration option*"])


GATED = """
import pytest

@pytest.mark.smoke
@pytest.mark.destructive
@pytest.mark.checklist("SMK-06")
def test_breaks_things():
    pass

@pytest.mark.predeploy
@pytest.mark.load
@pytest.mark.checklist("PRE-TST-05")
def test_hammer():
    pass
"""


def test_destructive_and_load_are_skipped_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_gated": GATED})
    result = pytester.runpytest("tests", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*not run: destructive*--gateproof-allow-destructive*",
            "*not run: load test; pass --gateproof-load*",
        ]
    )


def test_destructive_and_load_run_when_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"tests/test_gated": GATED})
    result = pytester.runpytest("tests", "--gateproof-allow-destructive", "--gateproof-load")
    result.assert_outcomes(passed=2)


def test_marker_violation_under_xdist_fails_the_test_with_the_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        **{
            "tests/test_x": (
                "import pytest\n\n"
                "@pytest.mark.smoke\n@pytest.mark.checklist('SMK-99')\n"
                "def test_unknown_id():\n    pass\n\n"
                "@pytest.mark.smoke\n"
                "def test_no_id():\n    pass\n"
            )
        }
    )
    result = pytester.runpytest_subprocess("tests", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*missing or wrong markers: unknown checklist ID(s) SMK-99*",
            "*VERDICT: RED*",
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
