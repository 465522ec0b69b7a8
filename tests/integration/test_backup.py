"""DEP-01 (verify): the newest backup under ``paths.backups`` holds every source file, the
generated config and the deployed config, all intact (manifest sha256), and it was taken
after the last change to any of them. ``gateproof backup`` makes one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gateproof.failure import Check
from gateproof.probes.deploy import latest_backup
from gateproof.schema import GENERATED_FILE, SOURCE_FILES
from gateproof.settings import Settings

# The manifest stamps whole seconds (truncated): a file changed within that second is not newer.
STAMP_SLACK = dt.timedelta(seconds=1)


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
    changed = {
        p: dt.datetime.fromtimestamp(p.stat().st_mtime, dt.timezone.utc)
        for p in _watched(gateproof_settings)
        if p.is_file()
    }
    newer = {p: t for p, t in changed.items() if t > backup.created + STAMP_SLACK}
    if newer:
        path, when = max(newer.items(), key=lambda kv: kv[1])
        check.fail(
            f"the latest backup {backup.path.name} is older than the last configuration change",
            target=f"{backup.path} (from paths.backups)",
            expected=f"created after every change (last: {path.name} at {when.isoformat()})",
            actual=f"created {backup.created.isoformat()}",
            details=[
                *[("changed", f"{p} at {t.isoformat()}") for p, t in newer.items()],
                ("fix", remake),
            ],
            reproduce=f"ls -l --time-style=full-iso {' '.join(str(p) for p in newer)}; "
            f"grep created {backup.path / 'manifest.json'}",
        )
