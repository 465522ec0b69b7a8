"""Stopping processes: SIGTERM, then SIGKILL after the deadline, whole process group; never a
pid that is no longer the process recorded."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

from gateproof.stack import process

STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def test_a_process_ignoring_sigterm_is_killed_with_its_group(tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    child = process.spawn([sys.executable, "-c", STUBBORN], {}, log, tmp_path)
    deadline = time.monotonic() + 10
    while not log.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(log.read_text().split()[0])
    started = process.start_time(child.pid)
    killed = process.terminate({child.pid: started}, deadline_s=0.5)
    assert killed == [child.pid]
    assert not process.is_ours(child.pid, started)
    deadline = time.monotonic() + 5  # SIGKILL is sent; dying takes a moment on a busy machine
    while process.start_time(grandchild) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.start_time(grandchild) is None  # the group went with it


def test_a_reused_pid_is_not_ours(tmp_path: Path) -> None:
    child = process.spawn(
        [sys.executable, "-c", "import time; time.sleep(30)"], {}, tmp_path / "x.log", tmp_path
    )
    started = process.start_time(child.pid)
    assert started is not None and process.is_ours(child.pid, started)
    assert not process.is_ours(child.pid, started + 1)  # another process, same pid
    assert process.terminate({child.pid: started + 1}, deadline_s=0.5) == []
    assert process.is_ours(child.pid, started)  # left alone
    assert process.terminate({child.pid: started}, deadline_s=5) == []
    assert not process.is_ours(child.pid, started)


def test_port_in_use_sees_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert process.port_in_use(port)
    assert not process.port_in_use(port)


def test_a_log_tail_masks_secrets(tmp_path: Path) -> None:
    log = tmp_path / "c.log"
    log.write_text("".join(f"line {i}\n" for i in range(50)) + "key=sk-secret-1 failed\n")
    shown = process.tail(log, lines=3, mask=["sk-secret-1"])
    assert shown.splitlines() == ["line 48", "line 49", "key=*** failed"]
