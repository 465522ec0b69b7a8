"""`gateproof generate | backup | rollback` as an operator runs them: output and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateproof.cli import main
from gateproof.schema import GENERATED_FILE, MAPPINGS_FILE


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no config/gateproof.yaml here
    monkeypatch.delenv("GATEPROOF_CONFIG", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_generate_list_rollback(
    scratch_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(scratch_config)
    assert _run(capsys, "generate", "--check", "--config-dir", cfg)[0] == 0
    committed = (scratch_config / GENERATED_FILE).read_bytes()
    mappings = scratch_config / MAPPINGS_FILE
    mappings.write_text(mappings.read_text().replace("rpm: 30,", "rpm: 31,"))

    code, out, err = _run(capsys, "generate", "--check", "--config-dir", cfg)
    assert code == 1 and "+      rpm: 31" in out and "run `gateproof generate" in err
    assert (scratch_config / GENERATED_FILE).read_bytes() == committed

    code, out, _ = _run(capsys, "generate", "--config-dir", cfg, "--keep", "5")
    assert code == 0 and out.startswith(f"wrote {cfg}/{GENERATED_FILE} version ")
    code, out, _ = _run(capsys, "generate", "--config-dir", cfg)
    assert code == 0 and out.startswith("up to date")

    code, out, _ = _run(capsys, "generate", "--list-backups", "--config-dir", cfg)
    rows = out.splitlines()[1:]
    assert code == 0 and len(rows) == 2 and rows[0].endswith("(current)")
    old_version = rows[1].split()[0]

    code, out, _ = _run(capsys, "rollback", old_version, "--config-dir", cfg)
    assert code == 0 and f"restored {cfg}/{GENERATED_FILE} to version {old_version}" in out
    assert (scratch_config / GENERATED_FILE).read_bytes() == committed

    code, _, err = _run(capsys, "rollback", "nope", "--config-dir", cfg)
    assert code == 1 and "unknown version 'nope'" in err and old_version in err


def test_invalid_sources_exit_2_with_every_finding(
    scratch_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    providers = scratch_config / "providers.yaml"
    providers.write_text(
        providers.read_text()
        .replace("type: vllm", "type: vlm")
        .replace("status: disabled", "status: off")
    )
    code, _, err = _run(capsys, "generate", "--config-dir", str(scratch_config))
    assert code == 2 and "2 problem(s)" in err
    assert "got 'vlm' (did you mean 'vllm'?)" in err
    assert "got False (YAML reads unquoted yes/no/on/off/true/false as a boolean" in err
    assert "Traceback" not in err


def test_backup_command(
    scratch_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "backup", "--config-dir", str(scratch_config), "--backups-dir", str(tmp_path / "bk")
    )
    assert code == 0 and "backup written:" in out
    assert len(list((tmp_path / "bk").glob("pre-deployment-*/manifest.json"))) == 1


def test_missing_config_dir_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "generate", "--config-dir", str(tmp_path / "none"))
    assert code == 2 and "cannot read" in err and "Traceback" not in err


def test_generate_warns_when_the_written_config_still_fails_a_check(
    scratch_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mappings = scratch_config / MAPPINGS_FILE
    text = mappings.read_text()
    assert "chain: [mistral-7b-instruct]" in text
    mappings.write_text(text.replace("chain: [mistral-7b-instruct]", "chain: [gpt-4o-mini]"))
    code, out, err = _run(capsys, "generate", "--config-dir", str(scratch_config))
    assert code == 0 and out.startswith("wrote ")
    assert "warning: PRE-CFG-05 still fails (1 problem(s))" in err
    assert "'gpt-4o-mini' is listed by provider 'openai-cloud' (disabled)" in err
    code, _, err = _run(capsys, "generate", "--config-dir", str(scratch_config))
    assert code == 0 and "PRE-CFG-05 still fails" in err, "an up-to-date file is no excuse"
