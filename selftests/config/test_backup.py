"""`gateproof backup`: every config file and the deployed copy, with a sha256 manifest."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from gateproof.backups import make_backup, verify_backup
from gateproof.errors import GateproofError


def test_backup_holds_every_file_with_its_sha256(scratch_config: Path, tmp_path: Path) -> None:
    deployed = tmp_path / "deployed.yaml"
    deployed.write_text("model_list: []\n")
    secrets = scratch_config / "secrets.env"
    secrets.write_text("REDIS_PASSWORD=x\n")
    secrets.chmod(0o600)
    out = make_backup(scratch_config, tmp_path / "backups", deployed)
    manifest = json.loads((out / "manifest.json").read_text())
    paths = sorted(item["path"] for item in manifest["files"])
    assert paths == [
        "config/litellm-unified.yaml",
        "config/model-mappings.yaml",
        "config/providers.yaml",
        "deployed/deployed.yaml",
    ]
    assert (out / "config" / "providers.yaml").read_bytes() == (
        scratch_config / "providers.yaml"
    ).read_bytes()
    assert verify_backup(out) == []
    (out / "config" / "providers.yaml").write_text("tampered\n")
    assert any("sha256 differs" in p for p in verify_backup(out))


def test_two_backups_in_one_second_do_not_collide(scratch_config: Path, tmp_path: Path) -> None:
    first = make_backup(scratch_config, tmp_path / "b")
    second = make_backup(scratch_config, tmp_path / "b")
    assert first != second and second.name.startswith(first.name)
    assert not list((tmp_path / "b").glob(".*"))  # no half-made temp dirs left


def test_missing_deployed_config_is_an_error(scratch_config: Path, tmp_path: Path) -> None:
    with pytest.raises(GateproofError, match=r"deployed config .* does not exist"):
        make_backup(scratch_config, tmp_path / "b", tmp_path / "nope.yaml")
    assert not list((tmp_path / "b").iterdir())


# DEP-01's acceptance test in an inner run against a real backup of a scratch config.
DEP01 = Path(__file__).resolve().parents[2] / "tests" / "integration" / "test_backup.py"


def _dep01(pytester: pytest.Pytester, config: Path, backups: Path, deployed: Path) -> Any:
    settings = pytester.path / "settings.yaml"
    settings.write_text(
        f"config_dir: {config}\npaths: {{backups: {backups}}}\n"
        f"gateway: {{url: 'http://127.0.0.1:9', deployed_config: {deployed}}}\n",
        encoding="utf-8",
    )
    record = pytester.path / "record"
    pytester.runpytest_inprocess(
        str(DEP01),
        "--import-mode=importlib",
        "--gateproof-config",
        str(settings),
        "--gateproof-record",
        str(record),
    )
    return json.loads((record / "record.json").read_text(encoding="utf-8"))["items"]["DEP-01"]


def test_dep01_ignores_a_touch_and_catches_a_content_change(
    pytester: pytest.Pytester, scratch_config: Path, tmp_path: Path
) -> None:
    deployed = tmp_path / "deployed.yaml"
    deployed.write_bytes((scratch_config / "litellm-unified.yaml").read_bytes())
    backups = tmp_path / "backups"
    make_backup(scratch_config, backups, deployed)
    later = time.time() + 120
    for path in [deployed, *scratch_config.iterdir()]:
        os.utime(path, (later, later))  # touched after the backup, content unchanged

    assert _dep01(pytester, scratch_config, backups, deployed)["outcome"] == "passed"

    deployed.write_bytes(deployed.read_bytes() + b"# edited after the backup\n")
    item = _dep01(pytester, scratch_config, backups, deployed)
    assert item["outcome"] == "failed"
    message = item["tests"][0]["message"]
    assert "older than the last configuration change" in message
    assert f"diff -u {backups}" in message and str(deployed) in message
