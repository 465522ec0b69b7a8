"""A distributed load run: one Locust master and its workers, read back as one result.

The master (a child process here) sends nothing; it waits up to ``worker_wait_s`` for every
worker, the local ones this module starts and the remote ones their operator starts with
:func:`remote_command`. Workers forward their per-request samples and their CPU and wall
seconds of the run to the master (a Locust custom message, see the locustfile); the master
writes them as one samples file and one per-worker report. The generator's CPU is the master's
(``wait4``, as for a single process) plus each worker's own figure (``getrusage`` over its run,
the only figure a worker on another machine can give), kept per process for the bottleneck
rule. A worker that died mid-run, or never sent a request, is reported in ``LoadResult.lost``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateproof.errors import ProbeError
from gateproof.load.results import GeneratorProcess, LoadResult, read_samples
from gateproof.load.runner import GRACE_S, LoadPlan, Progress, log_tail

WILDCARD = ("*", "0.0.0.0", "::", "")
WORKER_EXIT_S = 10.0  # after the master quit, how long its local workers get to exit


def bind_host(plan: LoadPlan) -> str:
    if plan.master_bind_host is not None:
        return plan.master_bind_host
    return "*" if plan.remote_workers else "127.0.0.1"


def advertised_host(plan: LoadPlan) -> str:
    """How workers reach the master: its bind address, or this machine's name."""
    host = bind_host(plan)
    if host not in WILDCARD:
        return host
    # Not socket.getfqdn(): a reverse lookup with no timeout stalls on a broken resolver.
    # The host name is what `hostname` prints; set load.master_bind_host where it is not
    # the name other machines know this one by.
    return socket.gethostname()


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("" if host in WILDCARD else host, 0))
        return int(probe.getsockname()[1])


def remote_command(plan: LoadPlan, port: int) -> str:
    """What an operator pastes on another machine (Locust installed, same version): the
    worker fetches the locustfile from the master (``-f -``)."""
    return f"locust -f - --worker --master-host {advertised_host(plan)} --master-port {port}"


def run_distributed(
    plan: LoadPlan, env: dict[str, str], where: Path, say: Callable[[str], None] | None
) -> LoadResult:
    host = bind_host(plan)
    port = plan.master_port or free_port(host)
    report_file = where / "workers.json"
    report_file.unlink(missing_ok=True)
    master_env = {**env, "GATEPROOF_LOAD_WORKER_REPORT": str(report_file)}
    worker_env = {k: v for k, v in env.items() if k not in ("GATEPROOF_LOAD_SAMPLES",
                                                           "GATEPROOF_LOAD_PROGRESS")}  # fmt: skip
    expected = plan.workers + plan.remote_workers
    command = remote_command(plan, port)
    if say is not None:
        say(f"{plan.name}: Locust master on {advertised_host(plan)}:{port} waits up to "
            f"{plan.worker_wait_s:g} s for {expected} workers ({plan.workers} local)")  # fmt: skip
        if plan.remote_workers:
            # the version from the package metadata: importing locust monkey-patches this process
            from importlib.metadata import version

            locust_version = version("locust")

            say(f"{plan.name}: start {plan.remote_workers} worker(s) on other machines (Locust "
                f"{locust_version}, as here), with the gateway key (gateway.master_key) exported "
                f"as GATEPROOF_LOAD_API_KEY: {command}")  # fmt: skip
    began = time.monotonic()
    started: list[subprocess.Popen[bytes]] = []
    try:
        master = _spawn(plan.master_argv(where / "locust", host, port), master_env, where, "master")
        started.append(master)
        local_host = "127.0.0.1" if host in WILDCARD else host
        for i in range(plan.workers):
            started.append(
                _spawn(plan.worker_argv(local_host, port), worker_env, where, f"worker-{i + 1}")
            )
        workers = started[1:]
        note = Progress(plan, where / "progress", began, say, expected) if say else None
        deadline = began + plan.worker_wait_s + plan.duration_s + plan.stop_timeout_s + GRACE_S
        ended = _reap([master, *workers], deadline, note.tick if note else None)
    except BaseException:
        # An error or Ctrl-C here must not leave the generator loading the gateway.
        for child in started:
            with contextlib.suppress(OSError):
                os.killpg(child.pid, signal.SIGKILL)
        raise
    wall = time.monotonic() - began
    status, master_cpu, _ = ended[master.pid]
    samples_file = where / "samples.csv"
    if not samples_file.is_file():
        raise _nothing_measured(plan, where, status, expected, command)
    reports = _read_reports(report_file)
    processes = (GeneratorProcess("master", master_cpu, wall), *_worker_processes(reports))
    lost = _lost(
        plan, reports, workers, ended, began, expected, bool(env["GATEPROOF_LOAD_API_KEY"])
    )
    samples = read_samples(samples_file)
    return LoadResult.of(plan.rate_rps, plan.duration_s, samples, 0.0, wall, plan.users,
                         processes=processes, lost=lost)  # fmt: skip


