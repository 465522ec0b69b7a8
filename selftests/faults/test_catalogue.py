"""The catalogue is what the issue asks for: at least 40 faults over the nine categories,
unique names, every expected item a known checklist ID of the phases the fault runs, and
the broken-config faults expecting what their fixture's expect.yaml says."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from gateproof.checklist import find
from gateproof.stack.faults.catalogue import CATALOGUE, FIXTURES, FixtureCase
from gateproof.stack.faults.matrix import main, schedule, select
from gateproof.stack.faults.model import CATEGORIES


def test_at_least_forty_faults_over_every_category() -> None:
    assert len(CATALOGUE) >= 40
    per_category = Counter(f.category for f in CATALOGUE)
    assert set(per_category) == set(CATEGORIES), per_category
    assert min(per_category.values()) >= 2, per_category


def test_names_are_unique() -> None:
    names = [f.name for f in CATALOGUE]
    assert len(names) == len(set(names)), [n for n, c in Counter(names).items() if c > 1]


def test_expected_items_are_known_and_in_the_phases_run() -> None:
    for f in CATALOGUE:
        assert f.expected, f"{f.name}: expects nothing red"
        phases = {p.strip() for p in f.marker.split(" or ")}
        for item_id in f.expected:
            item = find(item_id)
            assert item is not None, f"{f.name}: unknown checklist ID {item_id}"
            assert item.phase in phases, f"{f.name}: {item_id} is {item.phase}, runs {phases}"


def test_fixture_faults_expect_what_the_fixture_says() -> None:
    cases = [f for f in CATALOGUE if isinstance(f.inject, FixtureCase)]
    assert len(cases) >= 8
    for f in cases:
        assert isinstance(f.inject, FixtureCase)
        case = f.inject.case
        expect = yaml.safe_load((FIXTURES / case / "expect.yaml").read_text(encoding="utf-8"))
        wanted = {expect["id"], *(expect.get("also") or []), *(expect.get("not_checked") or [])}
        assert set(f.expected) == wanted, f"{f.name} ({case}): {sorted(f.expected)} vs {wanted}"


def test_selection_by_name_and_category() -> None:
    assert [f.name for f in select("gateway-log-rotated", None)] == ["gateway-log-rotated"]
    assert {f.category for f in select("", "alerting")} == {"alerting"}


def test_healthy_runs_are_spread_among_the_faults() -> None:
    steps = schedule(52, 20)
    assert sorted(s for s in steps if s > 0) == list(range(1, 53))
    assert sorted(-s for s in steps if s < 0) == list(range(1, 21))
    assert steps[:4] == [1, 2, 3, -1] and steps[-1] == -20  # some of each early on
    assert schedule(3, 0) == [1, 2, 3] and schedule(0, 2) == [-1, -2]


def test_the_doc_names_only_catalogue_faults_and_says_how_to_run_it() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "fault-matrix.md").read_text("utf-8")
    assert "make faults" in text and "--healthy-runs" in text
    named = re.findall(r"^\| ([a-z]+(?:-[a-z0-9]+)+) \| ", text, flags=re.MULTILINE)
    assert named, "no fault rows in docs/fault-matrix.md"
    assert set(named) <= {f.name for f in CATALOGUE}, set(named) - {f.name for f in CATALOGUE}


def test_outside_a_checkout_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--healthy-runs", "0"]) == 2
