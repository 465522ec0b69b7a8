"""gateproof stays out of a suite that did not opt in, and serves one that did."""

from __future__ import annotations

import re

import pytest

PLAIN = """
import pytest

def test_util():
    assert 1 + 1 == 2

@pytest.mark.smoke
def test_own_smoke_marker():
    pass

def test_fails():
    assert "a" == "b"
"""


def _ini(pytester: pytest.Pytester, text: str) -> None:
    (pytester.path / "pytest.ini").write_text(text, encoding="utf-8")


def _normalised(result: pytest.RunResult) -> str:
    """The run's output, without timings and pytester's own "running: ARGV" lines."""
    lines = result.stdout.lines + result.stderr.lines
    kept = [line for line in lines if not line.startswith(("running:", "     in:"))]
    return re.sub(r"in \d+\.\d+s", "in Ts", "\n".join(kept))


@pytest.mark.plain_project
@pytest.mark.parametrize("failing", [False, True], ids=["all-pass", "one-fails"])
def test_plain_project_runs_as_if_not_installed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, failing: bool
) -> None:
    body = PLAIN if failing else PLAIN.split("def test_fails", maxsplit=1)[0]
    pytester.makepyfile(**{"tests/test_util": body})
    _ini(pytester, "[pytest]\ntestpaths = tests\n")
    # Exported variables alone do not opt in: no settings read, no record written.
    monkeypatch.setenv("GATEPROOF_RECORD", str(pytester.path / "rec"))
    monkeypatch.setenv("GATEPROOF_CONFIG", "missing.yaml")
    with_plugin = pytester.runpytest_subprocess("-rA")
    without = pytester.runpytest_subprocess("-rA", "-p", "no:gateproof")
    assert with_plugin.ret == without.ret == (1 if failing else 0)
    assert with_plugin.parseoutcomes() == without.parseoutcomes()
    assert _normalised(with_plugin) == _normalised(without)
    assert "gateproof" not in _normalised(with_plugin).lower()
    assert not (pytester.path / "rec").exists()


@pytest.mark.plain_project
def test_plain_project_with_strict_markers_sees_no_phase_markers(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(**{"tests/test_util": "def test_util():\n    pass\n"})
    result = pytester.runpytest("--strict-markers", "--strict-config", "--markers")
    assert result.ret == pytest.ExitCode.OK
    assert "predeploy" not in result.stdout.str()


@pytest.mark.plain_project
def test_any_gateproof_option_opts_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_show="def test_show(gateproof_settings):\n"
        "    print('URL=%s' % gateproof_settings.gateway.url)\n"
    )
    result = pytester.runpytest("-s", "--gateproof-gateway-url", "http://cli:3")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*URL=http://cli:3*"])


def test_header_names_the_settings_file(pytester: pytest.Pytester) -> None:
    (pytester.path / "my settings.yaml").write_text("deployment: {name: x}\n")
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest("--gateproof-config=my settings.yaml")
    result.stdout.fnmatch_lines([f"gateproof settings: {pytester.path / 'my settings.yaml'}"])


def test_header_says_which_defaults_a_run_without_settings_used(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEPROOF_TIMEOUTS_CONNECT_S", "1")
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            f"gateproof settings: none ({pytester.path / 'config' / 'gateproof.yaml'} not found):"
            " built-in defaults, config_dir=config, no component configured (their checks are "
            "N/A); overridden: GATEPROOF_TIMEOUTS_CONNECT_S"
        ]
    )


def test_named_but_missing_settings_file_is_an_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--gateproof-config=nope.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*settings file *nope.yaml does not exist*"])


@pytest.mark.plain_project  # its own ini opts in
def test_config_value_that_moves_the_rootdir_stops_with_the_fix(
    pytester: pytest.Pytester,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pytest infers rootdir from the bare value: the run stops with the '=' form to use."""
    # Under an outer `-n 2` this process is an xdist worker, whose variable would make the
    # inner run skip the check (a worker leaves it to its controller).
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    _ini(pytester, "[pytest]\ngateproof = true\ntestpaths = tests\n")
    pytester.makepyfile(**{"tests/test_a": "def test_a():\n    pass\n"})
    elsewhere = tmp_path_factory.mktemp("run dir") / "settings.yaml"
    elsewhere.write_text("deployment: {name: elsewhere}\n")
    result = pytester.runpytest_subprocess("--gateproof-config", str(elsewhere))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: gateproof: pytest took the folder of*write '--gateproof-config={elsewhere}'*"]
    )
    fixed = pytester.runpytest_subprocess(f"--gateproof-config={elsewhere}")
    fixed.assert_outcomes(passed=1)
    fixed.stdout.fnmatch_lines([f"rootdir: {pytester.path}", f"gateproof settings: {elsewhere}"])


@pytest.mark.plain_project  # its own ini opts in
def test_config_value_inside_the_project_is_fine(pytester: pytest.Pytester) -> None:
    _ini(pytester, "[pytest]\ngateproof = true\ntestpaths = tests\n")
    pytester.makepyfile(**{"tests/test_a": "def test_a():\n    pass\n"})
    (pytester.path / "runs" / "ref").mkdir(parents=True)
    (pytester.path / "runs" / "ref" / "settings.yaml").write_text("{}\n")
    result = pytester.runpytest("--gateproof-config", "runs/ref/settings.yaml")
    result.assert_outcomes(passed=1)


def test_gateproof_modules_are_imported_without_assert_rewriting(pytester: pytest.Pytester) -> None:
    """Rewriting them costs start-up time and gains nothing (their asserts narrow types);
    the suite's own test modules are still rewritten."""
    pytester.makepyfile(
        test_loaders="""
        import sys

        import gateproof.cmdline

        def test_loaders():
            rewriter = "AssertionRewritingHook"
            assert type(sys.modules["gateproof.cmdline"].__loader__).__name__ != rewriter
            assert type(__loader__).__name__ == rewriter
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
