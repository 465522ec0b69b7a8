"""Keys of per-run state kept in ``config.stash`` and ``item.stash``."""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.evidence import Evidence, Redactor
from gateproof.record import RunRecord
from gateproof.settings import Settings

SETTINGS_KEY = pytest.StashKey[Settings]()
SETTINGS_FILE_KEY = pytest.StashKey[str]()  # the file read, or a note that none was
REDACTOR_KEY = pytest.StashKey[Redactor]()
WAIVERS_KEY = pytest.StashKey[list[Any]]()
RECORD_KEY = pytest.StashKey[RunRecord]()
EVIDENCE_KEY = pytest.StashKey[Evidence]()
