"""Deployment artefacts: config file digests, the gateway service and what it runs, backups.
(The gateway's log: :mod:`gateproof.probes.gateway_log`.)

Files on the gateway host are read through testinfra (so a remote host works the same);
the generated file and the backups are read where gateproof runs (they live with the
source of truth).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateproof.errors import ProbeError
from gateproof.probes import hosts

CONFIG_FLAGS = ("--config", "-c")
CONFIG_ENV = "CONFIG_FILE_PATH"  # LiteLLM's config when started without --config (uvicorn)


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


@dataclass(frozen=True)
class GatewayProcess:
    """What a process serving the gateway port runs: its command line and config file."""

    pid: int
    argv: list[str]
    is_litellm: bool
    config: str | None  # as the process was given it (--config, -c or CONFIG_FILE_PATH)
    config_resolved: str | None  # on the host: absolute, symlinks resolved
    config_from: str  # "--config", "-c", "CONFIG_FILE_PATH" or "" (none given)

    @property
    def command(self) -> str:
        return " ".join(self.argv)


def gateway_processes(host: Any, pids: list[int]) -> list[GatewayProcess]:
    """Command line and config of each pid (the owners of the gateway port)."""
    found = []
    for pid in pids:
        argv = hosts.command_argv(host, pid)
        config, source = _config_argument(argv)
        if config is None:
            environ = hosts.process_environ(host, pid) or {}
            config, source = environ.get(CONFIG_ENV), CONFIG_ENV if CONFIG_ENV in environ else ""
        resolved = (
            hosts.resolved_path(host, config, hosts.process_cwd(host, pid)) if config else None
        )
        found.append(GatewayProcess(pid, argv, is_litellm(argv), config, resolved, source))
    return found


def is_litellm(argv: list[str]) -> bool:
    """The LiteLLM proxy: its ``litellm`` entry point, ``python -m litellm``, or uvicorn on
    ``litellm.proxy.proxy_server:app``."""
    for i, arg in enumerate(argv):
        if Path(arg).name in ("litellm", "litellm-proxy") or "litellm.proxy.proxy_server" in arg:
            return True
        if arg == "-m" and i + 1 < len(argv) and argv[i + 1].startswith("litellm"):
            return True
    return False


def _config_argument(argv: list[str]) -> tuple[str | None, str]:
    for i, arg in enumerate(argv):
        if arg in CONFIG_FLAGS and i + 1 < len(argv):
            return argv[i + 1], arg
        if arg.startswith("--config="):
            return arg.split("=", 1)[1], "--config"
    return None, ""


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
