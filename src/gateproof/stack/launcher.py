"""``stack up`` / ``status`` / ``down``: start the components in dependency order (in parallel
where they do not depend on each other), wait for each with a deadline, record them in
``RUN/stack.json``, and stop exactly the processes recorded there."""

from __future__ import annotations

import shlex
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from subprocess import Popen

import httpx
from pydantic import ValidationError

from gateproof import gitinfo
from gateproof.backups import make_backup
from gateproof.settings import Settings
from gateproof.stack import components as comp
from gateproof.stack import process
from gateproof.stack.component_files import rule_files
from gateproof.stack.layout import (
    FIXED_OFFSETS,
    RunDir,
    check_base_port,
    check_replicas,
    control_port,
    fixed_port,
    provider_port,
    replica_name,
    replica_port,
)
from gateproof.stack.litellm_env import ensure_venv, venv_dir
from gateproof.stack.progress import Waiter
from gateproof.stack.runconfig import (
    copy_sources,
    new_secrets,
    read_repo_gateproof_settings,
    write_secrets,
)
from gateproof.stack.settings_out import (
    cors_origins_for,
    settings_data,
    write_settings,
)
from gateproof.stack.state import StackState, Started

POLL_S = 0.1
STOP_DEADLINE_S = 10.0
Say = Callable[[str], None]


__all__ = ["StackError", "StackState", "Started", "down", "status_rows", "up"]


class StackError(Exception):
    """``up`` or ``down`` could not do its job; the message says what and what to do."""


def up(
    run_dir: Path,
    source_dir: Path,
    base_port: int,
    monitoring_dir: Path,
    say: Say = print,
    replicas: int = 1,
) -> StackState:
    """Start the whole stack; on any failure stop what was started and raise StackError.
    ``replicas`` > 1 starts that many gateways sharing the config, Redis and master key."""
    run = RunDir.at(run_dir)
    _refuse_if_running(run)
    # Both checks before the run dir is touched: a refused `up` leaves a previous run's
    # logs, secrets and settings as they were.
    _refuse_busy_ports(planned_ports(source_dir, base_port, replicas))
    _refuse_missing_programs()
    run.root.mkdir(parents=True, exist_ok=True)
    _clear_previous_run(run)
    began = time.monotonic()
    plans = copy_sources(source_dir.resolve(), run, base_port)
    repo_settings = read_repo_gateproof_settings(source_dir)
    stack_secrets = new_secrets(plans)
    write_secrets(run, stack_secrets)
    monitoring_dir = monitoring_dir.resolve()
    if not rule_files(monitoring_dir):
        say(f"note: no alert rules in {monitoring_dir}/prometheus/rules; Prometheus runs without")
    cors = cors_origins_for(repo_settings)
    parts = comp.build(
        run, base_port, plans, stack_secrets, venv_dir(), monitoring_dir, cors, replicas
    )
    try:
        settings = settings_data(run, base_port, plans, repo_settings, monitoring_dir.parent, cors)
        if replicas > 1:
            settings["gateway"]["replicas"] = replica_urls(base_port, replicas)
            Settings.model_validate(settings)
        source_repo = gitinfo.toplevel(source_dir.resolve())
        if source_repo is not None:  # the run dir's config is a copy: scan the original's history
            settings["source_repo"] = str(source_repo)
    except ValidationError as exc:
        raise StackError(f"the settings for this stack would be invalid:\n{exc}") from exc
    venv_began = time.monotonic()
    ensure_venv(say=say)
    state = StackState(str(run.root), base_port, str(source_dir.resolve()), replicas=replicas)
    state.providers = [asdict(plan) for plan in plans]
    state.venv_s = round(time.monotonic() - venv_began, 2)
    run.deployed_config.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run.generated_config, run.deployed_config)
    # As an operator would before going live (DEP-01): sources + deployed config, manifest.
    make_backup(run.config, run.backups, run.deployed_config)
    _start_all(run, parts, state, say, mask=list(stack_secrets.as_env().values()))
    state.status = "up"
    state.total_s = round(time.monotonic() - began, 2)
    for started in state.components:
        started.rss_kib = process.rss_kib(started.pid)
    state.save(run)
    write_settings(run, settings)
    return state


