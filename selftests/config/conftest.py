"""Helpers for the source-of-truth selftests: a scratch copy of the reference config."""

from __future__ import annotations

import shutil
from pathlib import Path

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
