"""The example Prometheus and Alertmanager configs are valid for their own tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from mon_paths import MONITORING, RULES

from gateproof import promtool

PROMETHEUS_YML = MONITORING / "prometheus" / "prometheus.yml"
ALERTMANAGER_YML = MONITORING / "alertmanager" / "alertmanager.yml"
JOBS = {"litellm", "node", "redis", "alertmanager", "prometheus"}


def test_prometheus_example_passes_promtool(tmp_path: Path) -> None:
    # promtool insists the credentials file exists: check a copy pointing at a dummy one.
    config = yaml.safe_load(PROMETHEUS_YML.read_text(encoding="utf-8"))
    key = tmp_path / "key"
    key.write_text("not-a-real-key\n", encoding="utf-8")
    (litellm,) = [job for job in config["scrape_configs"] if job["job_name"] == "litellm"]
    litellm["authorization"]["credentials_file"] = str(key)
    config["rule_files"] = [
        str(PROMETHEUS_YML.parent / pattern) for pattern in config["rule_files"]
    ]
    copy = tmp_path / "prometheus.yml"
    copy.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = promtool.check_config(copy)
    assert result.ok, result.describe()
    assert f"{len(RULES)} rule files found" in result.message  # every file of rules/


def test_prometheus_example_jobs_and_gateway_scrape() -> None:
    config = yaml.safe_load(PROMETHEUS_YML.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == JOBS
    # /metrics answers 307 to /metrics/, and needs the key unless auth is switched off.
    assert jobs["litellm"]["metrics_path"] == "/metrics/"
    assert "credentials_file" in jobs["litellm"]["authorization"]
    assert config["rule_files"] == ["rules/*.yml"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]


def test_alertmanager_example_passes_amtool() -> None:
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.fail("amtool not found: apt-get install prometheus-alertmanager")
    done = subprocess.run(
        [amtool, "check-config", str(ALERTMANAGER_YML)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 receivers" in done.stdout


def test_alertmanager_example_has_a_webhook_receiver() -> None:
    config = yaml.safe_load(ALERTMANAGER_YML.read_text(encoding="utf-8"))
    (receiver,) = config["receivers"]
    assert config["route"]["receiver"] == receiver["name"]
    assert receiver["webhook_configs"][0]["url"].startswith("http")
