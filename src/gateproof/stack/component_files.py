"""Config files the stack writes for Redis, Prometheus and Alertmanager.

Prometheus here is the stack's own: 1 s scrape and evaluation so tests see changes within
seconds, the repo's ``monitoring/prometheus/rules/*.yml`` by absolute path, and the gateway
scraped at ``/metrics/`` (``/metrics`` redirects) with the master key read from a 0600 file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gateproof.stack.layout import RunDir, fixed_port, replica_port
from gateproof.stack.runconfig import StackSecrets, write_private

JOBS = ("litellm", "node", "redis", "alertmanager", "prometheus")
_JOB_COMPONENT = {
    "litellm": "litellm",
    "node": "node-exporter",
    "redis": "redis-exporter",
    "alertmanager": "alertmanager",
    "prometheus": "prometheus",
}


def rule_files(monitoring_dir: Path) -> list[str]:
    rules = monitoring_dir / "prometheus" / "rules"
    return sorted(str(path.resolve()) for path in rules.glob("*.yml"))


def write_redis_conf(run: RunDir, base: int, stack_secrets: StackSecrets) -> Path:
    """Redis with a password (kept out of argv) and no persistence."""
    data = run.data("redis")
    data.mkdir(parents=True, exist_ok=True)
    conf = data / "redis.conf"
    lines = [
        "bind 127.0.0.1",
        f"port {fixed_port(base, 'redis')}",
        "protected-mode yes",
        'save ""',
        "appendonly no",
        f"dir {json.dumps(str(data))}",  # quoted: a run dir may hold spaces
        'logfile ""',
        "daemonize no",
        f"requirepass {stack_secrets.redis_password}",
    ]
    write_private(conf, "\n".join(lines) + "\n")
    return conf


def prometheus_config(
    run: RunDir, base: int, rules: list[str], replicas: int = 1
) -> dict[str, Any]:
    def target(job: str) -> list[dict[str, list[str]]]:
        if job == "litellm":  # every gateway replica is a target of the one gateway job
            ports = [replica_port(base, r) for r in range(1, replicas + 1)]
            return [{"targets": [f"127.0.0.1:{p}" for p in ports]}]
        return [{"targets": [f"127.0.0.1:{fixed_port(base, _JOB_COMPONENT[job])}"]}]

    scrape: list[dict[str, Any]] = [
        {
            "job_name": "litellm",
            "metrics_path": "/metrics/",
            "authorization": {"type": "Bearer", "credentials_file": str(token_file(run))},
            "static_configs": target("litellm"),
        }
    ]
    scrape += [{"job_name": job, "static_configs": target(job)} for job in JOBS[1:]]
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "alerting": {
            "alertmanagers": [
                {"static_configs": [{"targets": [f"127.0.0.1:{fixed_port(base, 'alertmanager')}"]}]}
            ]
        },
        "rule_files": rules,
        "scrape_configs": scrape,
    }


# The stack's Prometheus runs a copy of the repo's rules with every `for:` cut to this, so an
# alert fires seconds after its cause (MON-07 end to end well under 90 s); MON-04 still tests
# the repo's own files, production durations and all, with promtool.
STACK_RULE_FOR = "5s"


def rules_dir(run: RunDir) -> Path:
    return run.data("prometheus") / "rules"


def write_rule_copies(run: RunDir, monitoring_dir: Path) -> list[str]:
    """The repo's rule files copied into RUN/prometheus/rules, `for:` cut to STACK_RULE_FOR;
    a test may add, edit or drop a file there and POST /-/reload."""
    target = rules_dir(run)
    target.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in rule_files(monitoring_dir):
        text = Path(source).read_text(encoding="utf-8")
        copy = target / Path(source).name
        copy.write_text(_fast_rules(text), encoding="utf-8")
        copies.append(str(copy))
    return copies


def _fast_rules(text: str) -> str:
    """``text`` with every alert's ``for:`` cut; a file that does not parse is kept as it is,
    so Prometheus itself reports what is wrong with it."""
    try:
        data = yaml.safe_load(text)
        for group in data.get("groups") or []:
            for rule in group.get("rules") or []:
                if "alert" in rule and "for" in rule:
                    rule["for"] = STACK_RULE_FOR
    except (yaml.YAMLError, AttributeError, TypeError):
        return text
    return yaml.safe_dump(data, sort_keys=False, width=200)


def token_file(run: RunDir) -> Path:
    return run.data("prometheus") / "litellm-master-key"


def write_prometheus_conf(
    run: RunDir, base: int, stack_secrets: StackSecrets, monitoring_dir: Path, replicas: int = 1
) -> Path:
    data = run.data("prometheus")
    (data / "data").mkdir(parents=True, exist_ok=True)
    write_private(token_file(run), stack_secrets.master_key)
    conf = data / "prometheus.yml"
    # A glob, so a test may add a rule file and POST /-/reload.
    rules = [str(rules_dir(run) / "*.yml")] if write_rule_copies(run, monitoring_dir) else []
    text = yaml.safe_dump(prometheus_config(run, base, rules, replicas), sort_keys=False)
    conf.write_text(text, encoding="utf-8")
    return conf


def write_alertmanager_conf(run: RunDir, base: int) -> Path:
    """Every alert goes to the stack's webhook receiver, at once, resolved ones too."""
    data = run.data("alertmanager")
    (data / "data").mkdir(parents=True, exist_ok=True)
    webhook = f"http://127.0.0.1:{fixed_port(base, 'webhook')}/alerts"
    config = {
        "route": {
            "receiver": "webhook",
            "group_by": ["alertname"],
            "group_wait": "0s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {"name": "webhook", "webhook_configs": [{"url": webhook, "send_resolved": True}]}
        ],
    }
    conf = data / "alertmanager.yml"
    conf.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return conf
