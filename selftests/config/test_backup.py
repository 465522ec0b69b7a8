"""`gateproof backup`: every config file and the deployed copy, with a sha256 manifest."""

from __future__ import annotations

import json
from pathlib import Path

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
