"""The reference docs stay true: every settings key and every checklist ID is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateproof.checklist import ITEMS, PHASES
from gateproof.settings import flat_keys

ROOT = Path(__file__).resolve().parents[2]


def test_settings_doc_lists_every_key() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    missing = [key for key in flat_keys() if f"| `{key}` |" not in text]
    assert not missing, f"docs/settings.md lacks {missing}: regenerate its key table"


def test_checklist_table_is_consistent() -> None:
    ids = [item.id for item in ITEMS]
    assert len(ids) == len(set(ids))
    assert all(item.phase in (*PHASES, None) for item in ITEMS)


def test_documented_ini_keys_are_registered(pytestconfig: pytest.Config) -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    names = re.findall(r"^\| `(gateproof[a-z_]*)` \|", text, flags=re.MULTILINE)
    assert {"gateproof", "gateproof_suite_dirs", "gateproof_items"} <= set(names)
    for name in names:
        pytestconfig.getini(name)  # ValueError for a key the plugin does not register


def _index_rows() -> dict[str, str]:
    """docs/checks.md's index: checklist ID -> the first file its row names (or '')."""
    text = (ROOT / "docs" / "checks.md").read_text()
    section = text.split("## Where each checklist ID is checked", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 3 or not re.match(r"[A-Z]{3}-", cells[0]):
            continue
        named = re.search(r"`([^`]+\.py)`", cells[1])
        for part in cells[0].split(","):
            ranged = re.fullmatch(r"(.+-)(\d+)\.\.(\d+)", part.strip())
            if ranged:
                prefix, first, last = ranged.groups()
                ids = [f"{prefix}{n:02d}" for n in range(int(first), int(last) + 1)]
            else:
                ids = [part.strip()]
            for item_id in ids:
                rows[item_id] = named.group(1) if named else ""
    return rows


def test_checks_doc_maps_every_item_to_the_test_that_names_it() -> None:
    rows = _index_rows()
    assert sorted(rows) == sorted(item.id for item in ITEMS)
    for item_id, test_file in rows.items():
        if test_file:
            source = (ROOT / "tests" / test_file).read_text()
            assert f'checklist("{item_id}"' in source, f"{test_file} does not check {item_id}"
    for path in (ROOT / "tests").rglob("test_*.py"):
        for item_id in re.findall(r'checklist\("([A-Z0-9-]+)"', path.read_text()):
            assert rows.get(item_id), f"{path.name} checks {item_id}; docs/checks.md has no file"
