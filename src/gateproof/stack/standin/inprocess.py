"""Stand-ins inside the calling process (tests) or as a child process (what the launcher does).

with running_standin("ollama", "ollama", ["llama3.1:latest"]) as standin:
    ollama.Client(host=standin.base_url).list()
    standin.control.set_faults(refuse=True)
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from gateproof.stack.standin.control import StandinControl
from gateproof.stack.standin.server import Log, StandinThread
from gateproof.stack.standin.spec import StandinSpec


@dataclass(frozen=True)
class RunningStandin:
    spec: StandinSpec
    host: str
    port: int
    control_port: int

    @property
    def base_url(self) -> str:
        """Provider root: Ollama clients use it as is, OpenAI clients append ``/v1``."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.control_port}"

    @property
    def control(self) -> StandinControl:
        return StandinControl(self.control_url)


@contextmanager
def running_standin(
    name: str,
    provider_type: str,
    models: Sequence[str],
    *,
    api_key: str | None = None,
    port: int = 0,
    control_port: int = 0,
    log: Log | None = None,
) -> Iterator[RunningStandin]:
    """A stand-in on an event-loop thread of this process, on free ports unless given."""
    spec = StandinSpec(name, provider_type, tuple(models), api_key, "127.0.0.1", port, control_port)
    runner = StandinThread(spec, log=log)
    server = runner.start()
    try:
        yield RunningStandin(spec, spec.host, server.port, server.control_port)
    finally:
        runner.stop()


def wait_ready(
    control_url: str, deadline_s: float = 5.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``/healthz`` until the stand-in answers; TimeoutError after ``deadline_s``.

    With ``process`` given, an early exit raises RuntimeError with its return code.
    """
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"stand-in exited with code {process.returncode} during start-up")
        try:
            if httpx.get(f"{control_url}/healthz", timeout=0.5, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"stand-in control API {control_url} not ready within {deadline_s} s")
