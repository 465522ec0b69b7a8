"""``RUN/stack.json``: what ``stack up`` started, so ``status`` and ``down`` (any later
process) know exactly which processes are the stack's."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from gateproof.stack import process
from gateproof.stack.layout import RunDir


@dataclass
class Started:
    """One component as recorded in stack.json."""

    name: str
    pid: int
    start_time: int | None
    port: int
    ports: list[int]
    url: str
    health_url: str
    log: str
    spawned_s: float = 0.0  # seconds after `up` began
    ready_s: float | None = None
    rss_kib: int | None = None


@dataclass
class StackState:
    run_dir: str
    base_port: int
    source_dir: str
    status: str = "starting"  # starting | up | stopped | failed
    venv_s: float = 0.0
    total_s: float = 0.0
    components: list[Started] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)  # ProviderPlan fields
    replicas: int = 1  # gateway processes (`up --replicas N`): litellm, litellm-2, ...

    def save(self, run: RunDir) -> None:
        tmp = run.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        tmp.replace(run.state)

    @classmethod
    def load(cls, run: RunDir) -> StackState | None:
        if not run.state.is_file():
            return None
        data: dict[str, Any] = json.loads(run.state.read_text(encoding="utf-8"))
        started = [Started(**c) for c in data.pop("components", [])]
        return cls(**data, components=started)

    def alive(self) -> list[Started]:
        return [c for c in self.components if process.is_ours(c.pid, c.start_time)]