def replica_urls(base_port: int, replicas: int) -> list[str]:
    """Each gateway replica's own URL, the first being ``gateway.url``."""
    return [f"http://127.0.0.1:{replica_port(base_port, r)}" for r in range(1, replicas + 1)]


def _refuse_if_running(run: RunDir) -> None:
    state = StackState.load(run) if run.state.is_file() else None
    alive = state.alive() if state else []
    if alive:
        pids = ", ".join(f"{c.name} pid {c.pid}" for c in alive)
        raise StackError(
            f"a stack is already running from {run.root} ({pids}).\n"
            f"  Stop it first: gateproof stack down --run-dir {shlex.quote(str(run.root))}"
        )


def _clear_previous_run(run: RunDir) -> None:
    """A run dir used before starts clean: old logs, alerts and time series would otherwise be
    mistaken for this stack's (backups are kept: they are history)."""
    for path in (run.logs, run.data("prometheus"), run.data("alertmanager"), run.data("redis"),
                 run.data("log-shipper")):  # fmt: skip
        shutil.rmtree(path, ignore_errors=True)
    run.alerts.unlink(missing_ok=True)
    run.settings.unlink(missing_ok=True)  # written again only once this stack is up


def planned_ports(source_dir: Path, base_port: int, replicas: int = 1) -> list[tuple[str, int]]:
    """(component, port) for every port the stack would bind, from the sources alone."""
    from gateproof.schema import load_sources

    active = list(load_sources(source_dir.resolve()).active_providers())
    check_base_port(base_port, len(active))
    check_replicas(replicas, len(active))
    ports = [(name, fixed_port(base_port, name)) for name in FIXED_OFFSETS]
    ports += [(replica_name(r), replica_port(base_port, r)) for r in range(2, replicas + 1)]
    for i, name in enumerate(active):
        ports += [(f"standin-{name}", provider_port(base_port, i))]
        ports += [(f"standin-{name}", control_port(base_port, i))]
    return ports


def _refuse_missing_programs() -> None:
    missing = [
        f"  {name}: {path} not found"
        for name, path in comp.PROGRAMS.items()
        if not Path(path).is_file()
    ]
    if missing:
        raise StackError(
            "cannot start the stack, programs missing (nothing was started):\n"
            + "\n".join(missing)
            + "\n  Install them: apt-get install redis-server prometheus prometheus-alertmanager "
            "prometheus-node-exporter prometheus-redis-exporter"
        )


def _refuse_busy_ports(ports: list[tuple[str, int]]) -> None:
    busy = [
        f"  port {port} ({name}) is already in use"
        for name, port in ports
        if process.port_in_use(port)
    ]
    if busy:
        raise StackError(
            "cannot start the stack, ports already in use (nothing was started):\n"
            + "\n".join(busy)
            + "\n  Another stack or service listens there: stop it, or choose another --base-port."
        )


def _start_all(
    run: RunDir, parts: list[comp.Component], state: StackState, say: Say, mask: list[str]
) -> None:
    """Spawn components once their needs are ready; poll readiness until all are ready."""
    t0 = time.monotonic()
    pending = list(parts)
    waiting: dict[str, tuple[comp.Component, Popen[bytes], float]] = {}
    ready: set[str] = set()
    by_name: dict[str, Started] = {}
    waiter = Waiter("the stack to be ready", None, say)
    try:
        while pending or waiting:
            details: dict[str, str] = {}
            for part in [p for p in pending if all(n in ready for n in p.needs)]:
                pending.remove(part)
                popen = process.spawn(part.argv, part.env, run.log(part.name), run.root)
                waiting[part.name] = (part, popen, time.monotonic())
                by_name[part.name] = record_started(part, popen, run, time.monotonic() - t0)
                state.components.append(by_name[part.name])
                state.save(run)  # recorded at once: `down` can stop it even if we die now
            for name, (part, popen, since) in list(waiting.items()):
                _check_one(run, part, popen, since, mask)
                ok, detail = part.ready()
                details[name] = (
                    f"{time.monotonic() - since:.0f} s of {part.deadline_s:.0f} s: {detail}"
                )
                if ok:
                    ready.add(name)
                    del waiting[name]
                    by_name[name].ready_s = round(time.monotonic() - t0, 2)
                    say(f"  {name:<22} ready after {by_name[name].ready_s:5.1f} s")
            if waiting or pending:
                waiter.tick(_progress(len(ready), len(parts), waiting, details))
                time.sleep(POLL_S)
    except BaseException:
        state.status = "failed"
        process.terminate({c.pid: c.start_time for c in state.components}, STOP_DEADLINE_S)
        state.save(run)
        raise


