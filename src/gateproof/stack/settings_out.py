"""``RUN/settings.yaml``: gateproof settings that point at the running reference stack.

Targets (URLs, ports, paths) come from the stack; policy (thresholds, required alerts,
timeouts, sign-off, hosts) from the repo's ``config/gateproof.yaml`` when it has one. Secrets
are only referenced (``os.environ/NAME``) and resolved from ``RUN/secrets.env``.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

from gateproof.settings import Settings
from gateproof.stack.component_files import JOBS
from gateproof.stack.layout import RunDir, fixed_port
from gateproof.stack.runconfig import ProviderPlan

DEFAULT_CORS_ORIGINS = ["https://chat.example.internal"]
POLICY_KEYS = ("thresholds", "alerts", "timeouts", "signoff", "hosts")
HEADER = (
    "# gateproof settings for the reference stack in this run dir (written by `stack up`).\n"
    "# Secrets are references, resolved from secrets_file. grafana and loki are stand-ins\n"
    "# (see docs/reference-stack.md): they speak the real APIs but are not Grafana or Loki.\n"
)


def cors_origins_for(repo_settings: dict[str, Any]) -> list[str]:
    """The origins the gateway runs with: the repo settings' gateway.cors_origins, else one."""
    gateway = repo_settings.get("gateway") or {}
    origins = gateway.get("cors_origins") if isinstance(gateway, dict) else None
    return [str(o) for o in origins] if origins else list(DEFAULT_CORS_ORIGINS)


def suite_argv(settings: Path, marker: str = "smoke") -> list[str]:
    """``pytest -m MARKER --gateproof-config=FILE``: the ``=`` keeps pytest from taking the
    settings file's folder as its rootdir (it infers that from every bare path argument)."""
    return ["pytest", "-m", marker, f"--gateproof-config={settings}"]


def fault_command(run: RunDir, provider: str, action: str) -> str:
    argv = [
        sys.executable,
        "-m",
        "gateproof.stack.commands",
        "stack",
        "fault",
        "--run-dir",
        str(run.root),
        "--provider",
        provider,
        action,
    ]
    return shlex.join(argv)


def settings_data(
    run: RunDir,
    base: int,
    plans: list[ProviderPlan],
    repo_settings: dict[str, Any],
    repo_root: Path,
    cors_origins: list[str],
) -> dict[str, Any]:
    def url(component: str) -> str:
        return f"http://127.0.0.1:{fixed_port(base, component)}"

    data: dict[str, Any] = {
        "config_dir": str(run.config),
        "secrets_file": str(run.secrets),
        "deployment": {"name": "reference", "environment": "staging", "exposure": "local"},
        "gateway": {
            "url": url("litellm"),
            "master_key": "os.environ/LITELLM_MASTER_KEY",
            "deployed_config": str(run.deployed_config),
            "service_name": "litellm",
            "service_manager": "process",
            "log_path": str(run.log("litellm")),
            "cors_origins": cors_origins,
        },
        "redis": {
            "host": "127.0.0.1",
            "port": fixed_port(base, "redis"),
            "password": "os.environ/REDIS_PASSWORD",
        },
        "prometheus": {
            "url": url("prometheus"),
            "gateway_job": "litellm",
            "expected_jobs": list(JOBS),
        },
        "alertmanager": {"url": url("alertmanager")},
        "grafana": {
            "url": url("grafana"),
            "token": "os.environ/GRAFANA_TOKEN",
            "dashboard_uid": "gateproof-litellm",
        },
        "loki": {"url": url("loki"), "job": "litellm"},
        "provider_controls": {
            p.name: {
                "stop": fault_command(run, p.name, "refuse"),
                "start": fault_command(run, p.name, "clear"),
            }
            for p in plans
        },
        "paths": {"backups": str(run.backups), "records": str(run.root / "records")},
    }
    for key in POLICY_KEYS:
        if key in repo_settings:
            data[key] = repo_settings[key]
    alerts = dict(data.get("alerts") or {})
    for key, default in (
        ("rule_files", "monitoring/prometheus/rules/*.yml"),
        ("rule_tests", "monitoring/prometheus/tests/*.yml"),
    ):  # absolute, so the settings work from any directory
        globs = alerts.get(key) or [default]
        alerts[key] = [g if Path(g).is_absolute() else str(repo_root / g) for g in globs]
    if "test_provider" not in alerts and plans:
        # ProviderDeploymentOutage needs every state series of a deployment failing; an
        # Ollama deployment keeps a second (cooldown) series that a refused connection never
        # moves on LiteLLM 1.108.7, so MON-07 stops an OpenAI-compatible provider if any.
        alerts["test_provider"] = next((p.name for p in plans if p.type != "ollama"), plans[0].name)
    data["alerts"] = alerts
    if isinstance(repo_settings.get("unit_tests"), dict):  # PRE-TST-01, run from the repo
        unit = dict(repo_settings["unit_tests"])
        workdir = Path(str(unit.get("workdir", ".")))
        unit["workdir"] = str(workdir if workdir.is_absolute() else repo_root / workdir)
        data["unit_tests"] = unit
    Settings.model_validate(data)  # fail now, not in the first test, if it is not valid
    return data


def write_settings(run: RunDir, data: dict[str, Any]) -> None:
    text = HEADER + yaml.safe_dump(data, sort_keys=False, width=200)
    run.settings.write_text(text, encoding="utf-8")
