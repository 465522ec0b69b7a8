"""The CI files the scaffold writes: valid against the GitHub Actions and GitLab CI schemas
check-jsonschema vendors, running the same gate commands, and those commands (the predeploy
job's: it needs no live deployment to give a verdict) run in order on a scaffolded repository
give a real verdict, fail the job when it is not green and leave what the jobs upload."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from scaffold_env import GATEWAY_PORT, SECRETS, Installed, clean_env, exit_code, git_clone, run

GITHUB = ".github/workflows/gateproof.yml"
GITLAB = ".gitlab-ci.yml"
# Predeploy items that need only the repository: they pass on the scaffolded one.
UNIT_ITEMS = (
    *("PRE-CFG-01", "PRE-CFG-02", "PRE-CFG-03", "PRE-CFG-04", "PRE-CFG-05", "MON-04"),
    *("PRE-SEC-02", "PRE-SEC-05", "PRE-SEC-06"),
)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def github_predeploy_commands(repo: Path) -> list[str]:
    """The predeploy job's `run` steps, but the one installing system packages (promtool is
    a prerequisite of gateproof's own tests already)."""
    steps = _load(repo / GITHUB)["jobs"]["predeploy"]["steps"]
    return [s["run"] for s in steps if "run" in s and s.get("id") != "system-packages"]


def gitlab_predeploy_commands(repo: Path) -> list[str]:
    jobs = _load(repo / GITLAB)
    lines = [*jobs[".gateproof"]["before_script"], *jobs["gateproof:predeploy"]["script"]]
    return [line for line in lines if not line.startswith("apt-get ")]


@pytest.mark.parametrize(("path", "schema"), [(GITHUB, "github-workflows"), (GITLAB, "gitlab-ci")])
def test_ci_file_matches_its_schema(scaffolded: Path, path: str, schema: str) -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    cmd = [str(tool), "--builtin-schema", f"vendor.{schema}", str(scaffolded / path)]
    output = run(cmd, scaffolded, {"PATH": str(tool.parent)})
    assert exit_code(output) == 0, output
    assert "ok -- validation done" in output


def test_both_ci_files_run_the_same_gate(scaffolded: Path) -> None:
    github = github_predeploy_commands(scaffolded)
    assert github == gitlab_predeploy_commands(scaffolded)
    assert github[-1] == "gateproof run predeploy --out records/predeploy"
    after = _load(scaffolded / GITHUB)["jobs"]["after-deploy"]["steps"]
    gates = [s["run"] for s in after if s.get("run", "").startswith("gateproof run")]
    assert gates == _load(scaffolded / GITLAB)["gateproof:after-deploy"]["script"]
    # after a deploy nothing is left out: a destructive check not run would make it INCOMPLETE
    assert gates == [
        "gateproof run smoke --gateproof-allow-destructive --out records/smoke",
        "gateproof run postdeploy --gateproof-allow-destructive --out records/postdeploy",
    ]


