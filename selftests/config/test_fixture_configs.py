"""Every broken or edge-case source set in fixtures/configs, proven through the acceptance tests
themselves: an inner run of the static config checks (``tests/unit``) with
``--gateproof-config-dir CASE`` must make exactly the items its expect.yaml names red (its own
item with the message fragment, plus the listed consequences), read from the run's
record.json. There is no second wiring of the checks to drift from the real one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from inner_run import messages

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "fixtures" / "configs"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expect.yaml").is_file())
# The static config items (MON-04, PRE-TST-01 and -04 have their own selftests).
CONFIG_TESTS = ["tests/unit/test_config_sources.py", "tests/unit/test_config_security.py"]
ITEMS = {f"PRE-CFG-0{i}" for i in range(1, 6)} | {"PRE-SEC-02", "PRE-SEC-05", "PRE-SEC-06"}
RED = ("failed", "error")
LOCATED = re.compile(r"^\S+:\d+: ")


@pytest.fixture(scope="module")
def clean_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository with a clean history, so PRE-SEC-05 judges only the case's files."""
    repo = tmp_path_factory.mktemp("repo")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "empty"], check=True)
    return repo


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES)
def test_case_fails_the_expected_item(
    case: str, tmp_path: Path, acceptance: Any, clean_repo: Path
) -> None:
    source = CASES_DIR / case
    expect = yaml.safe_load((source / "expect.yaml").read_text(encoding="utf-8"))
    work = tmp_path / "config"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("expect.yaml"))

    items = acceptance(
        CONFIG_TESTS,
        "--gateproof-config-dir",
        str(work),
        "--gateproof-source-repo",
        str(clean_repo),
    )

    assert set(items) >= ITEMS, f"{case}: items missing from the record: {ITEMS - set(items)}"
    red = {i for i in ITEMS if items[i]["outcome"] in RED}
    wanted = ({expect["id"]} if expect["id"] else set()) | set(expect.get("also", []))
    wanted |= set(expect.get("not_checked", []))
    shown = "\n".join(f"{i} {items[i]['outcome']}: {messages(items[i])[:600]}" for i in sorted(red))
    assert red == wanted, f"{case}: red {sorted(red)}, expected {sorted(wanted)}\n{shown}"
    if expect["id"]:
        own = items[expect["id"]]
        assert own["outcome"] == "failed", f"{case}: {expect['id']} is {own['outcome']}\n{shown}"
        assert expect["message"] in messages(own), (
            f"{case}: no {expect['id']} finding contains {expect['message']!r}:\n{messages(own)}"
        )
    if expect.get("never_shows"):  # nowhere in the record: messages, evidence, anything
        assert expect["never_shows"] not in json.dumps(items), f"{case}: a secret was recorded"
    for item in ITEMS:
        text = messages(items[item])
        if expect.get("never_shows"):
            assert expect["never_shows"] not in text, f"{case}: {item} echoed a secret"
        if items[item]["outcome"] == "failed":
            findings = [line[2:] for line in text.splitlines() if line.startswith("  ")]
            located = [f for f in findings if not f.startswith((" ", "-", "+", "@"))]
            assert all(LOCATED.match(f) for f in located[:50]), f"{case}: {item} unlocated"
        elif items[item]["outcome"] == "error":  # could not check: one line, no list
            assert item in expect.get("not_checked", []), f"{case}: {item} errors:\n{text}"
            assert len(text.strip().splitlines()) == 1, f"{case}: {item} error is a list:\n{text}"
            assert "not checked: " in text
