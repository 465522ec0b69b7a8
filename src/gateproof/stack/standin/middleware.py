"""ASGI middleware in front of a provider app: faults, counters, provider header, request log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateproof.stack.standin.faults import FaultState

MAX_HANG_S = 600.0  # a hang is long, but nothing waits forever
PROVIDER_HEADER = b"x-standin-provider"
MODEL_SCOPE_KEY = "standin.model"  # the provider apps note the model served, for the log line
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1>"
HTML_PAGE += b"<p>Default page of a web server.</p></body></html>"


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body; a ``receive`` that hands it to the app once more."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body"))
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


class HangGate:
    """Where hung requests wait: opened when the hang is cleared or the listener stops."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self.aborted = False

    def close(self) -> None:
        self.aborted = False
        self._open.clear()

    def release(self, *, abort: bool = False) -> None:
        self.aborted = abort
        self._open.set()

    async def wait(self) -> bool:
        """Wait until released; True when the request may go on, False when it was aborted."""
        try:
            await asyncio.wait_for(self._open.wait(), MAX_HANG_S)
        except asyncio.TimeoutError:
            return False
        return not self.aborted


@dataclass(frozen=True)
class FaultBodies:
    """The provider's own shape for error bodies, and what "malformed" sends."""

    error: Callable[[int, str], bytes]
    malformed: bytes


class FaultMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        provider: str,
        state: FaultState,
        gate: HangGate,
        bodies: FaultBodies,
        log: Callable[[str], None] | None,
    ) -> None:
        self.app = app
        self.provider = provider
        self.state = state
        self.gate = gate
        self.bodies = bodies
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        self.state.count_request(path)
        status = 0

        async def send_tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((PROVIDER_HEADER, self.provider.encode()))
                message = {**message, "headers": headers}
            await send(message)

        answered, fault = await self._faulted(send_tagged)
        if not answered and self.state.faults.retry_needed and scope["method"] == "POST":
            body, receive = await _buffered(receive)
            if self.state.first_attempt(body):
                self.state.count_fault("retry_needed")
                error = self.bodies.error(500, "first attempt fails (injected: retry_needed)")
                await self._answer(send_tagged, 500, error)
                answered, fault = True, "retry_needed"
        if not answered:
            await self.app(scope, receive, send_tagged)
        self.state.count_status(status)
        if self.log is not None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            model = scope.get(MODEL_SCOPE_KEY) or "-"
            self.log(
                f"standin={self.provider} {scope['method']} {path} {status} "
                f"{elapsed_ms:.1f}ms model={model} fault={fault or '-'}"
            )

    async def _faulted(self, send: Send) -> tuple[bool, str | None]:
        """Apply the current faults: (whether a fault answered, name of the last fault applied)."""
        faults = self.state.faults
        applied: str | None = None
        if faults.hang:
            self.state.count_fault("hang")
            if not await self.gate.wait():
                await self._answer(send, 503, self.bodies.error(503, "stand-in stopped while hung"))
                return True, "hang"
            applied = "hang"
            faults = self.state.faults  # the hang may have been cleared along with the rest
        if faults.latency_ms > 0:
            self.state.count_fault("latency_ms")
            await asyncio.sleep(faults.latency_ms / 1000)
            applied = "latency_ms"
        if faults.status_429:
            self.state.count_fault("status_429")
            body = self.bodies.error(429, "rate limit exceeded (injected by stand-in)")
            await self._answer(send, 429, body, extra=[(b"retry-after", b"1")])
            return True, "status_429"
        if self.state.next_is_error():
            self.state.count_fault("error_rate")
            await self._answer(send, 500, self.bodies.error(500, "internal error (injected)"))
            return True, "error_rate"
        if faults.malformed:
            self.state.count_fault("malformed")
            await self._answer(send, 200, self.bodies.malformed)
            return True, "malformed"
        if faults.html:
            self.state.count_fault("html")
            await self._answer(send, 200, HTML_PAGE, content_type=b"text/html; charset=utf-8")
            return True, "html"
        return False, applied

    @staticmethod
    async def _answer(
        send: Send,
        status: int,
        body: bytes,
        extra: list[tuple[bytes, bytes]] | None = None,
        content_type: bytes = b"application/json",
    ) -> None:
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            *(extra or []),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
