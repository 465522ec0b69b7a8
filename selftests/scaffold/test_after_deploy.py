"""The after-deploy job's smoke command, as the CI files run it, from a scaffolded repository
with the installed wheel, against the running reference deployment: GREEN, exit 0.

The settings come in as a pipeline would pass them for another environment
(``GATEPROOF_CONFIG``); the command line is the CI file's own. (Its postdeploy command needs
the postdeploy checks, which live in the acceptance suite, not in this folder.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from scaffold_env import Installed, clean_env, exit_code, git_clone, run

from gateproof.stack.restart import restart_gateway
from gateproof.stack.testing import ReferenceStack


def test_after_deploy_smoke_is_green_on_a_healthy_deployment(
    installed: Installed,
    scaffolded: Path,
    reference_stack: ReferenceStack,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    copy = tmp_path_factory.mktemp("deploy") / "repo"
    shutil.copytree(scaffolded, copy)
    repo = git_clone(copy, copy.parent / "checkout")
    workflow = yaml.safe_load((repo / ".github/workflows/gateproof.yml").read_text("utf-8"))
    (smoke,) = [
        step["run"]
        for step in workflow["jobs"]["after-deploy"]["steps"]
        if step.get("run", "").startswith("gateproof run smoke")
    ]
    # After a deploy the gateway has restarted: DEP-03 reads its log since that start, not the
    # errors the session's earlier fault selftests made the shared stack's gateway log.
    restart_gateway(reference_stack.run.root, say=lambda _: None)
    env = {k: v for k, v in clean_env(installed).items() if not k.startswith("GATEPROOF_")}
    env["GATEPROOF_CONFIG"] = str(reference_stack.settings_path)
    env.pop("LITELLM_MASTER_KEY")  # the stack's settings name its secrets file
    env.pop("REDIS_PASSWORD")
    output = run(["bash", "-e", "-c", smoke], repo, env)
    assert exit_code(output) == 0, output
    assert "VERDICT: GREEN" in output
    record = json.loads((repo / "records/smoke/record.json").read_text("utf-8"))
    assert record["verdict"] == "GREEN"
    assert record["items"]["SMK-06"]["outcome"] == "passed"  # the destructive variant ran
    assert (repo / "records/smoke/report.html").is_file()
