"""Every broken or edge-case source set in fixtures/configs fails exactly the checklist item
its expect.yaml names (plus the listed consequences), with the expected message fragment."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from gateproof.config_checks import run_all
from gateproof.errors import ConfigError
from gateproof.generate import generate
from gateproof.schema import GENERATED_FILE

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "configs"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expect.yaml").is_file())
LOCATED = re.compile(r"^\S+:\d+: ")


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_case_fails_the_expected_item(case: str, tmp_path: Path) -> None:
    source = CASES_DIR / case
    expect = yaml.safe_load((source / "expect.yaml").read_text(encoding="utf-8"))
    work = tmp_path / "config"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("expect.yaml"))
    if not (work / GENERATED_FILE).exists():
        with contextlib.suppress(ConfigError):
            generate(work)  # cases about the sources get a matching generated file

    results = run_all(work)

    failing = {item for item, findings in results.items() if findings}
    wanted = ({expect["id"]} if expect["id"] else set()) | set(expect.get("also", []))
    assert failing == wanted, f"{case}: failing {sorted(failing)}, expected {sorted(wanted)}\n" + (
        "\n".join(f"{k}: {v}" for k, v in results.items() if v)
    )
    if expect["id"]:
        findings = results[expect["id"]]
        assert any(expect["message"] in f for f in findings), (
            f"{case}: no {expect['id']} finding contains {expect['message']!r}:\n"
            + "\n".join(findings)
        )
    for findings in results.values():
        for finding in findings:
            assert LOCATED.match(finding), f"finding without file:line: {finding!r}"
            if expect.get("never_shows"):
                assert expect["never_shows"] not in finding, "a secret value was echoed"
