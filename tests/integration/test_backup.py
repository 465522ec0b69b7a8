"""DEP-01 (verify): the newest backup under ``paths.backups`` holds every source file, the
generated config and the deployed config, all intact (manifest sha256), and it holds them as
they are now: a file whose content differs from its copy changed after the backup. Content,
not modification times, decides: a file that was only touched is not a change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gateproof.failure import Check
from gateproof.probes.deploy import latest_backup
from gateproof.schema import GENERATED_FILE, SOURCE_FILES
from gateproof.settings import Settings


def _watched(settings: Settings) -> list[Path]:
    files = [settings.config_dir / name for name in (*SOURCE_FILES, GENERATED_FILE)]
    if settings.gateway is not None and settings.gateway.deployed_config is not None:
        files.append(settings.gateway.deployed_config)
    return files


@pytest.mark.predeploy
@pytest.mark.checklist("DEP-01")
def test_latest_backup_complete_and_current(
    gateproof_settings: Settings, gateproof_settings_file: str, check: Check
) -> None:
    backups = gateproof_settings.paths.backups
    remake = f"gateproof backup --gateproof-config {gateproof_settings_file}"
    backup = latest_backup(backups)
    if backup is None:
        check.fail(
            "no configuration backup exists",
            target=f"{backups} (from paths.backups)",
            expected="a pre-deployment-<stamp> backup with a manifest",
            actual="the directory holds no backup" if backups.is_dir() else "no such directory",
            details=[("fix", remake)],
            reproduce=f"ls -la {backups}",
        )
    check.evidence.add("backup", f"{backup.path} created {backup.created.isoformat()}")
    held = {Path(str(f.get("source"))).resolve(): f for f in backup.manifest.get("files", [])}
    missing = [str(p) for p in _watched(gateproof_settings) if p.resolve() not in held]
    if missing or backup.problems:
        check.fail(
            f"the latest backup {backup.path.name} is incomplete",
            target=f"{backup.path} (from paths.backups)",
            expected="every source file, the generated and the deployed config, intact",
            actual=f"missing {missing}" if missing else backup.problems[0],
            details=[*[("problem", p) for p in backup.problems[:10]], ("fix", remake)],
            reproduce=f"cat {backup.path / 'manifest.json'}",
        )
    changed = []
    for path in _watched(gateproof_settings):
        if not path.is_file():
            continue
        kept = held.get(path.resolve())
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if kept is not None and kept.get("sha256") != digest:
            changed.append((path, kept))
    if changed:
        path, kept = changed[0]
        check.fail(
            f"the latest backup {backup.path.name} is older than the last configuration change",
            target=f"{backup.path} (from paths.backups)",
            expected="every file as it is now (same sha256 as its copy in the backup)",
            actual=f"{len(changed)} file(s) changed since the backup, first {path}",
            details=[
                *[
                    ("changed", f"{p} (backup copy {backup.path / str(k.get('path'))})")
                    for p, k in changed
                ],
                ("fix", remake),
            ],
            reproduce=f"diff -u {backup.path / str(kept.get('path'))} {path}",
        )
