"""The locustfile gateproof ships: chat completions through the gateway at a steady rate.

Run by :mod:`gateproof.load.runner` as its own ``locust --headless`` process (gevent patches
that process only, never pytest's), or distributed: one ``--master`` that sends nothing and
workers (local processes, or ``locust -f - --worker --master-host HOST --master-port PORT`` on
other machines, which fetch this file from the master) that send the traffic.

Options (sent from the master to its workers): ``--gateproof-models`` (comma list),
``--gateproof-rate`` (requests/s over all users of all workers), ``--gateproof-users`` (all
users of all workers; 0: the users of this process), ``--gateproof-repeat-share`` (share of
requests that repeat one of a few fixed prompts, so the cache can hit),
``--gateproof-weights`` (comma list, one per model: how often each is picked; gateproof passes
the models' rpm, so traffic stays under each model's own limit), ``--gateproof-duration``
(master only, instead of ``-t``: after this many seconds the master stops its workers, waits
for their last samples, then quits; with ``-t`` a headless master quits without them).

Environment (never on the command line, so it stays out of ``ps``):
``GATEPROOF_LOAD_API_KEY`` the gateway key; ``GATEPROOF_LOAD_SAMPLES`` a CSV file this process
(single or master: every worker's requests) writes one line per request to:
``start_epoch_s,latency_ms,status,model``; ``GATEPROOF_LOAD_PROGRESS`` a file rewritten about
every second with ``answered errors`` (a master adds ``workers_connected started_epoch_s``);
``GATEPROOF_LOAD_WORKER_REPORT`` (master) a JSON file: per worker its host, pid, requests, and
CPU and wall seconds of its run, whether its last report came (else it died mid-run) and
whether it had a key.
"""

from __future__ import annotations

import json
import os
import random
import resource
import socket
import time
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

REPEATED_PROMPTS = 2  # per model: few, so a short warm-up already sees cache hits
PROGRESS_EVERY_S = 1.0
FORWARD_EVERY_S = 1.0  # how often a worker sends its new samples to the master
QUIT_AFTER_STOP_S = 0.5  # a worker's "stopped" message reaches the master before it quits
_samples: list[tuple[float, float, int, str]] = []
_progress_at = [0.0]  # when the progress file was last written
_run: dict[str, float] = {}  # this process's run: wall and CPU clock at its start
_workers: dict[str, dict[str, Any]] = {}  # master: what each worker reported, by locust id


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _options(parser: Any) -> None:
    parser.add_argument("--gateproof-models", default="", help="comma list of model names")
    parser.add_argument("--gateproof-rate", type=float, default=1.0, help="total requests/s")
    parser.add_argument("--gateproof-users", type=int, default=0, help="users of all workers")
    parser.add_argument("--gateproof-repeat-share", type=float, default=0.0)
    parser.add_argument("--gateproof-weights", default="", help="comma list, one per model")
    parser.add_argument("--gateproof-connect-timeout", type=float, default=3.0)
    parser.add_argument("--gateproof-read-timeout", type=float, default=30.0)
    parser.add_argument("--gateproof-duration", type=float, default=0.0, help="master: seconds")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@events.init.add_listener  # type: ignore[untyped-decorator]
def _init(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message("gateproof_samples", _received)
        gevent.spawn(_master_progress, environment)


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _test_start(environment: Environment, **_: Any) -> None:
    """Timeouts and clocks of the run; on a worker this comes after the master's options."""
    _run.update(began=time.monotonic(), cpu=_cpu_s(), epoch=time.time())
    options = environment.parsed_options
    if options is not None:
        GatewayUser.connection_timeout = float(options.gateproof_connect_timeout)
        GatewayUser.network_timeout = float(options.gateproof_read_timeout)
    if isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_forward_loop, environment)
    elif isinstance(environment.runner, MasterRunner) and options is not None:
        duration = float(options.gateproof_duration)
        if duration > 0:  # else -t ends the run (and the last samples may miss it)
            gevent.spawn_later(duration, _finish, environment)