def _spawn(argv: list[str], env: dict[str, str], where: Path, name: str) -> subprocess.Popen[bytes]:
    with (where / f"locust-{name}.log").open("w", encoding="utf-8") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=where,
                                start_new_session=True)  # fmt: skip


def _reap(
    children: list[subprocess.Popen[bytes]], deadline: float, tick: Callable[[], None] | None
) -> dict[int, tuple[int, float, float]]:
    """Reap every child with ``wait4``: pid -> (exit status, CPU seconds, when it ended).
    Once the master (the first) ended, the others get a few seconds; at ``deadline`` or
    after those seconds, whatever still runs is killed."""
    ended: dict[int, tuple[int, float, float]] = {}
    master = children[0].pid
    while len(ended) < len(children):
        if tick is not None and master not in ended:
            tick()
        for child in children:
            if child.pid in ended:
                continue
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                child.returncode = os.waitstatus_to_exitcode(status)
                ended[pid] = (child.returncode, usage.ru_utime + usage.ru_stime, time.monotonic())
        now = time.monotonic()
        late = master in ended and now > ended[master][2] + WORKER_EXIT_S
        if now > deadline or late:
            for child in children:
                if child.pid not in ended:
                    os.killpg(child.pid, signal.SIGKILL)
        time.sleep(0.1)
    return ended


def _read_reports(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return sorted(data, key=lambda r: (str(r.get("host")), int(r.get("pid") or 0)))


def _worker_processes(reports: list[dict[str, Any]]) -> list[GeneratorProcess]:
    return [
        GeneratorProcess(
            f"worker {i} ({r.get('host')} pid {r.get('pid')})",
            float(r.get("cpu_s") or 0.0),
            float(r.get("wall_s") or 0.0),
            int(r.get("requests") or 0),
        )
        for i, r in enumerate(reports, start=1)
    ]


def _lost(
    plan: LoadPlan, reports: list[dict[str, Any]], local: list[subprocess.Popen[bytes]],
    ended: dict[int, tuple[int, float, float]], began: float, expected: int, keyed: bool,
) -> tuple[str, ...]:  # fmt: skip
    """What went wrong with the generator's own processes."""
    lost = []
    for i, report in enumerate(reports, start=1):
        name = f"worker {i} ({report.get('host')} pid {report.get('pid')})"
        if not report.get("final"):
            lost.append(f"{name} stopped reporting {float(report.get('wall_s') or 0):.1f} s into "
                        f"the run (died or lost the master), after {report.get('requests')} "
                        "requests")  # fmt: skip
        if keyed and not report.get("has_key"):
            lost.append(f"{name} had no GATEPROOF_LOAD_API_KEY: the gateway refused its requests")
    reported = {(r.get("host"), r.get("pid")) for r in reports}
    for child in local:  # one that died before its first report (else it is counted above)
        status, _, end = ended[child.pid]
        if (socket.gethostname(), child.pid) not in reported:
            lost.append(f"local worker pid {child.pid} sent no request (exit status {status} "
                        f"after {end - began:.1f} s)")  # fmt: skip
    if len(reports) < expected and not any("sent no request" in item for item in lost):
        lost.append(f"only {len(reports)} of {expected} workers sent requests "
                    f"({plan.setting}.workers / {plan.setting}.remote_workers)")  # fmt: skip
    return tuple(lost)


def _nothing_measured(
    plan: LoadPlan, where: Path, status: int, expected: int, command: str
) -> ProbeError:
    try:
        note = (where / "progress").read_text(encoding="utf-8").split()
    except OSError:
        note = []
    connected = int(note[2]) if len(note) == 4 else 0
    log = log_tail(where / "locust-master.log")
    if "Gave up waiting for workers" in log:
        return ProbeError(
            f"{connected} of {expected} load workers connected to the Locust master within "
            f"{plan.worker_wait_s:g} s ({plan.setting}.worker_wait_s; {plan.workers} local "
            f"from {plan.setting}.workers, {plan.remote_workers} on other machines from "
            f"{plan.setting}.remote_workers)",
            target=plan.url,
            setting=f"{plan.setting}.worker_wait_s",
            hint=f"on each other machine: {command}; local workers log to "
            f"{where}/locust-worker-N.log",
        )
    return ProbeError(
        f"the load generator (Locust master) ended with status {status} and measured "
        f"nothing: {log}",
        target=plan.url,
        setting=plan.setting,
        hint=f"see the logs in {where}",
    )
