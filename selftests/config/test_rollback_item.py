"""PRE-TST-04 through its acceptance test: green on a store with two intact versions; red,
naming the file, when the store is missing, holds one version, or a copy is truncated or
does not load."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from inner_run import messages

from gateproof import history
from gateproof.generate import generate
from gateproof.schema import MAPPINGS_FILE

TEST = ["tests/unit/test_rollback_procedure.py"]


def _two_versions(config: Path) -> list[history.Entry]:
    generate(config)  # keeps the committed file, then the fresh render
    path = config / MAPPINGS_FILE
    path.write_text(path.read_text().replace("rpm: 300", "rpm: 301", 1))
    generate(config)
    return history.History(config).newest_first()


def _item(acceptance: Any, config: Path) -> dict[str, Any]:
    item: dict[str, Any] = acceptance(TEST, "--gateproof-config-dir", str(config))["PRE-TST-04"]
    return item


def test_green_on_two_intact_versions(acceptance: Any, scratch_config: Path) -> None:
    assert len(_two_versions(scratch_config)) >= 2
    before = (scratch_config / history.HISTORY_DIR / history.RECORD_FILE).read_bytes()
    item = _item(acceptance, scratch_config)
    assert item["outcome"] == "passed", messages(item)
    # the drill ran on a copy: the real store is untouched
    assert (scratch_config / history.HISTORY_DIR / history.RECORD_FILE).read_bytes() == before


def test_no_store_fails(acceptance: Any, scratch_config: Path) -> None:
    item = _item(acceptance, scratch_config)
    assert item["outcome"] == "failed"
    assert "there is no version store to roll back to" in messages(item)
    assert "versions.json" in messages(item)


def test_one_version_fails(acceptance: Any, scratch_config: Path) -> None:
    generate(scratch_config, force=True)
    store = history.History(scratch_config)
    store.record["entries"] = store.record["entries"][-1:]
    store._save()
    item = _item(acceptance, scratch_config)
    assert item["outcome"] == "failed"
    assert "fewer than two versions are kept" in messages(item)


def test_truncated_copy_fails_naming_it(acceptance: Any, scratch_config: Path) -> None:
    previous = _two_versions(scratch_config)[1]
    copy = scratch_config / history.HISTORY_DIR / previous.file
    copy.write_bytes(copy.read_bytes()[:200])
    item = _item(acceptance, scratch_config)
    assert item["outcome"] == "failed"
    assert f"{scratch_config}/.litellm-history/{previous.file} does not match" in messages(item)


def test_unloadable_copy_fails_naming_it(acceptance: Any, scratch_config: Path) -> None:
    newest = _two_versions(scratch_config)[0]
    copy = scratch_config / history.HISTORY_DIR / newest.file
    broken = copy.read_bytes().replace(b"model_list:", b"model_lst:")
    copy.write_bytes(broken)
    record = scratch_config / history.HISTORY_DIR / history.RECORD_FILE
    data = json.loads(record.read_text())
    for entry in data["entries"]:
        if entry["version"] == newest.version:  # a consistent record: only the content is bad
            entry["sha256"] = hashlib.sha256(broken).hexdigest()
    record.write_text(json.dumps(data))
    item = _item(acceptance, scratch_config)
    assert item["outcome"] == "failed"
    assert f"{newest.file}): does not load as a LiteLLM config" in messages(item)
