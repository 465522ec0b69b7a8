"""PRE-TST-01: the deployment repo's own unit tests pass, with line coverage at or above
``unit_tests.min_coverage``.

Either ``unit_tests.command`` runs them here (then its reports must come from this run), or
the JUnit XML and coverage.py report that CI's unit-test step wrote are read (then they must be
newer than every file they cover). No ``unit_tests`` section: N/A.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gateproof.errors import ProbeError
from gateproof.failure import Check
from gateproof.probes import unit_tests as probe
from gateproof.settings import Settings, UnitTests

# Reports stamp what they cover to the second on some file systems.
SLACK_S = 1.0


def _section(settings: Settings) -> UnitTests:
    if settings.unit_tests is None:
        pytest.skip("N/A: the deployment's unit tests are not configured (unit_tests is not set)")
    return settings.unit_tests


def _when(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="seconds")


def _fresh(report: Path, setting: str, run: probe.CommandRun | None, workdir: Path,
           covered: list[str]) -> None:  # fmt: skip
    """Reports of a run come from it; reports read from CI are newer than what they cover."""
    written = report.stat().st_mtime
    if run is not None:
        if written < run.started - SLACK_S:
            raise ProbeError(
                f"the unit-test command did not write {report} (it is from {_when(written)})",
                target=report.as_posix(),
                setting=f"{setting} / unit_tests.command",
                hint="make the command write this report, or fix the path",
            )
        return
    newer = [p for p in (workdir / c for c in covered) if p.is_file()]
    newer = [p for p in newer if p.stat().st_mtime > written + SLACK_S]
    if newer:
        first = f"{newer[0]} ({_when(newer[0].stat().st_mtime)})"
        raise ProbeError(
            f"the report {report} ({_when(written)}) is older than the code it covers: "
            f"{len(newer)} file(s) changed since, e.g. {first}",
            target=report.as_posix(),
            setting=setting,
            hint="run the unit-test step again (or configure unit_tests.command to run it here)",
        )


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-01")
def test_unit_tests_pass_with_enough_coverage(
    gateproof_settings: Settings, pytestconfig: pytest.Config, check: Check
) -> None:
    section = _section(gateproof_settings)
    workdir = pytestconfig.invocation_params.dir / section.workdir
    coverage_path = workdir / section.coverage_report
    junit_path = workdir / section.junit_xml if section.junit_xml else None
    run = None
    if section.command:
        run = probe.run_command(section.command, workdir, section.timeout_s)
        check.evidence.add("command", f"{run.command} (in {workdir}): exit {run.returncode}, "
                           f"{run.seconds:.1f} s")  # fmt: skip
    junit = probe.read_junit(junit_path) if junit_path else None
    if junit_path is not None and junit is not None:
        _fresh(junit_path, "unit_tests.junit_xml", run, workdir, [])
        check.evidence.add(
            "junit", f"{junit_path}: {junit.tests} test(s), {len(junit.failed)} failed"
        )
    failed = junit.failed if junit else []
    if (run is not None and run.returncode != 0) or failed:
        where = (
            f"{section.command} (in {workdir})" if run else f"{junit_path} (unit_tests.junit_xml)"
        )
        check.fail(
            "the deployment's unit tests fail",
            target=where,
            expected="exit 0 and no failed test",
            actual=(f"exit {run.returncode}, " if run else "") + f"{len(failed)} failed test(s)",
            details=[
                *[("failed", f) for f in failed[:20]],
                *([("output", run.output_tail)] if run and not failed else []),
            ],
            reproduce=f"cd {workdir} && {section.command or '<the CI unit-test step>'}",
        )
    coverage = probe.read_coverage(coverage_path)
    covered = [f.path for f in coverage.files]
    _fresh(coverage_path, "unit_tests.coverage_report", run, workdir, covered)
    if junit_path is not None and run is None:
        _fresh(junit_path, "unit_tests.junit_xml", run, workdir, covered)
    measured = f"{coverage.statements} statements in {len(coverage.files)} file(s)"
    check.evidence.add("coverage", f"{coverage_path}: {coverage.ratio:.1%} of {measured}")
    minimum = section.min_coverage
    if coverage.ratio < minimum:
        uncovered = coverage.statements - sum(f.covered for f in coverage.files)
        worst = sorted(
            coverage.files, key=lambda f: f.covered / f.statements if f.statements else 1
        )
        check.fail(
            f"line coverage {coverage.ratio:.1%} is below {minimum:.0%} (unit_tests.min_coverage)",
            target=f"{coverage_path} (from unit_tests.coverage_report)",
            expected=f">= {minimum:.0%} of {coverage.statements} statements",
            actual=f"{coverage.ratio:.1%}: {uncovered} statement(s) not run by any test",
            details=[
                (
                    "uncovered",
                    f"{f.path}: {len(f.missing)}/{f.statements} lines not run "
                    f"({probe.spans(f.missing)[:120]})",
                )
                for f in worst
                if f.missing
            ][:15],
            reproduce=f"cd {workdir} && python -m coverage report --show-missing",
        )
