"""Versions of the generated LiteLLM config: timestamped copies, a version record, rollback.

Layout beside the generated file (``config/.litellm-history/``)::

    versions.json                         the record: entries oldest first, current, events
    litellm-unified.<VERSION>.yaml        one copy per entry, byte-identical to what was live

Every write (copy, config, record) goes to a temporary file in the same directory that is then
renamed over the target, so an interrupted run leaves either the old or the new file, never a
half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gateproof.errors import GateproofError
from gateproof.schema import GENERATED_FILE

HISTORY_DIR = ".litellm-history"
RECORD_FILE = "versions.json"
DEFAULT_KEEP = 10
MAX_EVENTS = 200
# The stamp line of the generated file's header (gateproof.generate writes it).
VERSION_LINE = re.compile(r"^# version: (\S+)$", re.MULTILINE)


class RollbackError(GateproofError):
    """Unknown version or a damaged copy; the message lists what is available."""


@dataclass(frozen=True)
class Entry:
    version: str
    created: str  # UTC, ISO 8601
    kind: str  # generate | pre-generate | before-rollback | before-rollback-deployed
    file: str
    sha256: str
    sources_sha256: str | None = None


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file + fsync + rename in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _utc(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


class History:
    def __init__(self, config_dir: Path):
        self.config_dir = config_dir
        self.dir = config_dir / HISTORY_DIR
        self.record_path = self.dir / RECORD_FILE
        self.record = self._read()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.record_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"current": None, "entries": [], "events": []}
        except (OSError, ValueError) as exc:
            raise GateproofError(
                f"{self.record_path}: version record unreadable ({exc}); move it aside and run "
                "`gateproof generate` to start a new record"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise GateproofError(f"{self.record_path}: not a gateproof version record")
        data.setdefault("events", [])
        data.setdefault("current", None)
        return data

    def _save(self) -> None:
        text = json.dumps(self.record, indent=2, sort_keys=True) + "\n"
        atomic_write(self.record_path, text.encode("utf-8"))

    @property
    def entries(self) -> list[Entry]:
        """Oldest first."""
        return [Entry(**e) for e in self.record["entries"]]

    @property
    def current(self) -> str | None:
        value = self.record.get("current")
        return value if isinstance(value, str) else None

    def newest_first(self) -> list[Entry]:
        return list(reversed(self.entries))

    def new_version(self, now: datetime | None = None) -> str:
        base = _utc(now).strftime("%Y%m%dT%H%M%SZ")
        used = {e.version for e in self.entries}
        version, n = base, 1
        while version in used:
            n += 1
            version = f"{base}-{n}"
        return version

    def _add(
        self, data: bytes, version: str, kind: str, sources_sha256: str | None, now: datetime | None
    ) -> Entry:
        entry = Entry(
            version=version,
            created=_utc(now).isoformat(timespec="seconds"),
            kind=kind,
            file=f"{Path(GENERATED_FILE).stem}.{version}.yaml",
            sha256=hashlib.sha256(data).hexdigest(),
            sources_sha256=sources_sha256,
        )
        atomic_write(self.dir / entry.file, data)
        self.record["entries"].append(asdict(entry))
        return entry

    def preserve(self, data: bytes, kind: str, now: datetime | None = None) -> str | None:
        """Keep ``data`` (the file about to be replaced) unless an identical copy is kept.

        Returns the version it was kept under, or None when it already was."""
        digest = hashlib.sha256(data).hexdigest()
        if any(e.sha256 == digest and (self.dir / e.file).exists() for e in self.entries):
            return None
        match = VERSION_LINE.search(data.decode("utf-8", "replace"))
        used = {e.version for e in self.entries}
        version = match.group(1) if match and match.group(1) not in used else None
        version = version if version and re.fullmatch(r"[\w.-]+", version) else None
        entry = self._add(data, version or self.new_version(now), kind, None, now)
        self._save()
        return entry.version

    def commit(
        self,
        target: Path,
        data: bytes,
        version: str,
        kind: str,
        sources_sha256: str | None,
        now: datetime | None = None,
    ) -> None:
        """Keep a copy of ``data`` as ``version``, then put it live and record it current.

        The record lists the copy before the file goes live: a run killed in between leaves a
        live file whose version can still be listed and rolled back to."""
        entry = self._add(data, version, kind, sources_sha256, now)
        self._save()
        try:
            atomic_write(target, data)
        except BaseException:
            self.record["entries"].pop()
            with contextlib.suppress(OSError):
                (self.dir / entry.file).unlink()
            with contextlib.suppress(OSError):
                self._save()
            raise
        self.record["current"] = version
        self._event({"action": kind, "version": version}, now)
        self._save()

    def _event(self, event: dict[str, Any], now: datetime | None) -> None:
        event["at"] = _utc(now).isoformat(timespec="seconds")
        self.record["events"] = [*self.record["events"], event][-MAX_EVENTS:]

    def prune(self, keep: int) -> list[str]:
        """Drop all but the newest ``keep`` entries (the current one always stays)."""
        if keep < 1:
            raise ValueError("keep at least 1 version")
        entries = self.entries
        keep_set = {e.version for e in entries[-keep:]} | {self.current}
        dropped = [e for e in entries if e.version not in keep_set]
        for entry in dropped:
            with contextlib.suppress(FileNotFoundError):
                (self.dir / entry.file).unlink()
        if dropped:
            self.record["entries"] = [asdict(e) for e in entries if e.version in keep_set]
            self._save()
        return [e.version for e in dropped]

    def data_of(self, version: str) -> tuple[Entry, bytes]:
        entry = next((e for e in self.entries if e.version == version), None)
        if entry is None:
            listed = ", ".join(e.version for e in self.newest_first()) or "none"
            raise RollbackError(f"unknown version {version!r}; available (newest first): {listed}")
        try:
            data = (self.dir / entry.file).read_bytes()
        except OSError as exc:
            raise RollbackError(f"version {version}: copy unreadable: {exc}") from None
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise RollbackError(
                f"version {version}: {self.dir / entry.file} does not match its recorded "
                "sha256 (changed after it was kept); refusing to restore it"
            )
        return entry, data


@dataclass(frozen=True)
class RollbackResult:
    version: str
    path: Path
    before_rollback: str | None  # version the replaced generated file was kept under
    deployed: Path | None
    deployed_before_rollback: str | None


def rollback(
    config_dir: Path,
    version: str,
    deploy_path: Path | None = None,
    keep: int = DEFAULT_KEEP,
    now: datetime | None = None,
) -> RollbackResult:
    """Put ``version`` back live, byte-identical: the generated file and, when given, the
    deployed copy. Each replaced file is kept first as a before-rollback version."""
    hist = History(config_dir)
    _entry, data = hist.data_of(version)
    target = config_dir / GENERATED_FILE
    before = deployed_before = None
    if target.exists():
        kept = hist._add(target.read_bytes(), hist.new_version(now), "before-rollback", None, now)
        before = kept.version
    if deploy_path is not None and deploy_path.exists():
        kept = hist._add(
            deploy_path.read_bytes(), hist.new_version(now), "before-rollback-deployed", None, now
        )
        deployed_before = kept.version
    hist._save()
    atomic_write(target, data)
    if deploy_path is not None:
        atomic_write(deploy_path, data)
    previous = hist.current
    hist.record["current"] = version
    hist._event(
        {
            "action": "rollback",
            "version": version,
            "from": previous,
            "before_rollback": before,
            "deployed": str(deploy_path) if deploy_path else None,
        },
        now,
    )
    hist._save()
    hist.prune(keep)
    return RollbackResult(version, target, before, deploy_path, deployed_before)
