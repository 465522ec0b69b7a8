"""PRE-TST-04: the deployment's own version store can really be rolled back to.

On a scratch copy of the store (``<config_dir>/.litellm-history``, where ``gateproof generate``
keeps every version), the newest and the previous version are restored with the code
``gateproof rollback`` runs (``gateproof.history.rollback``). Each restored file, and the deployed
copy it writes, must have the sha256 its record (``versions.json``) gives, and must load as a
valid LiteLLM config. A missing, truncated or unloadable copy, or fewer than two versions, fails
naming the file. The real store is never written to.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from gateproof import history
from gateproof.errors import ConfigError, GateproofError
from gateproof.failure import Check
from gateproof.schema import GENERATED_FILE, load_litellm_config


def _store(config_dir: Path, check: Check) -> history.History:
    __tracebackhide__ = True
    record = config_dir / history.HISTORY_DIR / history.RECORD_FILE
    fix = f"`gateproof generate --config-dir {config_dir}` keeps each generated version there"
    if not record.is_file():
        check.fail(
            "there is no version store to roll back to",
            target=f"{record} (from config_dir)",
            expected="a version record with at least two kept versions",
            actual="no such file",
            details=[("fix", fix)],
            reproduce=f"ls -la {record.parent}",
        )
    try:
        return history.History(config_dir)
    except GateproofError as exc:
        problem = str(exc)
    check.fail(
        "the version record is unreadable",
        target=str(record),
        expected="a gateproof version record (JSON)",
        actual=problem,
        reproduce=f"python3 -m json.tool {record}",
    )


def _restore(scratch: Path, entry: history.Entry, deployed: Path) -> list[str]:
    """Roll the scratch copy back to ``entry``; what is wrong with the result (empty = fine)."""
    kept = scratch / history.HISTORY_DIR / entry.file
    try:
        history.rollback(scratch, entry.version, deploy_path=deployed)
    except (GateproofError, OSError) as exc:
        return [f"version {entry.version} ({kept.name}): rollback refused: {exc}"]
    problems = []
    for what, path in (("restored file", scratch / GENERATED_FILE), ("deployed copy", deployed)):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry.sha256:
            problems.append(
                f"version {entry.version} ({kept.name}): {what} has sha256 {digest[:12]}..., "
                f"the record says {entry.sha256[:12]}..."
            )
    try:
        load_litellm_config(scratch / GENERATED_FILE)
    except ConfigError as exc:
        first = exc.findings[0].split(": ", 1)[-1] if exc.findings else str(exc)
        problems.append(
            f"version {entry.version} ({kept.name}): does not load as a LiteLLM config "
            f"({len(exc.findings)} finding(s), first: {first})"
        )
    return problems


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-04")
def test_newest_and_previous_versions_restore_intact(
    config_dir: Path, tmp_path: Path, check: Check
) -> None:
    real = _store(config_dir, check)
    newest_first = real.newest_first()
    record = real.record_path
    check.evidence.add("store", f"{record}: {len(newest_first)} version(s)")
    if len(newest_first) < 2:
        check.fail(
            "fewer than two versions are kept: there is nothing to roll back to",
            target=f"{record} (from config_dir)",
            expected="the newest and a previous version",
            actual=", ".join(e.version for e in newest_first) or "no version",
            details=[("fix", "keep the version that is live now: `gateproof generate` keeps it")],
            reproduce=f"gateproof generate --config-dir {config_dir} --list-backups",
        )
    scratch = tmp_path / "config"
    shutil.copytree(real.dir, scratch / history.HISTORY_DIR)
    if (config_dir / GENERATED_FILE).is_file():
        shutil.copy2(config_dir / GENERATED_FILE, scratch / GENERATED_FILE)
    deployed = tmp_path / "deployed" / GENERATED_FILE
    deployed.parent.mkdir()
    problems: list[str] = []
    for entry in newest_first[:2]:
        found = _restore(scratch, entry, deployed)
        problems += [p.replace(str(scratch), str(config_dir)) for p in found]
        check.evidence.add("restored", f"{entry.version} ({entry.kind}, {entry.created})")
    if problems:
        check.fail(
            f"rolling back to the newest and the previous version fails ({len(problems)} "
            "problem(s))",
            target=f"{real.dir} (from config_dir), restored in a scratch copy",
            expected="each restores byte-identical to its recorded sha256 and loads",
            actual=problems[0],
            details=[("problem", p) for p in problems[1:]],
            reproduce=f"gateproof rollback VERSION --config-dir {config_dir}  # on a copy",
        )
