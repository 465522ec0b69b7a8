"""Deployment artefacts: config file digests, the gateway service and its log, backups.

Files on the gateway host are read through testinfra (so a remote host works the same);
the generated file and the backups are read where gateproof runs (they live with the
source of truth).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateproof.errors import ProbeError
from gateproof.probes import hosts

LOG_TAIL_BYTES = 5_000_000  # enough for days of a quiet gateway; bounded for a noisy one
BAD_LEVELS = ("ERROR", "CRITICAL", "FATAL")
# LiteLLM logs these at ERROR although the service is fine: a client sent no key or a wrong
# one (gateproof's own auth check does), a request asked for a mock failure on purpose, or
# a client went over a model's configured rpm (the router enforcing it, as PST-04 checks).
CLIENT_CAUSED = (
    "user_api_key_auth(): Exception occured",
    "This is a mock exception for model=",
    "litellm.RateLimitError: Model rate limit exceeded.",
)


@dataclass(frozen=True)
class FileState:
    path: str
    exists: bool
    sha256: str | None = None
    mtime: float | None = None  # Unix time


def local_file(path: Path) -> FileState:
    if not path.is_file():
        return FileState(str(path), False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return FileState(str(path), True, digest, path.stat().st_mtime)


def host_file(host: Any, path: Path) -> FileState:
    quoted = shlex.quote(str(path))
    result = hosts.run(host, f"test -f {quoted} && sha256sum {quoted} && stat -c %Y {quoted}")
    if result.rc != 0:
        return FileState(str(path), False)
    lines = str(result.stdout).split()
    return FileState(str(path), True, lines[0], float(lines[-1]))


@dataclass(frozen=True)
class ServiceState:
    """Who serves the gateway port on the host, and since when."""

    manager: str  # systemd | process
    active: bool
    pids: list[int]
    started: float | None  # Unix time of the newest serving process
    detail: str


def service_state(host: Any, port: int, service: str | None, manager: str) -> ServiceState:
    """systemd (when it runs the host and is allowed), else the processes listening on ``port``."""
    use_systemd = manager == "systemd" or (
        manager == "auto" and service and hosts.has_systemd(host)
    )
    if use_systemd and service:
        unit = hosts.systemd_service(host, service)
        pid = int(unit.get("MainPID") or 0)
        active = unit.get("ActiveState") == "active"
        started = hosts.process_started(host, pid) if pid else None
        detail = ", ".join(f"{k}={v}" for k, v in sorted(unit.items()))
        return ServiceState("systemd", active, [pid] if pid else [], started, detail)
    listening = hosts.listeners(host, port)
    pids = hosts.socket_owners(host, [s.inode for s in listening])
    starts = [hosts.process_started(host, pid) for pid in pids]
    addresses = ", ".join(f"{s.address}:{s.port}" for s in listening) or "nothing"
    commands = "; ".join(f"pid {p}: {hosts.command_line(host, p)[:120]}" for p in pids[:3])
    detail = f"listening on {addresses}; {commands or 'no owning process visible'}"
    return ServiceState("process", bool(listening), pids, max(starts) if starts else None, detail)


@dataclass
class LogScan:
    path: str
    exists: bool
    records: int = 0  # JSON records at or after ``since``
    errors: list[str] = field(default_factory=list)  # level + message excerpts
    client_caused: int = 0  # ERROR records caused by clients (see CLIENT_CAUSED), not counted


def log_errors(host: Any, path: Path, since: float) -> LogScan:
    """ERROR-or-worse JSON records (LiteLLM ``JSON_LOGS``) stamped at or after ``since``."""
    quoted = shlex.quote(str(path))
    result = hosts.run(host, f"test -f {quoted} && tail -c {LOG_TAIL_BYTES} {quoted}")
    if result.rc != 0:
        return LogScan(str(path), False)
    scan = LogScan(str(path), True)
    threshold = dt.datetime.fromtimestamp(since)  # LiteLLM stamps naive local time
    for line in str(result.stdout).splitlines():
        record = _json_record(line)
        if record is None:
            continue
        stamp = _stamp(record)
        if stamp is None or stamp < threshold:
            continue
        scan.records += 1
        level = str(record.get("level") or record.get("levelname") or "").upper()
        if level in BAD_LEVELS:
            message = " ".join(str(record.get("message", "")).split())
            if any(marker in message for marker in CLIENT_CAUSED):
                scan.client_caused += 1
                continue
            scan.errors.append(f"{stamp.isoformat(timespec='seconds')} {level} {message[:240]}")
    return scan


def journal_errors(host: Any, unit: str, since: float) -> LogScan:
    """Priority err-or-worse journal entries of a systemd ``unit`` since ``since``."""
    command = (
        f"journalctl -u {shlex.quote(unit)} --since @{int(since)} -p err -o short-iso --no-pager -q"
    )
    result = hosts.run(host, command)
    if result.rc != 0:
        raise ProbeError(
            f"journalctl failed on {hosts.host_name(host)}: {result.stderr.strip()[:200]}",
            target=hosts.host_name(host),
            setting="gateway.service_name",
            hint="set gateway.log_path to the gateway's log file instead",
        )
    lines = [line for line in str(result.stdout).splitlines() if line.strip()]
    scan = LogScan(f"journal of {unit}", True, records=len(lines))
    for line in lines:
        if any(marker in line for marker in CLIENT_CAUSED):
            scan.client_caused += 1
        else:
            scan.errors.append(line[:260])
    return scan


def _json_record(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None  # banners and plain prints
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _stamp(record: dict[str, Any]) -> dt.datetime | None:
    raw = record.get("timestamp") or record.get("time") or record.get("asctime")
    if not isinstance(raw, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp


@dataclass(frozen=True)
class Backup:
    path: Path
    created: dt.datetime
    manifest: dict[str, Any]
    problems: list[str]  # from gateproof.backups.verify_backup: missing or changed files


def latest_backup(backups_dir: Path) -> Backup | None:
    """The newest ``pre-deployment-*`` backup (by its manifest's creation time), verified."""
    from gateproof.backups import MANIFEST, verify_backup

    if not backups_dir.is_dir():
        return None
    found: list[Backup] = []
    for candidate in backups_dir.iterdir():
        if candidate.name.startswith(".") or not candidate.is_dir():
            continue  # a hidden dir is a backup still being written
        try:
            manifest = json.loads((candidate / MANIFEST).read_text(encoding="utf-8"))
            created = dt.datetime.fromisoformat(manifest["created"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ProbeError(
                f"backup {candidate} has no readable manifest: {exc}",
                target=str(candidate),
                setting="paths.backups",
                hint="remove the broken directory or make a new backup: gateproof backup",
            ) from None
        found.append(Backup(candidate, created, manifest, verify_backup(candidate)))
    return max(found, key=lambda b: b.created) if found else None
