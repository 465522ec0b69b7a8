"""``gateproof stack restart --run-dir DIR``: restart the gateway on the config deployed in
``RUN/deployed/`` (what an operator's service restart does after a deploy or a rollback).

Only the LiteLLM process is stopped and started again, with the same command line and
environment ``up`` gave it (rebuilt from the run dir: providers from stack.json, secrets from
secrets.env, CORS origins from the source's gateproof.yaml). Redis, Prometheus and the
stand-ins keep running. The new process replaces the old one in stack.json, so ``down`` stops
it. With ``--replica N`` only that gateway replica is restarted; ``--config FILE`` starts it on
FILE instead of the deployed config (a replica made to differ from the others, as a hand-made
restart on the wrong file would)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from gateproof.settings import read_secrets_file
from gateproof.stack import components as comp
from gateproof.stack import process
from gateproof.stack.launcher import record_started
from gateproof.stack.layout import RunDir, fixed_port, replica_name, replica_port
from gateproof.stack.litellm_env import venv_dir
from gateproof.stack.progress import Waiter
from gateproof.stack.runconfig import ProviderPlan, StackSecrets, read_repo_gateproof_settings
from gateproof.stack.settings_out import cors_origins_for
from gateproof.stack.state import StackState

GATEWAY = "litellm"
STOP_DEADLINE_S = 10.0
Say = Callable[[str], None]


class RestartError(Exception):
    """The gateway could not be restarted; the message says why and what to look at."""


def _secrets(run: RunDir) -> StackSecrets:
    values = read_secrets_file(run.secrets)
    master, password = values.get("LITELLM_MASTER_KEY"), values.get("REDIS_PASSWORD")
    if not master or not password:
        raise RestartError(f"{run.secrets} lacks LITELLM_MASTER_KEY or REDIS_PASSWORD")
    keys = {k: v for k, v in values.items() if k not in ("LITELLM_MASTER_KEY", "REDIS_PASSWORD")}
    return StackSecrets(master, password, keys)


def _gateway_component(
    run: RunDir, state: StackState, replica: int = 1, config: Path | None = None
) -> comp.Component:
    plans = [ProviderPlan(**{**p, "models": tuple(p["models"])}) for p in state.providers]
    cors = cors_origins_for(read_repo_gateproof_settings(Path(state.source_dir)))
    return comp.litellm(
        run,
        replica_port(state.base_port, replica),
        fixed_port(state.base_port, "redis"),
        plans,
        _secrets(run),
        venv_dir(),
        cors,
        name=replica_name(replica),
        config=config.resolve() if config else None,
    )


def restart_gateway(
    run_dir: Path, say: Say = print, replica: int = 1, config: Path | None = None
) -> float:
    """Stop the gateway (``replica``), start it on the deployed config (or ``config``), wait
    until it is live; seconds taken."""
    run = RunDir.at(run_dir)
    state = StackState.load(run)
    if state is None or state.status != "up":
        raise RestartError(f"no running stack recorded in {run.root}: start it with `stack up`")
    if not 1 <= replica <= state.replicas:
        raise RestartError(f"no replica {replica}: the stack runs {state.replicas} gateway(s)")
    if config is not None and not config.is_file():
        raise RestartError(f"--config {config}: no such file")
    name = replica_name(replica)
    old = next((c for c in state.components if c.name == name), None)
    if old is None:
        raise RestartError(f"no gateway {name} recorded in {run.state}")
    part = _gateway_component(run, state, replica, config)
    began = time.monotonic()
    say(f"stopping the gateway (pid {old.pid})")
    if process.is_ours(old.pid, old.start_time):
        process.terminate({old.pid: old.start_time}, STOP_DEADLINE_S)
    waiter = Waiter(f"port {part.port} to be free", 10.0, say)
    while process.port_in_use(part.port):
        if waiter.expired():
            raise RestartError(
                f"port {part.port} is still bound after the gateway stopped; "
                f"`gateproof stack status --run-dir {run.root}` shows what holds it"
            )
        waiter.tick(f"port {part.port} still bound")
        time.sleep(0.1)
    running_on = config or run.deployed_config
    say(f"starting the gateway {name} on {running_on}")
    popen = process.spawn(part.argv, part.env, run.log(name), run.root)
    new = record_started(part, popen, run)
    state.components = [new if c.name == name else c for c in state.components]
    state.save(run)  # recorded at once: `down` stops it even if we die while waiting
    mask = list(_secrets(run).as_env().values())
    waiter = Waiter("the gateway to answer /health/liveliness", part.deadline_s, say)
    while True:
        code = popen.poll()
        if code is not None:
            raise RestartError(
                f"the gateway {name} exited with status {code} while starting on "
                f"{running_on}.\nLast lines of {run.log(name)}:\n"
                f"{process.tail(run.log(name), mask=mask)}"
            )
        ok, detail = part.ready()
        if ok:
            break
        if waiter.expired():
            raise RestartError(
                f"the gateway was not live within {part.deadline_s:.0f} s ({detail}); it is "
                f"still running as pid {popen.pid}: see {run.log(name)}"
            )
        waiter.tick(detail)
        time.sleep(0.2)
    taken = time.monotonic() - began
    new.ready_s = round(taken, 2)
    state.save(run)
    say(f"gateway live again after {taken:.1f} s (pid {popen.pid})")
    return taken
