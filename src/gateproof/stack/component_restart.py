"""Stop one component of a running stack and start it again, as it was or changed, from
outside gateproof's checks: its argv and environment are read back from /proc, and the new
pid is written to stack.json so ``stack down`` still stops everything."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from gateproof.stack import process
from gateproof.stack.state import StackState
from gateproof.stack.testing import ReferenceStack

START_S = 60.0  # a restarted gateway imports LiteLLM: ~7 s on an idle machine
STOP_S = 10.0

Change = Callable[[list[str], dict[str, str]], None]


def entry_index(stack: ReferenceStack, name: str) -> tuple[StackState, int]:
    state = StackState.load(stack.run)
    if state is None:
        raise RuntimeError(f"no stack.json in {stack.run.root}")
    index = next((i for i, c in enumerate(state.components) if c.name == name), None)
    if index is None:
        raise RuntimeError(f"no component {name!r} in {stack.run.state}")
    return state, index


def pid_of(stack: ReferenceStack, name: str) -> int:
    state, index = entry_index(stack, name)
    return state.components[index].pid


def command_of(stack: ReferenceStack, name: str) -> tuple[list[str], dict[str, str]]:
    """The running component's argv and environment."""
    pid = pid_of(stack, name)
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    environ = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return argv, dict(item.split("=", 1) for item in environ if "=" in item)


def stop(stack: ReferenceStack, name: str) -> None:
    """Terminate the component (if it is still ours) and wait for its ports to be free."""
    state, index = entry_index(stack, name)
    entry = state.components[index]
    if process.is_ours(entry.pid, entry.start_time):
        process.terminate({entry.pid: entry.start_time}, STOP_S)
    end = time.monotonic() + STOP_S
    while any(process.port_in_use(p) for p in entry.ports) and time.monotonic() < end:
        time.sleep(0.1)


def start(stack: ReferenceStack, name: str, argv: list[str], env: dict[str, str]) -> None:
    """Spawn the component with ``argv`` and ``env``, record it, wait until it answers."""
    state, index = entry_index(stack, name)
    entry = state.components[index]
    child = process.spawn(argv, env, stack.run.log(name), stack.run.root)
    entry.pid, entry.start_time = child.pid, process.start_time(child.pid)
    state.save(stack.run)
    end = time.monotonic() + START_S
    while time.monotonic() < end:
        if child.poll() is not None:
            raise RuntimeError(f"{name} exited on restart: see {stack.run.log(name)}")
        try:
            if httpx.get(entry.health_url or entry.url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{name} did not answer {entry.health_url or entry.url} within {START_S:.0f} s of its "
        f"restart: see {stack.run.log(name)}"
    )


@contextmanager
def replaced(stack: ReferenceStack, name: str, change: Change | None) -> Iterator[None]:
    """Stop ``name``; with ``change``, start it again with its argv and environment edited
    in place (None: it stays down). Afterwards it runs exactly as before."""
    argv, env = command_of(stack, name)
    stop(stack, name)
    try:  # a changed component that does not come up is still put back as it was
        if change is not None:
            new_argv, new_env = list(argv), dict(env)
            change(new_argv, new_env)
            start(stack, name, new_argv, new_env)
        yield
    finally:
        stop(stack, name)
        start(stack, name, argv, env)
