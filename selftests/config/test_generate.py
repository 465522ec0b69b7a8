"""The generator: deterministic output LiteLLM's schema accepts, drift detection, versions,
retention, rollback round trip, and atomic writes under a simulated crash."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateproof import drift, history
from gateproof.generate import check, config_dict, generate, render, stamp_of, unstamped
from gateproof.schema import GENERATED_FILE, MAPPINGS_FILE, LiteLLMConfig, load_sources

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _bump(config: Path, old: str = "rpm: 30,", new: str = "rpm: 31,") -> None:
    path = config / MAPPINGS_FILE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_render_is_deterministic_and_independent_of_location(
    scratch_config: Path, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    shutil.copytree(scratch_config, other)
    first = render(load_sources(scratch_config))
    assert first == render(load_sources(scratch_config))
    assert first == render(load_sources(other))


def test_rendered_text_is_the_config_and_loads_strictly(scratch_config: Path) -> None:
    sources = load_sources(scratch_config)
    text = render(sources, "20250101T000000Z")
    data = yaml.safe_load(text)
    assert data == config_dict(sources)
    config = LiteLLMConfig.model_validate(data)
    assert "enforce_model_rate_limits" in config.router_settings.optional_pre_call_checks
    assert config.litellm_settings.callbacks == ["prometheus"]
    assert config.general_settings.master_key == "os.environ/LITELLM_MASTER_KEY"
    params = {e.model_name: e.litellm_params for e in config.model_list}
    assert params["qwen-coder-vllm"].model == "hosted_vllm/Qwen/Qwen2.5-Coder-7B-Instruct"
    assert params["qwen-coder-vllm"].api_base == "http://127.0.0.1:24111/v1"
    assert params["llama3.1:latest"].model == "ollama_chat/llama3.1:latest"
    assert params["llama-cpp-default"].api_key == "no-key-required"
    assert all(p.rpm or p.tpm for p in params.values())
    assert stamp_of(text) == "20250101T000000Z"
    assert f"# sources-sha256: {sources.sha256}" in text


def test_the_committed_reference_config_is_current(scratch_config: Path) -> None:
    assert check(scratch_config) == ""


@pytest.mark.parametrize(
    ("edit", "same"),
    [
        (lambda t: t, True),
        (lambda t: t.replace("# sources-sha256: ", "# sources-sha256: 00", 1), True),
        (lambda t: t.replace("# version: ", "# version: 1", 1), True),
        (lambda t: re.sub(r"^# version: .*$", "", t, count=1, flags=re.M), True),
        (lambda t: t.replace("Do not edit", "Do  not edit", 1), False),
        (lambda t: "# one more comment\n" + t, False),
        (lambda t: t.replace("model_list:\n", "model_list:\n# version: x\n", 1), False),
        (lambda t: t.replace("rpm: ", "rpm:  ", 1), False),
        (lambda t: t[:-1], False),
        (lambda t: t + "\n", False),
        (lambda t: t.replace("\n", "\r\n"), False),
        (lambda t: t.split("\n\n")[0] + "\n\n", False),
        (lambda t: "", False),
    ],
)
def test_text_comparison_without_a_render_agrees_with_one(
    scratch_config: Path, edit: Any, same: bool
) -> None:
    """PRE-CFG-02 compares the committed text with a render it never builds in full."""
    sources = load_sources(scratch_config)
    text = edit((scratch_config / GENERATED_FILE).read_text(encoding="utf-8"))
    assert drift.same_text(text, render(sources)) is same
    assert drift.same_as_render(text, sources, config_dict(sources)) is same


def test_stale_and_hand_edited_files_show_a_diff(scratch_config: Path) -> None:
    target = scratch_config / GENERATED_FILE
    original = target.read_text()
    target.write_text(original.replace("tpm: 40000", "tpm: 99999"))
    diff = check(scratch_config)
    assert "-      tpm: 99999" in diff and "+      tpm: 40000" in diff
    target.write_text(original)
    _bump(scratch_config)
    diff = check(scratch_config)
    assert "-      rpm: 30" in diff and "+      rpm: 31" in diff
    assert "-# sources-sha256:" in diff


def test_only_the_version_stamp_may_differ(scratch_config: Path) -> None:
    target = scratch_config / GENERATED_FILE
    text = target.read_text()
    stamp = stamp_of(text)
    assert stamp
    target.write_text(text.replace(f"# version: {stamp}", "# version: 19990101T000000Z"))
    assert check(scratch_config) == ""
    assert unstamped(text) == unstamped(target.read_text())


def test_generate_is_a_no_op_when_current(scratch_config: Path) -> None:
    before = (scratch_config / GENERATED_FILE).read_bytes()
    result = generate(scratch_config)
    assert not result.changed
    assert (scratch_config / GENERATED_FILE).read_bytes() == before
    assert not (scratch_config / history.HISTORY_DIR).exists()


def test_generate_keeps_the_replaced_file_and_records_versions(scratch_config: Path) -> None:
    committed = (scratch_config / GENERATED_FILE).read_bytes()
    _bump(scratch_config)
    result = generate(scratch_config, now=T0)
    assert result.changed and result.version == "20250301T120000Z"
    assert result.preserved == stamp_of(committed.decode())
    hist = history.History(scratch_config)
    assert hist.current == result.version
    assert [e.kind for e in hist.newest_first()] == ["generate", "pre-generate"]
    assert result.preserved is not None
    _entry, kept = hist.data_of(result.preserved)
    assert kept == committed
    _entry, live = hist.data_of(result.version)
    assert live == (scratch_config / GENERATED_FILE).read_bytes()


def test_retention_keeps_the_newest_n(scratch_config: Path) -> None:
    for step in range(6):
        _bump(scratch_config, f"rpm: {30 + step},", f"rpm: {31 + step},")
        generate(scratch_config, keep=3, now=T0 + timedelta(seconds=step))
    hist = history.History(scratch_config)
    assert len(hist.entries) == 3
    assert hist.entries[-1].version == hist.current == "20250301T120005Z"
    files = sorted(p.name for p in hist.dir.glob("litellm-unified.*.yaml"))
    assert files == sorted(e.file for e in hist.entries)


def test_same_second_versions_stay_unique(scratch_config: Path) -> None:
    _bump(scratch_config)
    first = generate(scratch_config, now=T0)
    _bump(scratch_config, "rpm: 31,", "rpm: 32,")
    second = generate(scratch_config, now=T0)
    assert first.version != second.version == "20250301T120000Z-2"


def test_rollback_round_trip(scratch_config: Path, tmp_path: Path) -> None:
    committed = (scratch_config / GENERATED_FILE).read_bytes()
    deployed = tmp_path / "deployed.yaml"
    _bump(scratch_config)
    result = generate(scratch_config, now=T0)
    newer = (scratch_config / GENERATED_FILE).read_bytes()
    deployed.write_bytes(newer)
    assert result.preserved
    back = history.rollback(scratch_config, result.preserved, deploy_path=deployed, now=T0)
    assert (scratch_config / GENERATED_FILE).read_bytes() == committed
    assert deployed.read_bytes() == committed
    hist = history.History(scratch_config)
    assert hist.current == result.preserved
    assert back.before_rollback and hist.data_of(back.before_rollback)[1] == newer
    assert back.deployed_before_rollback
    assert hist.record["events"][-1]["action"] == "rollback"
    # and forward again
    history.rollback(scratch_config, result.version)
    assert (scratch_config / GENERATED_FILE).read_bytes() == newer


def test_unknown_version_lists_the_available_ones(scratch_config: Path) -> None:
    _bump(scratch_config)
    result = generate(scratch_config, now=T0)
    with pytest.raises(history.RollbackError) as refused:
        history.rollback(scratch_config, "20200101T000000Z")
    assert f"available (newest first): {result.version}, {result.preserved}" in str(refused.value)


def test_a_tampered_copy_is_refused(scratch_config: Path) -> None:
    _bump(scratch_config)
    result = generate(scratch_config, now=T0)
    hist = history.History(scratch_config)
    entry = hist.entries[0]
    (hist.dir / entry.file).write_text("model_list: []\n")
    before = (scratch_config / GENERATED_FILE).read_bytes()
    with pytest.raises(history.RollbackError, match="does not match its recorded sha256"):
        history.rollback(scratch_config, entry.version)
    assert (scratch_config / GENERATED_FILE).read_bytes() == before
    assert result.changed


def test_crash_during_write_leaves_the_old_file(
    scratch_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = scratch_config / GENERATED_FILE
    before = target.read_bytes()
    _bump(scratch_config)
    real_replace = os.replace

    def crash(src: str, dst: str | Path) -> None:
        if Path(dst) == target:
            raise OSError("simulated power loss")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated power loss"):
        generate(scratch_config, now=T0)
    monkeypatch.setattr(os, "replace", real_replace)
    assert target.read_bytes() == before
    leftovers = [p.name for p in scratch_config.rglob("*.tmp")]
    assert leftovers == []
    hist = history.History(scratch_config)
    assert hist.current is None
    assert all(e.kind != "generate" for e in hist.entries)
    assert all((hist.dir / e.file).exists() for e in hist.entries)
    # the next run completes normally
    assert generate(scratch_config, now=T0).changed
    assert check(scratch_config) == ""


def test_crash_after_the_live_write_still_lists_the_new_version(
    scratch_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bump(scratch_config)

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt  # killed between the live write and the final record update

    monkeypatch.setattr(history.History, "_event", crash)
    with pytest.raises(KeyboardInterrupt):
        generate(scratch_config, now=T0)
    monkeypatch.undo()
    live = (scratch_config / GENERATED_FILE).read_bytes()
    version = stamp_of(live.decode())
    assert version is not None
    _entry, kept = history.History(scratch_config).data_of(version)
    assert kept == live, "the live file's version must be listed and restorable"


def test_invalid_sources_never_touch_the_generated_file(scratch_config: Path) -> None:
    before = (scratch_config / GENERATED_FILE).read_bytes()
    (scratch_config / MAPPINGS_FILE).write_text("exact_matches: [\n")
    with pytest.raises(Exception, match="not valid YAML"):
        generate(scratch_config)
    assert (scratch_config / GENERATED_FILE).read_bytes() == before
