"""`gateproof run`'s command line, built in process (no pytest started): its own options
before or after PHASES, pytest's arguments passed on, outputs defaulted unless named."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from gateproof.cli import build_parser
from gateproof.scaffold.commands import _split_run_args
from gateproof.scaffold.runner import RunError, invocation, parse_phases
from gateproof.scaffold.shipped import suite_dir


def _split(command: str) -> tuple[list[str], Path | None, list[str] | None]:
    args = build_parser().parse_args(shlex.split(command))
    rest = _split_run_args(args)
    return rest, args.out, args.checks


def test_own_options_before_or_after_phases() -> None:
    assert _split("run --out a predeploy -k x") == (["-k", "x"], Path("a"), [])
    assert _split("run predeploy --out a --checks team -k x") == (["-k", "x"], Path("a"), ["team"])
    # after --, everything is pytest's, even a name gateproof run uses itself
    rest, out, _ = _split("run smoke -k x -- --out z")
    assert (rest, out) == (["-k", "x", "--out", "z"], None)


def test_phases_are_checked() -> None:
    assert parse_phases("smoke,postdeploy") == ["smoke", "postdeploy"]
    with pytest.raises(RunError, match="give one or more of predeploy, smoke"):
        parse_phases("smoke,deploy")


def test_invocation_defaults_outputs_and_reads_the_repository_config(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ngateproof = true\n", "utf-8")
    (tmp_path / "checks").mkdir()
    call = invocation(["smoke", "postdeploy"], tmp_path, ["checks", "absent"], None, ["-x"], {})
    argv = call.argv[3:]
    assert argv[:4] == [str(suite_dir()), "checks", "-m", "smoke or postdeploy"]
    assert argv[argv.index("-o") + 1] == f"gateproof_suite_dirs={suite_dir()}\nchecks"
    assert argv[argv.index("--gateproof-record") + 1] == "records/smoke-postdeploy"
    assert argv[argv.index("--html") + 1] == "records/smoke-postdeploy/report.html"
    assert argv[argv.index("--junitxml") + 1] == "records/smoke-postdeploy/junit.xml"
    assert argv[-1] == "-x"
    assert shlex.split(call.env["PYTEST_ADDOPTS"]) == [
        "-c",
        str(tmp_path / "pytest.ini"),
        "--rootdir",
        str(tmp_path),
    ]
    own = invocation(["smoke"], tmp_path, [], None, ["--html=r.html", "--gateproof-record=x"], {})
    assert "--gateproof-record" not in own.argv
    assert "--html" not in own.argv
    assert "--junitxml" in own.argv


def test_without_pytest_config_it_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", "utf-8")
    with pytest.raises(RunError, match=r"no pytest config in .*gateproof scaffold DIR"):
        invocation(["smoke"], tmp_path, [], None, [], {})
