"""The control API of one stand-in (its own port, so the provider port can really close).

GET    /healthz          {"status": "ok", "name", "type", "models", "provider_port",
                          "listening": bool}
GET    /faults           the current faults (every key, see ``faults.FAULT_NAMES``)
PUT    /faults           partial update, e.g. {"latency_ms": 200}; answers the new faults;
                         400 names a bad key or value; returns after the listener has
                         closed (refuse: true) or reopened (refuse: false)
DELETE /faults           clear every fault (reopens the listener, releases hung requests)
GET    /counters         {"total", "paths", "statuses", "models", "faults"} since the last reset
POST   /counters/reset   zero the counters
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateproof.stack.standin.faults import Faults, FaultState
from gateproof.stack.standin.spec import StandinSpec


class Controlled(Protocol):
    """What the control API needs from the server it steers."""

    spec: StandinSpec
    state: FaultState

    @property
    def port(self) -> int: ...

    @property
    def listening(self) -> bool: ...

    async def apply_faults(self, update: dict[str, Any]) -> Faults: ...


def build_control_app(target: Controlled) -> Starlette:
    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "name": target.spec.name,
                "type": target.spec.type,
                "models": list(target.spec.models),
                "provider_port": target.port,
                "listening": target.listening,
            }
        )

    async def get_faults(request: Request) -> Response:
        return JSONResponse(target.state.faults.as_dict())

    async def put_faults(request: Request) -> Response:
        try:
            update = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return JSONResponse({"error": f"invalid JSON body: {exc}"}, status_code=400)
        return await _apply(update)

    async def delete_faults(request: Request) -> Response:
        return await _apply(Faults().as_dict())

    async def _apply(update: Any) -> Response:
        try:
            faults = await target.apply_faults(update)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except OSError as exc:  # reopening the provider port failed
            return JSONResponse({"error": exc.strerror or str(exc)}, status_code=409)
        return JSONResponse(faults.as_dict())

    async def counters(request: Request) -> Response:
        return JSONResponse(target.state.counters())

    async def reset(request: Request) -> Response:
        target.state.reset_counters()
        return JSONResponse(target.state.counters())

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/faults", get_faults, methods=["GET"]),
        Route("/faults", put_faults, methods=["PUT"]),
        Route("/faults", delete_faults, methods=["DELETE"]),
        Route("/counters", counters, methods=["GET"]),
        Route("/counters/reset", reset, methods=["POST"]),
    ]
    return Starlette(routes=routes)
