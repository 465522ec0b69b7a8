"""What the stack runs: one :class:`Component` per process, with its command line, environment,
port, readiness check and the components it must wait for.

Dependencies are few on purpose so that start-up runs in parallel: only the gateway waits
(for Redis and every stand-in, which it contacts while starting). Prometheus starts at once;
it is ready when it has scraped every target, which happens after the gateway is up.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gateproof.stack import health
from gateproof.stack.component_files import (
    JOBS,
    write_alertmanager_conf,
    write_prometheus_conf,
    write_redis_conf,
)
from gateproof.stack.layout import FIXED_OFFSETS, RunDir, fixed_port, replica_name, replica_port
from gateproof.stack.litellm_env import litellm_bin, proxy_env
from gateproof.stack.runconfig import ProviderPlan, StackSecrets

REDIS_SERVER = "/usr/bin/redis-server"
PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
REDIS_EXPORTER = "/usr/bin/prometheus-redis-exporter"
STACK_DEPLOYMENT = "reference"  # deployment.name in the settings `up` writes
PROGRAMS = {  # the Debian programs the stack runs (LiteLLM comes from its own venv)
    "redis": REDIS_SERVER,
    "prometheus": PROMETHEUS,
    "alertmanager": ALERTMANAGER,
    "node-exporter": NODE_EXPORTER,
    "redis-exporter": REDIS_EXPORTER,
}
# Node exporter's default list minus "overlay", so "/" in a container still has disk metrics.
FS_TYPES_EXCLUDE = (
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
    "iso9660|mqueue|nsfs|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|"
    "tracefs)$"
)


@dataclass
class Component:
    name: str
    argv: list[str]
    port: int
    ready: health.Check
    env: dict[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    deadline_s: float = 20.0
    other_ports: tuple[int, ...] = ()  # also bound by it (a stand-in's control API)
    url: str = ""
    health_url: str = ""  # what `stack status` asks (cheap, no secrets needed)

    @property
    def ports(self) -> tuple[int, ...]:
        return (self.port, *self.other_ports)


def base_env(**extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.update(extra)
    return env


def standin(plan: ProviderPlan, stack_secrets: StackSecrets) -> Component:
    argv = [
        sys.executable,
        "-m",
        "gateproof.stack.standin",
        "--name",
        plan.name,
        "--type",
        plan.type,
        "--host",
        "127.0.0.1",
        "--port",
        str(plan.port),
        "--control-port",
        str(plan.control_port),
    ]
    for model in plan.models:
        argv += ["--model", model]
    env = base_env(PYTHONUNBUFFERED="1")
    if plan.api_key_env:
        argv += ["--api-key-env", plan.api_key_env]
        env[plan.api_key_env] = stack_secrets.provider_keys[plan.api_key_env]
    ready = health.all_of(health.http_ok(f"{plan.control_url}/healthz"), health.tcp_open(plan.port))
    return Component(
        f"standin-{plan.name}",
        argv,
        plan.port,
        ready,
        env,
        other_ports=(plan.control_port,),
        url=f"http://127.0.0.1:{plan.port}",
        health_url=f"{plan.control_url}/healthz",
    )


def build(
    run: RunDir,
    base: int,
    plans: list[ProviderPlan],
    stack_secrets: StackSecrets,
    venv: Path,
    monitoring_dir: Path,
    cors_origins: list[str],
    replicas: int = 1,
) -> list[Component]:
    """Every component of the stack; writes their config files into the run dir. ``replicas``
    > 1: more gateways on their own ports, same config file, Redis and master key."""
    port = {name: fixed_port(base, name) for name in FIXED_OFFSETS}
    local = {name: f"http://127.0.0.1:{p}" for name, p in port.items()}
    listen = {name: f"127.0.0.1:{p}" for name, p in port.items()}
    components = [standin(plan, stack_secrets) for plan in plans]
    redis_conf = write_redis_conf(run, base, stack_secrets)
    components.append(
        Component(
            "redis",
            [
                REDIS_SERVER,
                str(redis_conf),  # holds requirepass: the password stays out of argv
                "--port",
                str(port["redis"]),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            port["redis"],
            health.redis_ping(port["redis"], stack_secrets.redis_password),
            base_env(),
            url=f"redis://127.0.0.1:{port['redis']}",
        )
    )
    components.append(
        Component(
            "webhook",
            [
                sys.executable,
                "-m",
                "gateproof.stack.webhook",
                "--port",
                str(port["webhook"]),
                "--out",
                str(run.alerts),
            ],
            port["webhook"],
            health.http_ok(f"{local['webhook']}/healthz"),
            base_env(PYTHONUNBUFFERED="1"),
            url=local["webhook"],
            health_url=f"{local['webhook']}/healthz",
        )
    )
    am_conf = write_alertmanager_conf(run, base)
    components.append(
        Component(
            "alertmanager",
            [
                ALERTMANAGER,
                f"--config.file={am_conf}",
                f"--storage.path={run.data('alertmanager') / 'data'}",
                f"--web.listen-address={listen['alertmanager']}",
                "--cluster.listen-address=",
            ],
            port["alertmanager"],
            health.http_ok(f"{local['alertmanager']}/-/ready"),
            base_env(),
            url=local["alertmanager"],
            health_url=f"{local['alertmanager']}/-/ready",
        )
    )
    components.append(
        _exporter(
            "node-exporter",
            [
                NODE_EXPORTER,
                f"--web.listen-address={listen['node-exporter']}",
                "--no-collector.systemd",
                f"--collector.filesystem.fs-types-exclude={FS_TYPES_EXCLUDE}",
                f"--collector.textfile.directory={watch_textfile_dir(run)}",
            ],
            port["node-exporter"],
            "node_cpu_seconds_total",
            base_env(),
        )
    )
    components.append(
        _exporter(
            "redis-exporter",
            [
                REDIS_EXPORTER,
                f"-redis.addr=redis://127.0.0.1:{port['redis']}",
                f"-web.listen-address={listen['redis-exporter']}",
            ],
            port["redis-exporter"],
            "redis_up 1",  # it answers before it has reached Redis: wait until it has
            base_env(REDIS_PASSWORD=stack_secrets.redis_password),
        )
    )
    components.append(
        litellm(run, port["litellm"], port["redis"], plans, stack_secrets, venv, cors_origins)
    )
    for replica in range(2, replicas + 1):
        at = replica_port(base, replica)
        name = replica_name(replica)
        components.append(
            litellm(run, at, port["redis"], plans, stack_secrets, venv, cors_origins, name=name)
        )
    prom_conf = write_prometheus_conf(run, base, stack_secrets, monitoring_dir, replicas)
    components.append(
        Component(
            "prometheus",
            [
                PROMETHEUS,
                f"--config.file={prom_conf}",
                f"--storage.tsdb.path={run.data('prometheus') / 'data'}",
                f"--web.listen-address={listen['prometheus']}",
                "--web.enable-lifecycle",
                "--storage.tsdb.retention.time=1d",
            ],
            port["prometheus"],
            health.prometheus_targets(local["prometheus"], JOBS),
            base_env(),
            deadline_s=60.0,
            url=local["prometheus"],
            health_url=f"{local['prometheus']}/-/healthy",
        )
    )
    components += observability(run, base, monitoring_dir, stack_secrets.grafana_token)
    return components


def observability(run: RunDir, base: int, monitoring_dir: Path, token: str) -> list[Component]:
    """The stand-ins for Grafana and Loki, and the shipper feeding Loki the gateway's log."""
    from gateproof.stack.observability.files import (
        dashboards_dir,
        datasources_file,
        write_grafana_files,
    )

    write_grafana_files(run, base, monitoring_dir)
    port = {name: fixed_port(base, name) for name in ("grafana", "loki", "log-shipper")}
    url = {name: f"http://127.0.0.1:{p}" for name, p in port.items()}
    module = "gateproof.stack.observability"
    env = base_env(PYTHONUNBUFFERED="1")
    grafana = Component(
        "grafana",
        [
            sys.executable,
            "-m",
            f"{module}.grafana",
            "--port",
            str(port["grafana"]),
            "--dashboards",
            str(dashboards_dir(run)),
            "--datasources",
            str(datasources_file(run)),
            "--token-env",
            "GRAFANA_TOKEN",
        ],
        port["grafana"],
        health.http_ok(f"{url['grafana']}/api/health"),
        {**env, "GRAFANA_TOKEN": token},
        url=url["grafana"],
        health_url=f"{url['grafana']}/api/health",
    )
    loki = Component(
        "loki",
        [sys.executable, "-m", f"{module}.loki", "--port", str(port["loki"])],
        port["loki"],
        health.http_ok(f"{url['loki']}/ready"),
        env,
        url=url["loki"],
        health_url=f"{url['loki']}/ready",
    )
    shipper = Component(
        "log-shipper",
        [
            sys.executable,
            "-m",
            f"{module}.shipper",
            "--file",
            str(run.log("litellm")),
            "--loki",
            url["loki"],
            "--job",
            "litellm",
            "--host-label",
            "gateway-host",
            "--positions",
            str(run.data("log-shipper") / "positions.json"),
            "--status-port",
            str(port["log-shipper"]),
        ],
        port["log-shipper"],
        health.http_ok(f"{url['log-shipper']}/healthz"),
        env,
        needs=("loki",),
        url=url["log-shipper"],
        health_url=f"{url['log-shipper']}/healthz",
    )
    run.data("log-shipper").mkdir(parents=True, exist_ok=True)
    return [grafana, loki, shipper]


