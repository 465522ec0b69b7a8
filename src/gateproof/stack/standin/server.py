"""Both listeners of one stand-in on one event loop, and a thread to run them in.

The provider listener is a uvicorn server on a socket we bind ourselves: "refuse" stops that
server (the port really closes, idle keep-alive connections are dropped) and clearing it binds
the same port again and starts a fresh server. The control listener never closes.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from gateproof.stack.standin import ollama_app, openai_app
from gateproof.stack.standin.control_app import build_control_app
from gateproof.stack.standin.faults import Faults, FaultState, updated_faults
from gateproof.stack.standin.middleware import FaultBodies, FaultMiddleware, HangGate
from gateproof.stack.standin.spec import StandinSpec

Log = Callable[[str], None]
STOP_TIMEOUT_S = 3.0


def bind_listener(host: str, port: int, role: str = "provider") -> socket.socket:
    """A listening TCP socket; SO_REUSEADDR so a refused port can be taken up again at once.

    OSError names the role and address ("cannot listen on control port 127.0.0.1:24210: ...").
    """
    # IPPROTO_TCP explicitly: asyncio only disables Nagle on accepted sockets whose proto says
    # TCP, and without that every answer stalls ~40 ms on delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        message = f"cannot listen on {role} port {host}:{port}: {exc.strerror or exc}"
        raise OSError(exc.errno, message) from exc
    sock.setblocking(False)
    return sock


def _config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_config=None,  # we log one line per request ourselves
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        server_header=False,
        timeout_graceful_shutdown=1,
    )


class _Listener:
    """One uvicorn server on one socket, started and stopped as a task."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.config = config
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self, sock: socket.socket) -> None:
        self.server = uvicorn.Server(self.config)
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()  # re-raises what stopped it
                raise RuntimeError("stand-in listener stopped during start-up")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self.server is None or self.task is None:
            return
        self.server.should_exit = True
        self.server.force_exit = True  # do not wait for hung requests
        try:
            await asyncio.wait_for(asyncio.shield(self.task), STOP_TIMEOUT_S)
        except asyncio.TimeoutError:
            self.task.cancel()
        self.server = None
        self.task = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


class StandinServer:
    """Provider API + control API of one stand-in; every method runs on the event loop."""

    def __init__(self, spec: StandinSpec, log: Log | None = None) -> None:
        self.spec = spec
        self.state = FaultState()
        self.gate = HangGate()
        module = ollama_app if spec.is_ollama else openai_app
        build = ollama_app.build_ollama_app if spec.is_ollama else openai_app.build_openai_app
        bodies = FaultBodies(error=module.error_body, malformed=module.MALFORMED)
        app = FaultMiddleware(
            build(spec, self.state),
            provider=spec.name,
            state=self.state,
            gate=self.gate,
            bodies=bodies,
            log=log,
        )
        self._provider = _Listener(_config(app))
        self._control = _Listener(_config(build_control_app(self)))
        self._port = spec.port
        self.control_port = spec.control_port
        self._lock = asyncio.Lock()

    @property
    def port(self) -> int:
        return self._port

    @property
    def listening(self) -> bool:
        return self._provider.running

    async def start(self) -> None:
        """Bind both ports (OSError when one is taken) and serve."""
        provider_sock = bind_listener(self.spec.host, self.spec.port)
        try:
            control_sock = bind_listener(self.spec.host, self.spec.control_port, "control")
        except OSError:
            provider_sock.close()
            raise
        self._port = provider_sock.getsockname()[1]
        self.control_port = control_sock.getsockname()[1]
        await self._provider.start(provider_sock)
        await self._control.start(control_sock)

    async def stop(self) -> None:
        self.gate.release(abort=True)
        await asyncio.gather(self._provider.stop(), self._control.stop())

    async def apply_faults(self, update: dict[str, Any]) -> Faults:
        """Apply a partial fault update; ValueError for bad input, OSError if reopening fails."""
        async with self._lock:
            old = self.state.faults
            new = updated_faults(old, update)
            self.state.set_faults(new)
            if new.hang and not old.hang:
                self.gate.close()
            elif old.hang and not new.hang:
                self.gate.release()
            if new.refuse and self._provider.running:
                await self._close_provider()
            elif not new.refuse and not self._provider.running:
                await self._provider.start(bind_listener(self.spec.host, self._port))
            return new

    async def _close_provider(self) -> None:
        self.gate.release(abort=True)  # hung requests end with the listener
        await self._provider.stop()
        if self.state.faults.hang:
            self.gate.close()


class StandinThread:
    """A stand-in running on its own event loop in a daemon thread of this process."""

    def __init__(self, spec: StandinSpec, log: Log | None = None) -> None:
        self.spec = spec
        self.log = log
        self.server: StandinServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"standin-{spec.name}", daemon=True)

    def start(self, timeout: float = 5.0) -> StandinServer:
        """Start and wait until both ports serve; re-raises a start-up error (e.g. port taken)."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"stand-in {self.spec.name!r} did not start within {timeout} s")
        if self._error is not None:
            raise self._error
        assert self.server is not None
        return self.server

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            self.server = StandinServer(self.spec, self.log)
            await self.server.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self.server.stop()
