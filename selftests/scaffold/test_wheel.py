"""The wheel carries the acceptance suite (every file of tests/, including folders added
later), the scaffold's templates and the reference rules: nothing listed by hand."""

from __future__ import annotations

import zipfile

from scaffold_env import CHECKOUT, Installed


def _shipped(folder: str) -> set[str]:
    root = CHECKOUT / folder
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_wheel_carries_the_suite_templates_and_rules(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    suite = {n.removeprefix("gateproof/suite/") for n in names if n.startswith("gateproof/suite/")}
    assert suite == _shipped("tests")
    assert any(n.startswith("unit/") for n in suite)  # not vacuous
    reference = "gateproof/scaffold/reference/monitoring/"
    rules = {n.removeprefix(reference) for n in names if n.startswith(reference)}
    assert rules == {
        f"prometheus/{part}/{name}"
        for part in ("rules", "tests")
        for name in _shipped(f"monitoring/prometheus/{part}")
    }
    templates = "gateproof/scaffold/templates/"
    assert {
        f"{templates}github-workflow.yml",
        f"{templates}gitlab-ci.yml",
        f"{templates}checks/test_team_checks.py",
    } <= names
