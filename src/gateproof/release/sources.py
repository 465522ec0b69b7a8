"""Reading what a release joins: phase records (``record.json`` of a pytest run with
``--gateproof-record``) and rollback records (``rollback.json`` written by
``gateproof rollback --record``). Only reading and light checks of shape here; deciding is
:mod:`gateproof.release.join` and :mod:`gateproof.release.decide`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateproof.errors import GateproofError

PHASE_FILE = "record.json"
ROLLBACK_FILE = "rollback.json"
# The identity of a deployment: a record whose values differ belongs to another deployment.
IDENTITY_KEYS = ("name", "environment", "gateway_url")


UNSTAMPED = "UNSTAMPED"


def config_version(stamp: object, block: dict[str, Any]) -> str | None:
    """The version a record is of: the generated file's stamp, or (a file generated without a
    stamp) a prefix of its sha256, so two different unstamped files never look alike."""
    if stamp and stamp != UNSTAMPED:
        return str(stamp)
    digest = block.get("generated_sha256")
    return f"sha256:{str(digest)[:12]}" if digest else None


class ReleaseError(GateproofError):
    """The records cannot be joined into one release; the message says which and why."""


@dataclass(frozen=True)
class PhaseRecord:
    path: Path  # the record.json
    data: dict[str, Any]
    started: dt.datetime
    finished: dt.datetime

    @property
    def phases(self) -> list[str]:
        return [str(p) for p in self.data["scope"]["phases"]]

    @property
    def deployment(self) -> dict[str, Any]:
        block: dict[str, Any] = self.data.get("deployment") or {}
        return block

    @property
    def version(self) -> str | None:
        return config_version(self.deployment.get("config_version"), self.deployment)

    @property
    def deployed_at(self) -> dt.datetime | None:
        value = self.deployment.get("deployed_at")
        return _time(value, self.path, "deployment.deployed_at") if value else None

    @property
    def verdict(self) -> str:
        return str(self.data["verdict"])

    def label(self) -> str:
        return f"{'+'.join(self.phases) or 'no phase'} record {self.path.parent}"


@dataclass(frozen=True)
class RollbackRecord:
    path: Path
    data: dict[str, Any]
    at: dt.datetime

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def previous(self) -> str | None:
        value = self.data.get("from")
        return str(value) if value else None

    @property
    def ok(self) -> bool:
        return self.data.get("outcome") == "restored"

    @property
    def deployment(self) -> dict[str, Any]:
        block: dict[str, Any] = self.data.get("deployment") or {}
        return block

    def label(self) -> str:
        return f"rollback record {self.path.parent}"


Loaded = tuple[list[PhaseRecord], list[RollbackRecord]]


def collect(paths: list[Path], skip: Path | None = None) -> Loaded:
    """Every phase and rollback record in ``paths``: each path is a record's directory (or the
    file itself), or a directory whose immediate subdirectories are. ``skip``: the release's
    own output directory (its record.json is a release record, not a phase record)."""
    phases: list[PhaseRecord] = []
    rollbacks: list[RollbackRecord] = []
    seen: set[Path] = set()
    for given in paths:
        for file in _files(given, skip):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            data = _read(file)
            if file.name == ROLLBACK_FILE:
                rollbacks.append(_rollback(file, data))
            elif "release" not in data:
                phases.append(_phase(file, data))
    if not phases and not rollbacks:
        shown = ", ".join(str(p) for p in paths)
        raise ReleaseError(
            f"no {PHASE_FILE} or {ROLLBACK_FILE} found in {shown} (nor in their subdirectories): "
            "run each phase with --gateproof-record DIR first"
        )
    return phases, rollbacks


def _files(given: Path, skip: Path | None) -> list[Path]:
    if given.is_file():
        return [given]
    if not given.is_dir():
        raise ReleaseError(f"{given}: no such record directory")
    own = [given / name for name in (PHASE_FILE, ROLLBACK_FILE) if (given / name).is_file()]
    if own and not is_release_dir(given, skip):
        return own
    found: list[Path] = []
    for sub in sorted(p for p in given.iterdir() if p.is_dir()):
        found += [sub / n for n in (PHASE_FILE, ROLLBACK_FILE) if (sub / n).is_file()]
    return found


def is_release_dir(directory: Path, skip: Path | None) -> bool:
    """A directory of records (no record of its own, or a previous release's record)."""
    if skip is not None and directory.resolve() == skip.resolve():
        return True
    if (directory / ROLLBACK_FILE).is_file():
        return False
    record = directory / PHASE_FILE
    return not record.is_file() or "release" in _read(record)


def _read(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"{file}: not a readable JSON record ({exc})") from None
    if not isinstance(data, dict):
        raise ReleaseError(f"{file}: not a gateproof record (a JSON object is expected)")
    return data


def _phase(file: Path, data: dict[str, Any]) -> PhaseRecord:
    missing = [k for k in ("verdict", "started", "finished", "scope", "items") if k not in data]
    if missing:
        raise ReleaseError(f"{file}: not a gateproof run record (missing {', '.join(missing)})")
    started = _time(data["started"], file, "started")
    return PhaseRecord(file, data, started, _time(data["finished"], file, "finished"))


def _rollback(file: Path, data: dict[str, Any]) -> RollbackRecord:
    if data.get("kind") != "rollback" or "version" not in data or "at" not in data:
        raise ReleaseError(f"{file}: not a gateproof rollback record")
    return RollbackRecord(file, data, _time(data["at"], file, "at"))


def _time(value: Any, file: Path, key: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ReleaseError(f"{file}: {key} is not an ISO 8601 time: {value!r}") from None
    return when if when.tzinfo else when.astimezone()  # naive: local time, as written
