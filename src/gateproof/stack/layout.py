"""Where everything of one running stack lives: its ports and the files of its run dir.

Ports are offsets from one base port (default 24100, a range no real gateway, Ollama, vLLM,
Redis or Prometheus uses by default)::

    +0 gateway   +1 redis   +2 prometheus   +3 alertmanager   +4 node exporter
    +5 redis exporter   +6 alert webhook   +7 grafana   +8 loki   +9 log shipper
    +10+i provider i   +110+i its control API
    +100+r-2  gateway replica r (r >= 2, with ``stack up --replicas N``)

Run dir layout (every path below is under ``--run-dir``)::

    stack.json          pids, ports, start times of what ``up`` started (``down`` reads it)
    settings.yaml       gateproof settings pointing at this stack
    secrets.env         0600 NAME=value: master key, Redis password, provider keys
    config/             the source of truth, ports rewritten, litellm-unified.yaml regenerated
    deployed/           the LiteLLM config as deployed (what the proxy was started with)
    logs/NAME.log       stdout+stderr of each component
    alerts.jsonl        one line per alert the webhook receiver got from Alertmanager
    backups/            the pre-deployment backup `up` takes before starting the gateway
    prometheus/ alertmanager/ redis/   their config files and data dirs
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_PORT = 24100
PROVIDER_OFFSET = 10
CONTROL_OFFSET = 110
MAX_PROVIDERS = 90  # keeps provider ports below the control range
REPLICA_OFFSET = 100  # gateway replicas 2.. sit between the provider and the control ranges
MAX_REPLICAS = 10

FIXED_OFFSETS = {
    "litellm": 0,
    "redis": 1,
    "prometheus": 2,
    "alertmanager": 3,
    "node-exporter": 4,
    "redis-exporter": 5,
    "webhook": 6,
    "grafana": 7,  # stand-in
    "loki": 8,  # stand-in
    "log-shipper": 9,  # its status page
}


def provider_port(base: int, index: int) -> int:
    return base + PROVIDER_OFFSET + index


def control_port(base: int, index: int) -> int:
    return base + CONTROL_OFFSET + index


def fixed_port(base: int, component: str) -> int:
    return base + FIXED_OFFSETS[component]


def replica_port(base: int, replica: int) -> int:
    """Port of gateway replica ``replica`` (1-based): the first is the gateway port itself."""
    return base if replica == 1 else base + REPLICA_OFFSET + replica - 2


def replica_name(replica: int) -> str:
    """Component name (and log file) of a gateway replica: ``litellm``, ``litellm-2``, ..."""
    return "litellm" if replica == 1 else f"litellm-{replica}"


def check_replicas(replicas: int, providers: int) -> None:
    if not 1 <= replicas <= MAX_REPLICAS:
        raise ValueError(f"--replicas {replicas}: choose 1..{MAX_REPLICAS}")
    if replicas > 1 and providers > REPLICA_OFFSET - PROVIDER_OFFSET:
        raise ValueError(f"{providers} active providers leave no port for a second replica")


def check_base_port(base: int, providers: int) -> None:
    if providers > MAX_PROVIDERS:
        raise ValueError(
            f"{providers} active providers: the stack supports at most {MAX_PROVIDERS}"
        )
    if not 1024 <= base <= 65535 - CONTROL_OFFSET - providers:
        raise ValueError(
            f"base port {base} out of range: choose 1024..{65535 - CONTROL_OFFSET - providers}"
        )


@dataclass(frozen=True)
class RunDir:
    """Paths inside one stack's run dir (always absolute)."""

    root: Path

    @classmethod
    def at(cls, path: Path) -> RunDir:
        return cls(path.expanduser().resolve())

    @property
    def state(self) -> Path:
        return self.root / "stack.json"

    @property
    def settings(self) -> Path:
        return self.root / "settings.yaml"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.env"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def generated_config(self) -> Path:
        return self.config / "litellm-unified.yaml"

    @property
    def deployed_config(self) -> Path:
        return self.root / "deployed" / "litellm-unified.yaml"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts.jsonl"

    def data(self, component: str) -> Path:
        return self.root / component
