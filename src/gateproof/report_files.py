"""What a run leaves behind: the terminal verdict, record.json, checklist.md, HTML environment."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from gateproof.checklist import all_items
from gateproof.checklist_md import render_checklist
from gateproof.evidence import Redactor
from gateproof.gitinfo import short_revision
from gateproof.outcome import dumps
from gateproof.record import VERDICT_TEXT, RunRecord
from gateproof.settings import Settings
from gateproof.stashkeys import REDACTOR_KEY, SETTINGS_KEY, WAIVERS_KEY

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
    return info


def _config_version(generated: Path) -> str | None:
    try:
        head = generated.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return None
    match = _STAMP.search(head)
    return match.group(1) if match else None


def signoff(settings: Settings) -> dict[str, Any]:
    return {"deployer": settings.signoff.deployer, "verifier": settings.signoff.verifier}


def record_json(config: pytest.Config, record: RunRecord) -> dict[str, Any]:
    settings = config.stash[SETTINGS_KEY]
    waivers = [
        {"id": w.id, "reason": w.reason, "approver": w.approver, "expires": str(w.expires)}
        for w in config.stash[WAIVERS_KEY]
    ]
    data = record.to_json(deployment_info(settings), signoff(settings), waivers)
    _artefact_items(config, data)
    return data


def _artefact_items(config: pytest.Config, data: dict[str, Any]) -> None:
    """DOC-01 and REL-01 are made by the run itself, not by a test."""
    sign = data["signoff"]
    if record_dir(config) is not None:
        signed = bool(sign["deployer"] and sign["verifier"])
        data["items"]["DOC-01"]["outcome"] = "passed" if signed else "not_run"
        if not signed:
            data["items"]["DOC-01"]["note"] = (
                "record written; sign-off missing (--gateproof-signoff-deployer/-verifier)"
            )
    if config.getoption("htmlpath", None):
        data["items"]["REL-01"]["outcome"] = "passed"


def record_dir(config: pytest.Config) -> Path | None:
    """Where ``--gateproof-record`` (or ``GATEPROOF_RECORD``) asks the record to go."""
    target = config.getoption("gateproof_record") or os.environ.get("GATEPROOF_RECORD")
    return config.invocation_params.dir / target if target else None


def write_if_asked(config: pytest.Config, record: RunRecord) -> None:
    directory = record_dir(config)
    if directory is None:
        return
    redact: Redactor = config.stash[REDACTOR_KEY]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        data = record_json(config, record)
        (directory / "record.json").write_text(redact(dumps(data)), encoding="utf-8")
        (directory / "checklist.md").write_text(redact(render_checklist(data)), encoding="utf-8")
    except OSError as exc:
        # An unwritten record is no sign-off: say so in the verdict instead of a traceback.
        record.problems.append(
            f"the run record was not written to {directory}: {exc.strerror or exc}; "
            "give --gateproof-record a writable directory"
        )
        return
    config.stash[_WRITTEN] = directory


_WRITTEN = pytest.StashKey[Path]()


def print_summary(terminalreporter: Any, config: pytest.Config, record: RunRecord) -> None:
    verdict = record.verdict()
    colour = {"GREEN": {"green": True}, "GREEN_WITH_WAIVERS": {"yellow": True}}.get(
        verdict, {"red": True}
    )
    tr = terminalreporter
    tr.section("gateproof verdict", sep="=", bold=True, **colour)
    for phase, counts in sorted(record.phase_counts().items()):
        shown = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
        tr.write_line(f"phase {phase:<11} {shown}")
    outcomes = record.item_outcomes()
    per_item = {item.id: 0 for item in all_items()}
    for result in record.results.values():
        for item_id in result.checklist:
            per_item[item_id] = per_item.get(item_id, 0) + 1
    for item in all_items():
        if per_item.get(item.id):
            tr.write_line(
                f"  {item.id:<11} {outcomes[item.id]:<15} {per_item[item.id]} test(s)  {item.title}"
            )
    for problem in record.problems:
        tr.write_line(f"problem: {problem}", red=True)
    tr.write_line(
        f"VERDICT: {VERDICT_TEXT[verdict]} ({record.verdict_reason()})", bold=True, **colour
    )
    written = config.stash.get(_WRITTEN, None)
    if written is not None:
        tr.write_line(f"record: {written / 'record.json'}  checklist: {written / 'checklist.md'}")


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
