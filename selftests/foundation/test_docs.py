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
