"""Preparing a run dir, without starting anything: the copied sources, secrets, component files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from gateproof.generate import unstamped
from gateproof.history import History
from gateproof.schema import load_sources
from gateproof.stack.component_files import prometheus_config, write_redis_conf
from gateproof.stack.layout import DEFAULT_BASE_PORT, RunDir
from gateproof.stack.runconfig import copy_sources, new_secrets, write_secrets
from gateproof.stack.testing import selftest_config_dir
from gateproof.stack.webhook import alert_lines


@pytest.fixture
def source_dir(request: pytest.FixtureRequest) -> Path:
    return selftest_config_dir(request.config.rootpath)


def test_default_base_port_copies_the_sources_unchanged(source_dir: Path, tmp_path: Path) -> None:
    run = RunDir.at(tmp_path)
    copy_sources(source_dir, run, DEFAULT_BASE_PORT)
    for name in ("providers.yaml", "model-mappings.yaml"):
        assert (run.config / name).read_bytes() == (source_dir / name).read_bytes(), name
    generated = (run.config / "litellm-unified.yaml").read_text()
    assert unstamped(generated) == unstamped((source_dir / "litellm-unified.yaml").read_text())
    assert len(History(run.config).entries) == 2  # the copied file and this deployment's


def test_other_base_port_rewrites_only_the_provider_urls(source_dir: Path, tmp_path: Path) -> None:
    run = RunDir.at(tmp_path)
    plans = copy_sources(source_dir, run, 30100)
    assert [p.port for p in plans] == [30110 + i for i in range(len(plans))]
    assert [p.control_port for p in plans] == [30210 + i for i in range(len(plans))]
    before = (source_dir / "providers.yaml").read_text().splitlines()
    after = (run.config / "providers.yaml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == len(plans)
    assert all("base_url:" in a and "127.0.0.1:301" in b for a, b in changed)
    generated = yaml.safe_load((run.config / "litellm-unified.yaml").read_text())
    bases = {m["litellm_params"].get("api_base", "") for m in generated["model_list"]}
    assert all(":301" in base for base in bases), bases
    routes = load_sources(run.config).routable_models()
    assert {r.api_base for r in routes.values()} == bases


def test_secrets_and_redis_password_stay_in_private_files(source_dir: Path, tmp_path: Path) -> None:
    run = RunDir.at(tmp_path)
    stack_secrets = new_secrets(copy_sources(source_dir, run, DEFAULT_BASE_PORT))
    write_secrets(run, stack_secrets)
    conf = write_redis_conf(run, DEFAULT_BASE_PORT, stack_secrets)
    for private in (run.secrets, conf):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert f"requirepass {stack_secrets.redis_password}" in conf.read_text()
    assert stack_secrets.master_key.startswith("sk-") and stack_secrets.master_key != "sk-1234"
    assert new_secrets([]).master_key != stack_secrets.master_key


def test_prometheus_scrapes_the_gateway_with_a_key_file(tmp_path: Path) -> None:
    config = prometheus_config(RunDir.at(tmp_path), 24100, ["/abs/rules.yml"])
    assert config["global"]["scrape_interval"] == "1s"
    assert config["global"]["evaluation_interval"] == "1s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"litellm", "node", "redis", "alertmanager", "prometheus"}
    gateway = jobs["litellm"]
    assert gateway["metrics_path"] == "/metrics/"
    assert gateway["authorization"]["credentials_file"].startswith(str(tmp_path))
    assert gateway["static_configs"] == [{"targets": ["127.0.0.1:24100"]}]
    assert config["rule_files"] == ["/abs/rules.yml"]


def test_webhook_writes_one_line_per_alert() -> None:
    payload = {
        "receiver": "webhook",
        "status": "firing",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "A"}, "fingerprint": "1"},
            {"status": "resolved", "labels": {"alertname": "B"}, "fingerprint": "2"},
        ],
    }
    lines = [json.loads(line) for line in alert_lines(payload, 1.0)]
    assert [(x["labels"]["alertname"], x["status"]) for x in lines] == [
        ("A", "firing"),
        ("B", "resolved"),
    ]
    assert all(x["receiver"] == "webhook" for x in lines)
