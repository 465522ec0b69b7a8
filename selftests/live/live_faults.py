"""Faults for the live selftests that live outside the stand-ins: a stopped process, lines
in the gateway log, a log rotated without reopen, an impostor HTTP server, client mistakes.
Each is undone when its context ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from gateproof.stack.testing import ReferenceStack


def component_pid(stack: ReferenceStack, name: str) -> int:
    return next(c.pid for c in stack.state.components if c.name == name)


@contextmanager
def stopped_process(pid: int) -> Iterator[None]:
    """SIGSTOP ``pid`` (it keeps its sockets: connections are accepted, nothing answers);
    SIGCONT afterwards."""
    import signal

    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@contextmanager
def appended_to_log(path: Path, text: str) -> Iterator[None]:
    """Append ``text`` to a log the gateway writes (O_APPEND); cut it back to its old size
    afterwards (what the gateway wrote meanwhile goes too: access lines only)."""
    size = path.stat().st_size
    with path.open("a", encoding="utf-8") as log:
        log.write(text)
    try:
        yield
    finally:
        os.truncate(path, size)


@contextmanager
def rotated_without_reopen(path: Path) -> Iterator[None]:
    """``mv log log.1; touch log`` without telling the gateway: it keeps writing to log.1.
    Afterwards log.1 goes back in place (the gateway's open file is the same inode)."""
    rotated = path.with_name(path.name + ".1")
    path.rename(rotated)
    path.touch()
    try:
        yield
    finally:
        rotated.replace(path)


def send_client_errors(stack: ReferenceStack) -> list[int]:
    """What clients get wrong: an unknown model, a request without messages, a missing and a
    wrong key. Statuses as the gateway answered (each a 4xx, each logged at ERROR)."""
    url = f"{stack.gateway_url}/v1/chat/completions"
    auth = {"Authorization": f"Bearer {stack.master_key}"}
    asks = [
        (auth, {"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}),
        (auth, {"model": "qwen-coder-vllm"}),
        ({}, {"model": "qwen-coder-vllm", "messages": [{"role": "user", "content": "x"}]}),
        ({"Authorization": "Bearer sk-client-wrong-key-1234"}, {"model": "qwen-coder-vllm"}),
    ]
    return [httpx.post(url, json=body, headers=h, timeout=10).status_code for h, body in asks]
