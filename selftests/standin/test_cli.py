"""``python -m gateproof.stack.standin`` as the launcher runs it: one process per provider."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from gateproof.stack.standin.control import StandinControl

READY = re.compile(r"standin=cli ready .*port=(\d+) control_port=(\d+)")


def command(*extra: str, port: int = 0) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gateproof.stack.standin",
        "--name",
        "cli",
        "--type",
        "llama_cpp",
        "--port",
        str(port),
        "--control-port",
        "0",
        "--model",
        "tiny",
        *extra,
    ]


def read_line(process: subprocess.Popen[str], deadline_s: float = 5.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], deadline_s)
    assert ready, f"no output from the stand-in within {deadline_s} s"
    return process.stdout.readline()


@pytest.fixture(scope="module")
def started() -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    """A CLI stand-in with key STANDIN_KEY; yields it and its two ports."""
    env = {**os.environ, "STANDIN_KEY": "sk-cli"}
    process = subprocess.Popen(
        command("--api-key-env", "STANDIN_KEY"), stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        found = READY.search(read_line(process, deadline_s=20.0))  # a cold start when busy
        assert found, "the first line must announce readiness and both ports"
        yield process, int(found.group(1)), int(found.group(2))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def test_announces_readiness_and_logs_each_request(
    started: tuple[subprocess.Popen[str], int, int],
) -> None:
    process, port, _ = started
    answer = httpx.get(
        f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer sk-cli"}, timeout=2
    )
    assert answer.json()["data"][0]["id"] == "tiny"
    assert "standin=cli GET /v1/models 200" in read_line(process)
    body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}]}
    chat = httpx.post(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        json=body,
        headers={"Authorization": "Bearer sk-cli"},
        timeout=2,
    )
    assert chat.json()["choices"][0]["message"]["content"] == "[cli] tiny answers: hi"
    assert re.search(r"POST /v1/chat/completions 200 \S+ms model=tiny fault=-", read_line(process))
    assert httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 401


def test_control_port_answers(started: tuple[subprocess.Popen[str], int, int]) -> None:
    _, port, control_port = started
    health = StandinControl(f"http://127.0.0.1:{control_port}").healthz()
    assert (health["name"], health["type"], health["provider_port"]) == ("cli", "llama_cpp", port)


def test_sigterm_exits_cleanly_and_frees_ports(
    started: tuple[subprocess.Popen[str], int, int],
) -> None:
    process, port, control_port = started
    process.send_signal(signal.SIGTERM)
    assert process.wait(5) == 0
    for closed in (port, control_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", closed), timeout=0.5).close()


def test_port_in_use_is_reported_and_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            command(port=port), capture_output=True, text=True, timeout=10, check=False
        )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
    assert str(port) in result.stderr


def test_unset_key_variable_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != "STANDIN_UNSET_KEY"}
    result = subprocess.run(
        command("--api-key-env", "STANDIN_UNSET_KEY"),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert "STANDIN_UNSET_KEY" in result.stderr
