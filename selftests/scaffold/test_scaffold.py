"""`gateproof scaffold DIR` from the installed wheel: what it writes, what it refuses."""

from __future__ import annotations

from pathlib import Path

import yaml
from scaffold_env import Installed, clean_env, exit_code, run

EXPECTED = {
    "README.md",
    "pytest.ini",
    "conftest.py",
    "requirements-gateproof.txt",
    ".gitignore",
    ".gitlab-ci.yml",
    ".github/workflows/gateproof.yml",
    "checks/test_team_checks.py",
    "config/gateproof.yaml",
    "config/providers.yaml",
    "config/model-mappings.yaml",
    "config/litellm-unified.yaml",
    "config/waivers.yaml",
    "monitoring/prometheus/rules/litellm.yml",
    "monitoring/prometheus/tests/litellm_test.yml",
}


def test_scaffold_writes_a_deployment_repository(scaffolded: Path) -> None:
    written = {
        p.relative_to(scaffolded).as_posix()
        for p in scaffolded.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(scaffolded).parts
    }
    assert written >= EXPECTED, sorted(EXPECTED - written)
    assert (scaffolded / ".git").is_dir()  # PRE-SEC-05 scans the config's git history
    assert not [p for p in written if "@@" in (scaffolded / p).read_text("utf-8")]
    requirement = (scaffolded / "requirements-gateproof.txt").read_text("utf-8")
    assert "gateproof==0.1.0" in requirement
    settings = yaml.safe_load((scaffolded / "config/gateproof.yaml").read_text("utf-8"))
    assert settings["deployment"]["name"] == "llm-gateway"


def test_scaffolded_secrets_are_references_only(scaffolded: Path) -> None:
    settings = yaml.safe_load((scaffolded / "config/gateproof.yaml").read_text("utf-8"))
    assert settings["gateway"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    assert settings["redis"]["password"] == "os.environ/REDIS_PASSWORD"
    for path in scaffolded.joinpath("config").glob("*.yaml"):
        for line in path.read_text("utf-8").splitlines():
            code = line.split("#", 1)[0]
            if any(word in code for word in ("key:", "password:", "token:")):
                assert "os.environ/" in code, f"{path.name}: {line}"


def test_generated_config_is_current(installed: Installed, scaffolded: Path) -> None:
    output = run(installed.command("generate", "--check"), scaffolded, clean_env(installed))
    assert exit_code(output) == 0, output


def test_refuses_a_non_empty_target_without_force(installed: Installed, tmp_path: Path) -> None:
    target = tmp_path / "existing"
    target.mkdir()
    (target / "pytest.ini").write_text("[pytest]\n# the team's own\n", "utf-8")
    output = run(installed.command("scaffold", str(target)), tmp_path, clean_env(installed))
    assert exit_code(output) == 2, output
    assert "is not empty; nothing written. Pass --force" in output
    assert sorted(p.name for p in target.iterdir()) == ["pytest.ini"]
    assert (target / "pytest.ini").read_text("utf-8") == "[pytest]\n# the team's own\n"

    forced = installed.command("scaffold", "--force", "--name", "staging", str(target))
    output = run(forced, tmp_path, clean_env(installed))
    assert exit_code(output) == 0, output
    assert "gateproof = true" in (target / "pytest.ini").read_text("utf-8")
    assert "name: staging" in (target / "config/gateproof.yaml").read_text("utf-8")


def test_refuses_a_bad_deployment_name(installed: Installed, tmp_path: Path) -> None:
    cmd = installed.command("scaffold", "--name", "a: b", str(tmp_path / "x"))
    output = run(cmd, tmp_path, clean_env(installed))
    assert exit_code(output) == 2, output
    assert "deployment name 'a: b'" in output
    assert not (tmp_path / "x").exists()
