"""Helpers for the source-of-truth selftests: a scratch copy of the reference config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gateproof.schema import GENERATED_FILE, SOURCE_FILES

REFERENCE = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def scratch_config(tmp_path: Path) -> Path:
    """Per test: a copy of the reference sources and generated file, without any history."""
    work = tmp_path / "config"
    work.mkdir()
    for name in (*SOURCE_FILES, GENERATED_FILE):
        shutil.copy2(REFERENCE / name, work / name)
    return work


REPO = REFERENCE.parent


@pytest.fixture
def acceptance(pytester: pytest.Pytester) -> Any:
    """Run acceptance test files of ``tests/`` in an inner in-process session; returns the
    items of its record.json (item ID -> outcome, tests and their messages)."""
    runs = iter(range(1000))

    def run(files: list[str], *args: str) -> dict[str, Any]:
        record = pytester.path / f"record{next(runs)}"
        pytester.runpytest_inprocess(
            *[str(REPO / f) for f in files],
            "--import-mode=importlib",
            "-p",
            "no:randomly",
            "--gateproof-record",
            str(record),
            *args,
        )
        items: dict[str, Any] = json.loads((record / "record.json").read_text("utf-8"))["items"]
        return items

    return run
