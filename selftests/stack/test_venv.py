"""The gateway venv: reused when finished, adopted when built by hand, rebuilt when half-built.
(The build itself is measured by bench/stack_start.py --cold; here it is replaced.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateproof.stack import litellm_env


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    venv = litellm_env.venv_dir()
    assert venv == tmp_path / "gateproof" / f"litellm-{litellm_env.LITELLM_VERSION}"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "litellm").write_text("#!/bin/sh\n")
    return venv


def _record_builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    built: list[Path] = []
    monkeypatch.setattr(litellm_env, "_build", lambda venv, say: built.append(venv))
    return built


def test_a_finished_venv_is_reused_without_checks(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cache / litellm_env.MARKER).write_text("done\n")
    built = _record_builds(monkeypatch)
    monkeypatch.setattr(litellm_env, "_works", lambda venv: pytest.fail("checked again"))
    assert litellm_env.ensure_venv(say=lambda _: None) == cache
    assert built == []


def test_a_working_venv_without_marker_is_adopted(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _record_builds(monkeypatch)
    monkeypatch.setattr(litellm_env, "_works", lambda venv: True)
    litellm_env.ensure_venv(say=lambda _: None)
    assert built == []
    assert (cache / litellm_env.MARKER).is_file()


def test_a_half_built_venv_is_rebuilt(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _record_builds(monkeypatch)
    # the real import check, against a venv whose python does not exist
    litellm_env.ensure_venv(say=lambda _: None)
    assert built == [cache]


def test_the_gateway_environment_is_minimal_and_offline() -> None:
    env = litellm_env.proxy_env(
        master_key="sk-x",
        redis_port=24101,
        redis_password="pw",
        cors_origins=["https://a.example", "https://b.example"],
        ollama_base="http://127.0.0.1:24110",
        provider_keys={"LMSTUDIO_API_KEY": "k"},
    )
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert env["LITELLM_CORS_ORIGINS"] == "https://a.example,https://b.example"
    assert env["OLLAMA_API_BASE"] == "http://127.0.0.1:24110"
    assert env["JSON_LOGS"] == "True" and env["LMSTUDIO_API_KEY"] == "k"
    assert not [name for name in env if "PROXY" in name.upper() and name != "NO_PROXY"]
