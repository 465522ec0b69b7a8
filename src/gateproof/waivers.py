"""Waivers: an accepted failure of a checklist item or one test, with reason, approver, expiry.

``config/waivers.yaml``::

    waivers:
      - id: PRE-SEC-06            # a checklist ID, or a test node id
        reason: staging runs with mock fallbacks on
        approver: j.doe
        expires: 2026-12-31       # a waiver past this date waives nothing and turns the run RED

A malformed file or entry stops the run before any test (the operator must fix it); an
expired waiver is reported by name and makes the verdict RED.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from gateproof.checklist import find


class WaiverError(Exception):
    """The waivers file is malformed; the message names file, entry and field."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    reason: str
    approver: str
    expires: dt.date


@dataclass(frozen=True)
class Waiver:
    id: str
    reason: str
    approver: str
    expires: dt.date
    where: str  # file:line, for messages

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def describe(self) -> str:
        return f"{self.id}: {self.reason} (approved by {self.approver}, until {self.expires})"

    def covers(self, nodeid: str, checklist_ids: list[str]) -> bool:
        if find(self.id) is not None:  # a checklist or team item ID
            return self.id in checklist_ids
        return nodeid == self.id or nodeid.startswith(self.id + "[")


def load_waivers(path: Path) -> list[Waiver]:
    """The waivers in ``path``; a missing file means none."""
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:  # ValueError: 2020-13-01
        raise WaiverError(f"{path}: cannot read waivers: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("waivers") or [], list):
        raise WaiverError(f"{path}:1: expected a mapping with a list under 'waivers:'")
    lines = _entry_lines(root)
    waivers, problems = [], []
    for index, raw in enumerate(data.get("waivers") or []):
        where = f"{path}:{lines[index] if index < len(lines) else 1}"
        try:
            entry = _Entry.model_validate(raw)
        except ValidationError as exc:
            fields = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            problems.append(f"{where}: waiver #{index + 1}: {fields}")
            continue
        if "::" not in entry.id and find(entry.id) is None:
            problems.append(
                f"{where}: waiver #{index + 1}: id '{entry.id}' is neither a checklist ID "
                "nor a test node id (path::name)"
            )
            continue
        waivers.append(Waiver(entry.id, entry.reason, entry.approver, entry.expires, where))
    if problems:
        raise WaiverError("\n".join(problems))
    return waivers


def _entry_lines(root: yaml.Node | None) -> list[int]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "waivers" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def find_waiver(
    waivers: list[Waiver], nodeid: str, checklist_ids: list[str], today: dt.date
) -> Waiver | None:
    """The first valid (unexpired) waiver covering this test, if any."""
    for waiver in waivers:
        if waiver.covers(nodeid, checklist_ids) and not waiver.expired(today):
            return waiver
    return None
