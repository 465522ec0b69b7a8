"""The locustfile gateproof ships: chat completions through the gateway at a steady rate.

Run by :mod:`gateproof.load.runner` as its own ``locust --headless`` process (gevent patches
that process only, never pytest's). The same file serves multi-machine runs::

    LOCUSTFILE=$(python -c 'import gateproof.load as l; print(l.LOCUSTFILE)')
    GATEPROOF_LOAD_API_KEY=... locust -f $LOCUSTFILE --master --expect-workers 2 --headless \\
        -u 40 -r 40 -t 120s -H http://gateway:4000 --gateproof-models a,b --gateproof-rate 100
    GATEPROOF_LOAD_API_KEY=... locust -f $LOCUSTFILE --worker --master-host MASTER

Options (sent from the master to its workers): ``--gateproof-models`` (comma list),
``--gateproof-rate`` (requests/s over all users), ``--gateproof-repeat-share`` (share of
requests that repeat one of a few fixed prompts, so the cache can hit), ``--gateproof-weights``
(comma list, one per model: how often each is picked; gateproof passes the models' rpm, so
traffic stays under each model's own rate limit).
Environment (never on the command line, so it stays out of ``ps``):
``GATEPROOF_LOAD_API_KEY`` the gateway key; ``GATEPROOF_LOAD_SAMPLES`` a CSV file this
process writes one line per request to: ``start_epoch_s,latency_ms,status,model``;
``GATEPROOF_LOAD_PROGRESS`` a file rewritten about every second with ``answered errors``.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from typing import Any

from locust import FastHttpUser, events, task
from locust.env import Environment

REPEATED_PROMPTS = 2  # per model: few, so a short warm-up already sees cache hits
_samples: list[tuple[float, float, int, str]] = []
PROGRESS_EVERY_S = 1.0
_progress_at = [0.0]  # when the progress file was last written


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _options(parser: Any) -> None:
    parser.add_argument("--gateproof-models", default="", help="comma list of model names")
    parser.add_argument("--gateproof-rate", type=float, default=1.0, help="total requests/s")
    parser.add_argument("--gateproof-repeat-share", type=float, default=0.0)
    parser.add_argument("--gateproof-weights", default="", help="comma list, one per model")
    parser.add_argument("--gateproof-connect-timeout", type=float, default=3.0)
    parser.add_argument("--gateproof-read-timeout", type=float, default=30.0)


@events.init.add_listener  # type: ignore[untyped-decorator]
def _timeouts(environment: Environment, **_: Any) -> None:
    """Every request has the run's connect and read timeouts (set before users exist)."""
    options = environment.parsed_options
    if options is not None:
        GatewayUser.connection_timeout = float(options.gateproof_connect_timeout)
        GatewayUser.network_timeout = float(options.gateproof_read_timeout)


@events.request.add_listener  # type: ignore[untyped-decorator]
def _sample(request_type: str, name: str, response_time: float, response: Any, **_: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    _samples.append((time.time() - response_time / 1000.0, response_time, status, name))
    _note_progress()


def _note_progress() -> None:
    """Every second or so, how many requests were answered, for the parent's progress line."""
    path = os.environ.get("GATEPROOF_LOAD_PROGRESS")
    now = time.monotonic()
    if not path or now - _progress_at[0] < PROGRESS_EVERY_S:
        return
    _progress_at[0] = now
    errors = sum(1 for sample in _samples if not 200 <= sample[2] < 300)
    with open(f"{path}.tmp", "w", encoding="utf-8") as handle:
        handle.write(f"{len(_samples)} {errors}\n")
    os.replace(f"{path}.tmp", path)  # the reader never sees half a line


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _write_samples(environment: Environment, **_: Any) -> None:
    path = os.environ.get("GATEPROOF_LOAD_SAMPLES")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("start_epoch_s,latency_ms,status,model\n")
        for start, latency, status, model in _samples:
            handle.write(f"{start:.4f},{latency:.2f},{status},{model}\n")


class GatewayUser(FastHttpUser):
    """One client: a minimal, temperature-0 completion at its share of the total rate."""

    def wait_time(self) -> float:  # constant throughput: each user's share of the rate
        options = self.environment.parsed_options
        users = max(1, self.environment.runner.user_count if self.environment.runner else 1)
        period = users / max(float(options.gateproof_rate), 1e-6)
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