def watch_textfile_dir(run: RunDir) -> Path:
    """``RUN/textfile``: the node exporter's textfile collector reads the metrics `gateproof
    watch` writes there. It starts with the idle state (no watch running, not red), so the
    alert rules on those metrics have series to evaluate (MON-03) before the first watch."""
    from gateproof.watch.metrics import idle_state, textfile_path, write_textfile

    directory = run.root / "textfile"
    target = textfile_path(directory, STACK_DEPLOYMENT)
    if not target.exists():
        write_textfile(target, idle_state(STACK_DEPLOYMENT))
    return directory


def _exporter(
    name: str, argv: list[str], port: int, ready_text: str, env: dict[str, str]
) -> Component:
    """An exporter is ready once its /metrics page holds ``ready_text``."""
    url = f"http://127.0.0.1:{port}"
    ready = health.http_ok(f"{url}/metrics", contains=ready_text)
    return Component(name, argv, port, ready, env, url=url, health_url=f"{url}/metrics")


def litellm(
    run: RunDir,
    port: int,
    redis_port: int,
    plans: list[ProviderPlan],
    stack_secrets: StackSecrets,
    venv: Path,
    cors_origins: list[str],
    name: str = "litellm",
    config: Path | None = None,
) -> Component:
    """A gateway process; ``name`` tells replicas apart (``litellm-2``...), ``config``
    replaces the deployed file (a replica made to differ, in a test)."""
    ollama = next((p.base_url for p in plans if p.type == "ollama"), None)
    env = proxy_env(
        master_key=stack_secrets.master_key,
        redis_port=redis_port,
        redis_password=stack_secrets.redis_password,
        cors_origins=cors_origins,
        ollama_base=ollama,
        provider_keys=stack_secrets.provider_keys,
    )
    argv = [
        str(litellm_bin(venv)),
        "--config",
        str(config or run.deployed_config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}"
    return Component(
        name,
        argv,
        port,
        health.http_ok(f"{url}/health/liveliness"),
        env,
        needs=("redis", *(f"standin-{p.name}" for p in plans)),
        deadline_s=90.0,
        url=url,
        health_url=f"{url}/health/liveliness",
    )
