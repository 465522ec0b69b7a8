"""The evidence `gateproof rollback --record DIR` leaves for the release: ``DIR/rollback.json``
(what was restored, from which version to which, when, the sha256 of the restored files, the
deployment it belongs to). A refused rollback is recorded too: RBK-01 then fails."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from gateproof.release.sources import ROLLBACK_FILE, config_version
from gateproof.url_credentials import mask_url_credentials

_STAMP = re.compile(r"^# version: (\S+)$", re.MULTILINE)


def _identity(settings: Any) -> dict[str, Any]:
    if settings is None:
        return {}
    gateway = getattr(settings, "gateway", None)
    return {
        "name": settings.deployment.name,
        "environment": settings.deployment.environment,
        "gateway_url": mask_url_credentials(gateway.url) if gateway is not None else None,
    }


def _file_facts(path: Path | None) -> dict[str, Any]:
    if path is None or not path.is_file():
        return {"path": str(path) if path else None, "sha256": None}
    data = path.read_bytes()
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest()}


def write_rollback_record(
    directory: Path,
    *,
    requested: str,
    previous: str | None,
    generated: Path,
    deployed: Path | None,
    settings: Any,
    error: str | None = None,
) -> Path:
    """Write ``directory/rollback.json`` after a rollback (``error`` set: it was refused)."""
    facts = _file_facts(generated)
    version = requested
    if error is None and facts["sha256"]:
        text = generated.read_text(encoding="utf-8", errors="replace")[:2000]
        match = _STAMP.search(text)
        # The version as a phase record names it (stamp, else sha256), so the join can match.
        version = (
            config_version(match.group(1) if match else None, {"generated_sha256": facts["sha256"]})
            or requested
        )
    record = {
        "kind": "rollback",
        "version": version,
        "requested": requested,
        "from": previous,
        "at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "outcome": "refused" if error else "restored",
        "error": error,
        "generated": facts,
        "deployed": _file_facts(deployed) if deployed is not None else None,
        "deployment": _identity(settings),
    }
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / ROLLBACK_FILE
    target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return target


def current_version(config_dir: Path) -> str | None:
    """The version the release is on before a rollback, as phase records name it."""
    generated = config_dir / "litellm-unified.yaml"
    if not generated.is_file():
        return None
    data = generated.read_bytes()
    match = _STAMP.search(data[:2000].decode("utf-8", "replace"))
    digest = hashlib.sha256(data).hexdigest()
    return config_version(match.group(1) if match else None, {"generated_sha256": digest})
