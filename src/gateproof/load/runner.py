"""Run the shipped locustfile headless as a child process and collect what it measured.

Locust patches its own process with gevent; running it as a child keeps that away from
pytest. The child's CPU time comes from the kernel (``wait4`` rusage), so the generator's own
load is measured, not guessed. The key reaches the child only through its environment.
A run that cannot start, or ends without samples, is a probe error: nothing was measured.
A plan with workers runs as a Locust master and its workers instead (``distributed``).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateproof.errors import ProbeError
from gateproof.load.results import LoadResult, read_samples

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SETTING = "postdeploy.warmup / load"
GRACE_S = 30.0  # locust start-up (imports) and stop, on top of the run's duration
PROGRESS_EVERY_S = 5.0  # how often a running load says how far it is


@dataclass(frozen=True)
class LoadPlan:
    """What to send: where, which models, how fast, for how long, how repetitive."""

    url: str
    models: tuple[str, ...]
    rate_rps: float
    duration_s: float
    users: int
    repeat_share: float
    setting: str = SETTING
    prefix: tuple[str, ...] = ()  # a wrapper command, e.g. ("taskset", "-c", "0")
    weights: tuple[float, ...] = ()  # per model, how often it is picked (default: evenly)
    # Requests still in flight at the end are awaited this long (and measured), not dropped:
    # a gateway retrying a failing provider answers after many seconds.
    stop_timeout_s: float = 30.0
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 30.0
    name: str = "load"  # what progress lines call it ("warm-up")

    # Distributed (both 0: one headless process): local worker processes, and workers on
    # other machines the master waits for (their operator starts them, see remote_command).
    workers: int = 0
    remote_workers: int = 0
    master_bind_host: str | None = None  # None: 127.0.0.1, or every interface with remote ones
    master_port: int = 0  # 0: a free port, chosen when the run starts
    worker_wait_s: float = 30.0  # how long the master waits for every worker to connect

    @property
    def distributed(self) -> bool:
        return self.workers + self.remote_workers > 0

    def argv(self, csv_prefix: Path) -> list[str]:
        """One headless process that sends everything."""
        return [
            *self.prefix, sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "-t", f"{self.duration_s:g}s", *self._common(csv_prefix),
        ]  # fmt: skip

    def master_argv(self, csv_prefix: Path, bind_host: str, port: int) -> list[str]:
        """The master: waits for every worker (bounded), sends nothing itself, ends the run
        after the duration once its workers sent their last samples."""
        return [
            *self.prefix, sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "--master", "--expect-workers", str(self.workers + self.remote_workers),
            "--expect-workers-max-wait", str(max(1, math.ceil(self.worker_wait_s))),
            "--master-bind-host", bind_host, "--master-bind-port", str(port),
            "--gateproof-duration", f"{self.duration_s:g}", *self._common(csv_prefix),
        ]  # fmt: skip

    def worker_argv(self, master_host: str, port: int) -> list[str]:
        """A local worker; its options come from the master."""
        return [
            *self.prefix, sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
            "--master-host", master_host, "--master-port", str(port), "--loglevel", "ERROR",
        ]  # fmt: skip

    def _common(self, csv_prefix: Path) -> list[str]:
        return [
            "-u", str(self.users), "-r", str(self.users),
            "-H", self.url, "--csv", str(csv_prefix), "--only-summary",
            "--loglevel", "ERROR", "--exit-code-on-error", "0",
            "--stop-timeout", f"{self.stop_timeout_s:g}",
            "--gateproof-users", str(self.users),
            "--gateproof-models", ",".join(self.models),
            "--gateproof-rate", f"{self.rate_rps:g}",
            "--gateproof-repeat-share", f"{self.repeat_share:g}",
            "--gateproof-weights", ",".join(f"{w:g}" for w in self.weights),
            "--gateproof-connect-timeout", f"{self.connect_timeout_s:g}",
            "--gateproof-read-timeout", f"{self.read_timeout_s:g}",
        ]  # fmt: skip


def rpm_weights(models: tuple[str, ...], rpm: dict[str, int | None]) -> tuple[float, ...]:
    """Pick each model in proportion to its configured rpm, so the mix stays under every
    model's own limit (a model without rpm gets the mean of the others)."""
    known = [float(v) for m in models if (v := rpm.get(m))]
    fallback = sum(known) / len(known) if known else 1.0
    return tuple(float(rpm.get(m) or fallback) for m in models)


