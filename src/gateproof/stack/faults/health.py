"""Is the stack healthy again after a fault was undone? A quick check, waited for: every
component alive and answering, every Prometheus target up, and every provider's model
answered by its own stand-in through the gateway (LiteLLM's cooldown of a deployment that
failed lasts 30 s). Returns what is still wrong, empty when healthy.

A gateway that logged errors while a fault was in place is restarted (as an operator would
after the incident): DEP-03 rightly holds every error since the gateway started against it,
and the next fault or healthy run must not inherit them."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from gateproof.schema import load_sources
from gateproof.stack import health, process
from gateproof.stack.component_files import JOBS
from gateproof.stack.state import StackState
from gateproof.stack.testing import ReferenceStack

WAIT_S = 120.0  # a cooldown (30 s) or an rpm window (60 s) waited out
Say = Callable[[str], None]


def components_down(stack: ReferenceStack) -> list[str]:
    state = StackState.load(stack.run)
    if state is None:
        return ["stack.json missing"]
    down = []
    for c in state.components:
        if not process.is_ours(c.pid, c.start_time):
            down.append(f"{c.name} (pid {c.pid} gone)")
            continue
        url = c.health_url or c.url
        if url.startswith("http"):
            try:
                ok = httpx.get(url, timeout=2.0).status_code == 200
            except httpx.HTTPError:
                ok = False
        else:  # redis://: the TCP port; the routing check below needs Redis to answer
            ok = process.port_in_use(c.port)
        if not ok:
            down.append(f"{c.name} not answering {url}")
    return down


def misrouted(stack: ReferenceStack) -> list[str]:
    """Models not answered by their own provider through the gateway right now: a deployment
    in cooldown, or the rate-limit probe model whose rpm PST-04's burst used up (PRE-TST-03
    run within that minute would see it answered by a fallback)."""
    routes = load_sources(stack.run.config).routable_models()
    headers = {"Authorization": f"Bearer {stack.master_key}"}
    wrong = []
    for model, route in routes.items():
        plan = stack.providers[route.provider]
        body = {"model": model, "messages": [{"role": "user", "content": f"h{time.time()}"}],
                "max_tokens": 4, "cache": {"no-cache": True}}  # fmt: skip
        try:
            answer = httpx.post(f"{stack.gateway_url}/v1/chat/completions", json=body,
                                headers=headers, timeout=15)  # fmt: skip
            base = answer.headers.get("x-litellm-model-api-base", "")
        except httpx.HTTPError as exc:
            base = type(exc).__name__
        if f":{plan.port}" not in base:
            wrong.append(f"{model} answered by {base or 'nobody'}")
    return wrong


ERROR_MARKS = ('"level": "ERROR"', '"level": "CRITICAL"', "Traceback (most recent call last)")


def log_size(stack: ReferenceStack) -> int:
    path = stack.run.log("litellm")
    return path.stat().st_size if path.exists() else 0


def errors_logged_since(stack: ReferenceStack, offset: int) -> int:
    """ERROR/CRITICAL records and tracebacks the gateway wrote past ``offset``."""
    path = stack.run.log("litellm")
    with path.open("rb") as log:
        log.seek(min(offset, path.stat().st_size))
        text = log.read().decode("utf-8", "replace")
    return sum(text.count(mark) for mark in ERROR_MARKS)


def restart_gateway(stack: ReferenceStack, say: Say) -> None:
    from gateproof.stack.restart import restart_gateway as restart

    restart(stack.run.root, say=lambda _: None)
    say("  gateway restarted: it had logged errors since the run began")


def wait_healthy(stack: ReferenceStack, say: Say) -> str:
    stack.clear_faults()  # a safety net: every undo clears its own switches already
    targets = health.prometheus_targets(stack.url("prometheus"), tuple(JOBS))
    deadline = time.monotonic() + WAIT_S
    problems = ["not checked yet"]
    while time.monotonic() < deadline:
        problems = components_down(stack)
        if not problems:
            up, detail = targets()
            problems = [] if up else [f"prometheus targets: {detail}"]
        if not problems:
            problems = misrouted(stack)
        if not problems:
            return ""
        time.sleep(2.0)
    say(f"  stack not healthy after {WAIT_S:.0f} s: {'; '.join(problems)}")
    return "; ".join(problems)
