"""The run's decision as one dict (``record.json``), the files written from it, the HTML
environment table. Every output (terminal, checklist.md, record.json, HTML, JUnit) renders this
one dict, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from gateproof import latency_picture
from gateproof.checklist_md import render_checklist
from gateproof.evidence import Redactor
from gateproof.gitinfo import short_revision
from gateproof.outcome import dumps
from gateproof.record import RunRecord
from gateproof.settings import Settings
from gateproof.stashkeys import REDACTOR_KEY, SETTINGS_KEY, WAIVERS_KEY
from gateproof.verdict import Decision

_STAMP = re.compile(r"^#.*\bversion[:=]\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def deployment_info(settings: Settings) -> dict[str, Any]:
    """Who and what was checked: for the record's ``deployment`` block."""
    info: dict[str, Any] = {
        "name": settings.deployment.name,
        "environment": settings.deployment.environment,
        "exposure": settings.deployment.exposure,
        "version": settings.deployment.version,
        "config_dir": str(settings.config_dir),
        "gateway_url": settings.gateway.url if settings.gateway else None,
        "config_version": _config_version(settings.config_dir / "litellm-unified.yaml"),
        "git_revision": short_revision(settings.config_dir),
    }
    # What the release join matches records on (docs/release.md): the generated file's bytes,
    # and the deployed copy with the time it was put there (the deploy a smoke run follows).
    info["generated_sha256"] = _sha256(settings.config_dir / "litellm-unified.yaml")
    deployed = settings.gateway.deployed_config if settings.gateway else None
    info["deployed_config"] = str(deployed) if deployed else None
    info["deployed_sha256"] = _sha256(deployed) if deployed else None
    info["deployed_at"] = _mtime(deployed) if deployed else None
    return info


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _mtime(path: Path) -> str | None:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return dt.datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def _config_version(generated: Path) -> str | None:
    try:
        head = generated.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return None
    match = _STAMP.search(head)
    return match.group(1) if match else None


def signoff(settings: Settings) -> dict[str, Any]:
    return {"deployer": settings.signoff.deployer, "verifier": settings.signoff.verifier}


def record_dict(
    config: pytest.Config, record: RunRecord, decision: Decision, outputs: dict[str, str | None]
) -> dict[str, Any]:
    """The whole run as data: what record.json holds and every other output renders."""
    settings = config.stash[SETTINGS_KEY]
    waivers = [
        {
            "id": w.id,
            "reason": w.reason,
            "approver": w.approver,
            "expires": str(w.expires),
            "where": w.where,
        }
        for w in config.stash[WAIVERS_KEY]
    ]
    not_run = [
        {"id": i.item.id, "title": i.item.title, "phase": i.item.phase, "reason": i.reason}
        for i in decision.with_outcome("not_run")
    ]
    return {
        "verdict": decision.verdict,
        "verdict_reason": decision.reason,
        "started": record.started.isoformat(timespec="seconds"),
        "finished": (record.finished or record.started).isoformat(timespec="seconds"),
        "scope": {"phases": decision.phases, "how": decision.scope_how},
        "selected_phases": decision.phases,
        "not_run": not_run,
        "rollup": decision.rollup(),
        "phase_counts": record.phase_counts(),
        "deployment": deployment_info(settings),
        "signoff": signoff(settings),
        "waivers": waivers,
        "problems": decision.problems,
        "outputs": outputs,
        "items": {i.item.id: i.as_json() for i in decision.items},
    }


def record_dir(config: pytest.Config) -> Path | None:
    """Where ``--gateproof-record`` (or ``GATEPROOF_RECORD``) asks the record to go."""
    target = config.getoption("gateproof_record") or os.environ.get("GATEPROOF_RECORD")
    return config.invocation_params.dir / target if target else None


def write_record(config: pytest.Config, directory: Path, data: dict[str, Any]) -> str | None:
    """Write record.json and checklist.md; the reason they could not be written, else None."""
    redact: Redactor = config.stash[REDACTOR_KEY]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "record.json").write_text(redact(dumps(data)), encoding="utf-8")
        (directory / "checklist.md").write_text(redact(render_checklist(data)), encoding="utf-8")
    except OSError as exc:
        return f"{directory}: {exc.strerror or exc}"
    return None


def write_latency_svg(
    config: pytest.Config, directory: Path, nodeid: str, svg: str
) -> dict[str, str] | None:
    """PST-05's warm-up picture beside record.json; the record's reference to it, or None
    when it could not be written (the record then names no picture)."""
    redact: Redactor = config.stash[REDACTOR_KEY]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / latency_picture.FILE).write_text(redact(svg), encoding="utf-8")
    except OSError:
        return None
    return {"file": latency_picture.FILE, "test": nodeid}


def add_environment(config: pytest.Config, settings: Settings, redact: Redactor) -> None:
    """Deployment facts in pytest-html's environment table, secrets masked."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is None:
        return
    metadata["gateproof deployment"] = settings.deployment.name
    metadata["gateproof config dir"] = str(settings.config_dir)
    if settings.gateway is not None:
        metadata["gateproof gateway"] = settings.gateway.url
    for key, value in list(metadata.items()):
        if isinstance(value, str):
            metadata[key] = redact(value)
        elif isinstance(value, dict):
            metadata[key] = {k: redact(v) if isinstance(v, str) else v for k, v in value.items()}
