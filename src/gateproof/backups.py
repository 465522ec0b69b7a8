"""`gateproof backup`: one timestamped directory with every config file, the generated config,
the deployed config when configured, and a manifest with the sha256 of each (DEP-01)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gateproof.errors import GateproofError

MANIFEST = "manifest.json"
BACKUP_SUFFIXES = (".yaml", ".yml", ".json", ".md", ".txt")


def _config_files(config_dir: Path) -> list[Path]:
    """Top-level, non-hidden config files; private (0600-style) files such as a secrets file
    are left out on purpose: a backup directory must not become a copy of the secrets."""
    files = []
    for path in sorted(config_dir.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix not in BACKUP_SUFFIXES or path.stat().st_mode & 0o077 == 0:
            continue
        files.append(path)
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_backup(
    config_dir: Path,
    backups_dir: Path,
    deployed_config: Path | None = None,
    now: datetime | None = None,
) -> Path:
    """Create ``backups_dir/pre-deployment-<UTC stamp>/`` and return it.

    Built in a temporary directory and renamed into place, so a half-made backup never
    looks like a real one."""
    if not config_dir.is_dir():
        raise GateproofError(f"config dir {config_dir} does not exist")
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    name = f"pre-deployment-{stamp:%Y%m%d-%H%M%S}"
    backups_dir.mkdir(parents=True, exist_ok=True)
    final = backups_dir / name
    n = 1
    while final.exists():
        n += 1
        final = backups_dir / f"{name}-{n}"
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=backups_dir))
    try:
        files: list[dict[str, Any]] = []
        for path in _config_files(config_dir):
            files.append(_copy(path, work / "config" / path.name, work, "config"))
        if deployed_config is not None:
            if not deployed_config.is_file():
                raise GateproofError(
                    f"deployed config {deployed_config} (gateway.deployed_config) does not exist"
                )
            dest = work / "deployed" / deployed_config.name
            files.append(_copy(deployed_config, dest, work, "deployed"))
        manifest = {
            "created": stamp.isoformat(timespec="seconds"),
            "config_dir": str(config_dir.resolve()),
            "deployed_config": str(deployed_config.resolve()) if deployed_config else None,
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.chmod(work, 0o755)
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def _copy(source: Path, dest: Path, root: Path, role: str) -> dict[str, Any]:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, dest)
    return {
        "path": str(dest.relative_to(root)),
        "source": str(source.resolve()),
        "role": role,
        "bytes": dest.stat().st_size,
        "sha256": _sha256(dest),
    }


def verify_backup(backup_dir: Path) -> list[str]:
    """Problems with a backup directory: missing files or sha256 mismatches (empty = intact)."""
    try:
        manifest = json.loads((backup_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{backup_dir / MANIFEST}: unreadable manifest: {exc}"]
    problems = []
    for item in manifest.get("files", []):
        path = backup_dir / item["path"]
        if not path.is_file():
            problems.append(f"{path}: listed in the manifest but missing")
        elif _sha256(path) != item["sha256"]:
            problems.append(f"{path}: sha256 differs from the manifest")
    return problems