def run_load(
    plan: LoadPlan,
    api_key: str | None,
    workdir: Path | None = None,
    say: Callable[[str], None] | None = None,
) -> LoadResult:
    """Send ``plan``'s traffic through the gateway; block until done (with a deadline).
    ``say``: gets a progress line every few seconds while the load runs."""
    if not plan.models:
        raise ProbeError("no model to send load to", setting=plan.setting)
    own_dir = None if workdir else tempfile.TemporaryDirectory(prefix="gateproof-load-")
    where = workdir or Path(own_dir.name if own_dir else ".")
    where.mkdir(parents=True, exist_ok=True)
    samples_file = where / "samples.csv"
    samples_file.unlink(missing_ok=True)
    env = {**os.environ, "GATEPROOF_LOAD_SAMPLES": str(samples_file)}
    env["GATEPROOF_LOAD_API_KEY"] = api_key or ""
    progress_file = where / "progress"
    progress_file.unlink(missing_ok=True)
    env["GATEPROOF_LOAD_PROGRESS"] = str(progress_file)
    if plan.distributed:
        from gateproof.load.distributed import run_distributed

        try:
            return run_distributed(plan, env, where, say)
        finally:
            if own_dir is not None:
                own_dir.cleanup()
    log = where / "locust.log"
    try:
        began = time.monotonic()
        with log.open("w", encoding="utf-8") as out:
            child = subprocess.Popen(
                plan.argv(where / "locust"), stdout=out, stderr=subprocess.STDOUT, env=env,
                cwd=where, start_new_session=True,
            )  # fmt: skip
        note = Progress(plan, progress_file, began, say) if say else None
        deadline = began + plan.duration_s + plan.stop_timeout_s + GRACE_S
        status, cpu_s = _wait(child, deadline, note.tick if note else None)
        wall = time.monotonic() - began
        if not samples_file.is_file():
            raise ProbeError(
                f"the load generator (locust) ended with status {status} and measured "
                f"nothing: {log_tail(log)}",
                target=plan.url,
                setting=plan.setting,
                hint=f"run it by hand: {' '.join(plan.argv(where / 'locust'))}",
            )
        samples = read_samples(samples_file)
        return LoadResult.of(plan.rate_rps, plan.duration_s, samples, cpu_s, wall, plan.users)
    finally:
        if own_dir is not None:
            own_dir.cleanup()


class Progress:
    """Progress lines of a running load: seconds of the planned duration, requests answered
    (as the locust child last noted them), then the wait for requests still in flight.
    Distributed (``workers``: how many the master waits for), the master's note adds the
    workers connected and when the run began; until then the lines count the workers."""

    def __init__(
        self, plan: LoadPlan, file: Path, began: float, say: Callable[[str], None],
        workers: int = 0,
    ) -> None:  # fmt: skip
        self.plan, self.file, self.began, self.say = plan, file, began, say
        self.workers = workers
        self.next_at = began + PROGRESS_EVERY_S

    def tick(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + PROGRESS_EVERY_S
        plan, elapsed = self.plan, now - self.began
        note = self._note()
        if self.workers:
            connected, started = (int(note[2]), float(note[3])) if len(note) == 4 else (0, 0.0)
            if not started:
                self.say(f"{plan.name}: waiting for workers, {connected} of {self.workers} "
                         f"connected (up to {plan.worker_wait_s:g} s, {plan.setting}."
                         "worker_wait_s)")  # fmt: skip
                return
            elapsed = time.time() - started
        done = self._answered(note)
        if elapsed <= plan.duration_s:
            where = f"{elapsed:.0f} of {plan.duration_s:g} s"
            asked = f", asked {plan.rate_rps:g} req/s to {plan.url}"
        else:
            over = elapsed - plan.duration_s
            where = f"{plan.duration_s:g} s done, stopping ({over:.0f} s"
            where += f" awaiting answers in flight, up to {plan.stop_timeout_s:g} s)"
            asked = ""
        spread = f", {self.workers} workers" if self.workers else ""
        self.say(f"{plan.name}: {where}, {done}{asked}{spread}")

    def _note(self) -> list[str]:
        try:
            return self.file.read_text(encoding="utf-8").split()
        except OSError:
            return []  # locust still starting

    @staticmethod
    def _answered(note: list[str]) -> str:
        if len(note) < 2 or not note[0].isdigit() or note[0] == "0":
            return "no request answered yet"
        return f"{note[0]} requests answered ({note[1]} errors)"


def _wait(
    child: subprocess.Popen[bytes], deadline: float, tick: Callable[[], None] | None = None
) -> tuple[int, float]:
    """Reap ``child`` with ``wait4`` (its CPU time), killing it at ``deadline``."""
    while True:
        if tick is not None:
            tick()
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return child.returncode, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            os.killpg(child.pid, signal.SIGKILL)
        time.sleep(0.1)


def log_tail(log: Path, lines: int = 6) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