@events.request.add_listener  # type: ignore[untyped-decorator]
def _sample(request_type: str, name: str, response_time: float, response: Any, **_: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    _samples.append((time.time() - response_time / 1000.0, response_time, status, name))
    _note_progress()


def _note_progress(extra: str = "") -> None:
    """Every second or so, how many requests were answered, for the parent's progress line."""
    path = os.environ.get("GATEPROOF_LOAD_PROGRESS")
    now = time.monotonic()
    if not path or now - _progress_at[0] < PROGRESS_EVERY_S:
        return
    _progress_at[0] = now
    errors = sum(1 for sample in _samples if not 200 <= sample[2] < 300)
    with open(f"{path}.tmp", "w", encoding="utf-8") as handle:
        handle.write(f"{len(_samples)} {errors}{extra}\n")
    os.replace(f"{path}.tmp", path)  # the reader never sees half a line


# --- distributed: workers forward their samples, the master gathers them --------------------


def _forward(environment: Environment, final: bool) -> None:
    """Send this worker's samples not sent yet, with its CPU and wall time of the run."""
    sent = int(_run.get("sent", 0))
    batch = [list(sample) for sample in _samples[sent:]]
    _run["sent"] = sent + len(batch)
    data = {
        "samples": batch,
        "final": final,
        "cpu_s": _cpu_s() - _run.get("cpu", 0.0),
        "wall_s": time.monotonic() - _run.get("began", time.monotonic()),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "has_key": bool(os.environ.get("GATEPROOF_LOAD_API_KEY")),
    }
    environment.runner.send_message("gateproof_samples", data)  # type: ignore[union-attr]


def _forward_loop(environment: Environment) -> None:
    while not _run.get("stopped"):
        gevent.sleep(FORWARD_EVERY_S)
        if not _run.get("stopped"):
            _forward(environment, final=False)


def _received(environment: Environment, msg: Any, **_: Any) -> None:
    """Master: a worker's batch. Its last batch comes before Locust's own "stopped" message
    from that worker, so the master's stop (which waits for those) has every sample."""
    data = msg.data
    _samples.extend((float(s[0]), float(s[1]), int(s[2]), str(s[3])) for s in data["samples"])
    worker = _workers.setdefault(msg.node_id, {"id": msg.node_id, "requests": 0})
    worker["requests"] += len(data["samples"])
    for key in ("host", "pid", "cpu_s", "wall_s", "has_key", "final"):
        worker[key] = data[key]


def _master_progress(environment: Environment) -> None:
    """Master: progress with the workers connected, also while it waits for them."""
    runner = environment.runner
    while True:
        connected = runner.worker_count if isinstance(runner, MasterRunner) else 0
        _note_progress(f" {connected} {_run.get('epoch', 0.0):.3f}")
        gevent.sleep(PROGRESS_EVERY_S)


def _finish(environment: Environment) -> None:
    """Master, at the end of ``--gateproof-duration``: stop the workers (they send their last
    samples, then report stopped; Locust waits for that), then quit."""
    runner = environment.runner
    if runner is not None:
        runner.stop()
        runner.quit()


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _test_stop(environment: Environment, **_: Any) -> None:
    _run["stopped"] = 1.0
    if isinstance(environment.runner, WorkerRunner):
        _forward(environment, final=True)
        options = environment.parsed_options
        if options is not None and float(options.gateproof_duration) > 0:
            # One run per worker: after Locust reports it stopped, quit (else it would sit
            # out --stop-timeout before it even reads the master's quit).
            gevent.spawn_later(QUIT_AFTER_STOP_S, environment.runner.quit)
        return
    path = os.environ.get("GATEPROOF_LOAD_SAMPLES")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("start_epoch_s,latency_ms,status,model\n")
            for start, latency, status, model in _samples:
                handle.write(f"{start:.4f},{latency:.2f},{status},{model}\n")
    report = os.environ.get("GATEPROOF_LOAD_WORKER_REPORT")
    if report and isinstance(environment.runner, MasterRunner):
        with open(report, "w", encoding="utf-8") as handle:
            json.dump(list(_workers.values()), handle)


class GatewayUser(FastHttpUser):
    """One client: a minimal, temperature-0 completion at its share of the total rate."""

    def wait_time(self) -> float:  # constant throughput: each user's share of the rate
        options = self.environment.parsed_options
        users = int(options.gateproof_users) or (
            self.environment.runner.user_count if self.environment.runner else 1
        )
        period = max(1, users) / max(float(options.gateproof_rate), 1e-6)
        spent = time.monotonic() - getattr(self, "_began", time.monotonic())
        return max(0.0, period - spent)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.models = [m for m in str(options.gateproof_models).split(",") if m] or ["?"]
        weights = [float(w) for w in str(options.gateproof_weights).split(",") if w]
        self.weights = weights if len(weights) == len(self.models) else None
        self.repeat = float(options.gateproof_repeat_share)
        key = os.environ.get("GATEPROOF_LOAD_API_KEY", "")
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    @task
    def chat(self) -> None:
        self._began = time.monotonic()
        model = random.choices(self.models, weights=self.weights)[0]
        if random.random() < self.repeat:
            prompt = f"gateproof warm-up prompt {random.randrange(REPEATED_PROMPTS)}: reply ok"
        else:
            prompt = f"gateproof load {uuid.uuid4().hex}: reply ok"
        body = {
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 8,
            "temperature": 0,
        }
        self.client.post("/v1/chat/completions", json=body, headers=self.headers, name=model)