@pytest.fixture(scope="module")
def ci_run(installed: Installed, scaffolded: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    copy = tmp_path_factory.mktemp("ci") / "repo"
    shutil.copytree(scaffolded, copy)
    repo = git_clone(copy, copy.parent / "checkout")
    env = clean_env(installed)
    outputs = [run(["bash", "-e", "-c", cmd], repo, env) for cmd in github_predeploy_commands(repo)]
    return repo, outputs


def test_ci_predeploy_commands_give_a_real_verdict(ci_run: Any) -> None:
    repo, (install, gate) = ci_run
    assert exit_code(install) == 0, install
    assert "gateproof==0.1.0" in install  # satisfied by the wheel just installed
    # No live deployment answers: RED, and the job fails (pytest's exit code 1, not 5).
    assert exit_code(gate) == 1, gate
    assert "VERDICT: RED" in gate
    out = repo / "records" / "predeploy"
    record = json.loads((out / "record.json").read_text("utf-8"))
    assert record["verdict"] == "RED"
    assert record["scope"]["phases"] == ["predeploy"]
    outcomes = {item: record["items"][item]["outcome"] for item in UNIT_ITEMS}
    assert outcomes == dict.fromkeys(UNIT_ITEMS, "passed")
    # No unit tests of its own configured yet: N/A. The version store is not in git (a CI
    # clone has none): PRE-TST-04 fails naming it, as on any runner without the real store.
    assert record["items"]["PRE-TST-01"]["outcome"] == "not_applicable"
    assert record["items"]["PRE-TST-04"]["outcome"] == "failed"
    assert ".litellm-history" in str(record["items"]["PRE-TST-04"]["tests"])
    # the live checks ran and could not reach the components: errors naming the setting
    assert record["items"]["PRE-INF-01"]["outcome"] == "error"
    messages = [t["message"] for item in record["items"].values() for t in item["tests"]]
    assert any(f"http://127.0.0.1:{GATEWAY_PORT}" in m and "gateway.url" in m for m in messages)
    # what the artifact steps upload (GitHub: the folder; GitLab: records/ and its JUnit glob)
    assert (out / "report.html").is_file()
    assert "RED" in (out / "report.html").read_text("utf-8")
    assert (out / "checklist.md").is_file()
    # the secrets the pipeline exports never reach its output or artifacts
    for text in (gate, *(p.read_text("utf-8") for p in out.iterdir())):
        assert SECRETS[0] not in text
        assert SECRETS[1] not in text
    assert list((repo / "records").glob("*/junit.xml")) == [out / "junit.xml"]


def test_team_item_joins_verdict_record_and_checklist(ci_run: Any) -> None:
    repo, _ = ci_run
    out = repo / "records" / "predeploy"
    item = json.loads((out / "record.json").read_text("utf-8"))["items"]["TEAM-01"]
    assert item["title"] == "Every public model says what it is for"
    assert item["phase"] == "predeploy"
    assert item["outcome"] == "passed"
    assert [t["nodeid"] for t in item["tests"]] == [
        "checks/test_team_checks.py::test_every_public_model_has_a_description"
    ]
    assert "TEAM-01" in (out / "checklist.md").read_text("utf-8")


def test_team_item_failure_turns_the_run_red(installed: Installed, ci_run: Any) -> None:
    repo, _ = ci_run
    mappings = repo / "config" / "model-mappings.yaml"
    text = mappings.read_text("utf-8")
    mappings.write_text(text.replace("    description: General chat\n", ""), "utf-8")
    try:
        cmd = installed.command("run", "predeploy", "--out", "records/team", "-k", "public_model")
        output = run(cmd, repo, clean_env(installed))
    finally:
        mappings.write_text(text, "utf-8")
    assert exit_code(output) == 1, output
    record = json.loads((repo / "records/team/record.json").read_text("utf-8"))
    team = record["items"]["TEAM-01"]
    assert team["outcome"] == "failed"
    assert "TEAM-01 public models without a description" in team["tests"][0]["message"]
    assert "llama3.1:latest" in team["tests"][0]["message"]
    assert record["verdict"] == "RED"


def test_root_conftest_serves_the_teams_checks(installed: Installed, ci_run: Any) -> None:
    repo, _ = ci_run
    conftest = repo / "conftest.py"
    original = conftest.read_text("utf-8")
    conftest.write_text(
        original + "\n\nimport pytest\n\n\n@pytest.fixture\ndef team_value() -> str:\n"
        "    return 'from the root conftest'\n",
        "utf-8",
    )
    check = repo / "checks" / "test_root_fixture.py"
    check.write_text(
        "import pytest\n\n\n@pytest.mark.predeploy\n@pytest.mark.checklist('TEAM-01')\n"
        "def test_uses_root_fixture(team_value):\n"
        "    assert team_value == 'from the root conftest'\n",
        "utf-8",
    )
    try:
        cmd = installed.command("run", "predeploy", "--out", "records/root", "-k", "root_fixture")
        output = run(cmd, repo, clean_env(installed))
    finally:
        conftest.write_text(original, "utf-8")
        check.unlink()
    record = json.loads((repo / "records/root/record.json").read_text("utf-8"))
    outcomes = {t["nodeid"]: t["outcome"] for t in record["items"]["TEAM-01"]["tests"]}
    assert outcomes["checks/test_root_fixture.py::test_uses_root_fixture"] == "passed", output
