"""Processes and ports: start a component detached, tell whether a recorded pid is still the
process we started, stop it (SIGTERM, then SIGKILL after a deadline), probe ports."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

# Children started by this process, kept referenced while they run: when `up` runs inside a
# long-lived process (the selftests), a collected Popen of a live child would warn, and an
# unreaped exited child would stay a zombie.
_children: dict[int, subprocess.Popen[bytes]] = {}


def spawn(
    argv: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session (a Ctrl-C at the terminal does not reach it; the
    launcher stops it), output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _children[child.pid] = child
    return child


def _reap(pids: Iterable[int]) -> None:
    for pid in pids:
        child = _children.pop(pid, None)
        if child is not None and child.poll() is None:
            _children[pid] = child  # still running (should not happen after a kill)


def start_time(pid: int) -> int | None:
    """Kernel start time of ``pid`` in clock ticks (field 22 of /proc/PID/stat); None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces
    if fields[0] == "Z":  # zombie: exited, waiting for its parent
        return None
    return int(fields[19])


def is_ours(pid: int, started: int | None) -> bool:
    """True when ``pid`` is alive and is the very process recorded (not a reused pid)."""
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def terminate(pids: Mapping[int, int | None], deadline_s: float = 10.0) -> list[int]:
    """SIGTERM each process group, SIGKILL what is left after ``deadline_s``.

    ``pids`` maps pid -> recorded start time. Returns the pids that had to be killed.
    """
    alive = {pid: st for pid, st in pids.items() if is_ours(pid, st)}
    for pid in alive:
        _signal_group(pid, signal.SIGTERM)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        _reap(pids)
        alive = {pid: st for pid, st in alive.items() if is_ours(pid, st)}
        if not alive:
            return []
        time.sleep(0.05)
    for pid in alive:
        _signal_group(pid, signal.SIGKILL)
    end = time.monotonic() + 5.0
    while time.monotonic() < end and any(is_ours(p, s) for p, s in alive.items()):
        time.sleep(0.05)
    _reap(pids)
    return list(alive)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group the component leads (its workers too), else the pid alone."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something listens on (or holds) ``host:port``; a bind test, like a server's."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def tail(path: Path, lines: int = 25, mask: Sequence[str] = ()) -> str:
    """The last ``lines`` lines of a log, with every secret in ``mask`` replaced by ***."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    last = "\n".join(text.splitlines()[-lines:])
    for secret in mask:
        if secret:
            last = last.replace(secret, "***")
    return last or "(log is empty)"


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def interrupt_on_stop_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt inside the block, so the cleanup of
    whoever started processes runs. SIGINT explicitly too: started in the background by a
    script, a process may inherit it ignored."""
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def stop_signals_ignored() -> Iterator[None]:
    """For a stop that has its own deadline: a second Ctrl-C must not cut it short."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