def _progress(ready: int, total: int, waiting: Iterable[str], details: dict[str, str]) -> str:
    """'9 of 11 ready; litellm: 12 s of 90 s: <why not yet>' for the slowest few."""
    shown = [f"{name}: {details[name]}" for name in list(waiting)[:3] if name in details]
    return f"{ready} of {total} ready; " + "; ".join(shown)


def _check_one(
    run: RunDir, part: comp.Component, popen: Popen[bytes], since: float, mask: list[str]
) -> None:
    code = popen.poll()
    if code is not None:
        raise StackError(
            f"{part.name} exited with status {code} while starting; stopped the rest.\n"
            f"Last lines of {run.log(part.name)}:\n{process.tail(run.log(part.name), mask=mask)}"
        )
    if time.monotonic() - since > part.deadline_s:
        _, detail = part.ready()
        raise StackError(
            f"{part.name} was not ready within {part.deadline_s:.0f} s ({detail}); stopped the "
            f"rest.\nLast lines of {run.log(part.name)}:\n"
            f"{process.tail(run.log(part.name), mask=mask)}"
        )


def record_started(
    part: comp.Component, popen: Popen[bytes], run: RunDir, at: float = 0.0
) -> Started:
    """What the stack state keeps of a component just spawned (``at``: seconds into `up`)."""
    return Started(
        name=part.name,
        pid=popen.pid,
        start_time=process.start_time(popen.pid),
        port=part.port,
        ports=list(part.ports),
        url=part.url,
        health_url=part.health_url,
        log=str(run.log(part.name)),
        spawned_s=round(at, 2),
    )


def down(run_dir: Path, say: Say = print) -> int:
    """Stop every recorded process; 0 when nothing of the stack is left listening."""
    run = RunDir.at(run_dir)
    state = StackState.load(run)
    if state is None:
        say(f"no stack recorded in {run.root} (no stack.json): nothing to stop")
        return 0
    alive = state.alive()
    if not alive:
        say(f"stack in {run.root} is not running (already stopped)")
    killed = process.terminate({c.pid: c.start_time for c in alive}, STOP_DEADLINE_S)
    for name in (c.name for c in alive if c.pid in killed):
        say(f"  {name} ignored SIGTERM for {STOP_DEADLINE_S:.0f} s: killed")
    end = time.monotonic() + 5.0
    busy = _busy(state)
    while busy and time.monotonic() < end:
        time.sleep(0.1)
        busy = _busy(state)
    state.status = "stopped"
    state.save(run)
    if busy:
        say("still listening after stop: " + ", ".join(busy))
        return 1
    if alive:
        say(f"stopped {len(alive)} processes; nothing of the stack is listening")
    return 0


def _busy(state: StackState) -> list[str]:
    return [f"{c.name}:{p}" for c in state.components for p in c.ports if process.port_in_use(p)]


def status_rows(run_dir: Path) -> tuple[StackState | None, list[tuple[str, str, str, str]]]:
    """(component, pid, port, healthy?) for every recorded component."""
    state = StackState.load(RunDir.at(run_dir))
    if state is None:
        return None, []
    rows = []
    for c in state.components:
        alive = process.is_ours(c.pid, c.start_time)
        healthy = alive and _healthy(c)
        ports = "/".join(str(p) for p in c.ports)
        rows.append(
            (c.name, str(c.pid) if alive else f"{c.pid} (gone)", ports, "yes" if healthy else "no")
        )
    return state, rows


def _healthy(c: Started) -> bool:
    if not c.health_url:
        return process.port_in_use(c.port)
    try:
        return httpx.get(c.health_url, timeout=httpx.Timeout(2.0, connect=0.5)).status_code == 200
    except httpx.HTTPError:
        return False
