"""A Loki stand-in: Loki's JSON push API and the LogQL subset of :mod:`.logql` on
``/loki/api/v1/query`` (metric queries; a log query is a 400, as since Loki 3.2) and
``/loki/api/v1/query_range`` (log lines as ``streams``, metric queries as ``matrix``).

    python -m gateproof.stack.observability.loki --port P [--retention-lines N]

Lines live in memory, per stream, the oldest dropped beyond ``--retention-lines``. Errors
are plain text, as Loki's are. ``GET /ready`` answers ``ready``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import deque
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateproof.stack.observability import logql

Key = tuple[tuple[str, str], ...]


class Store:
    """Streams of (timestamp ns, line), thread-safe."""

    def __init__(self, retention: int) -> None:
        self.retention = retention
        self.streams: dict[Key, deque[tuple[int, str]]] = {}
        self.lock = threading.Lock()

    def push(self, labels: dict[str, str], values: list[tuple[int, str]]) -> None:
        key = tuple(sorted(labels.items()))
        with self.lock:
            stream = self.streams.setdefault(key, deque(maxlen=self.retention))
            stream.extend(values)

    def select(
        self, query: logql.LogQuery, start: int, end: int
    ) -> list[tuple[dict[str, str], list[tuple[int, str]]]]:
        with self.lock:
            chosen = [(dict(k), list(v)) for k, v in self.streams.items() if query.selects(dict(k))]
        return [
            (labels, [(t, line) for t, line in values if start <= t <= end and query.keeps(line)])
            for labels, values in chosen
        ]


def _bad(message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=400)


def _ns(value: str | None, default: int) -> int:
    if not value:
        return default
    number = float(value)
    return int(number * 1e9) if number < 1e12 else int(number)  # seconds or nanoseconds


def build_app(store: Store) -> Starlette:
    async def ready(_: Request) -> Response:
        return PlainTextResponse("ready\n")

    async def push(request: Request) -> Response:
        if "json" not in request.headers.get("content-type", ""):
            return PlainTextResponse("this stand-in takes JSON pushes only\n", status_code=415)
        try:
            body = json.loads(await request.body())
            for stream in body["streams"]:
                values = [(int(str(t)), str(line)) for t, line, *_ in stream["values"]]
                store.push({str(k): str(v) for k, v in stream["stream"].items()}, values)
        except (ValueError, KeyError, TypeError) as exc:
            return _bad(f"error parsing push request: {exc}")
        return Response(status_code=204)

    def metric(q: logql.MetricQuery, at: int) -> list[tuple[dict[str, str], float]]:
        start = at - int(q.range_s * 1e9)
        streams = [
            (labels, [t / 1e9 for t, _ in values])
            for labels, values in store.select(q.logs, start, at)
        ]
        return q.evaluate(streams)

    async def query(request: Request) -> Response:
        try:
            q = logql.parse(request.query_params.get("query", ""))
            at = _ns(request.query_params.get("time"), time.time_ns())
        except ValueError as exc:
            return _bad(str(exc))
        if isinstance(q, logql.LogQuery):
            return _bad(
                "log queries are not supported as an instant query type, please "
                "change your query to a range query type"
            )
        result = [
            {"metric": labels, "value": [at / 1e9, f"{value:g}"]} for labels, value in metric(q, at)
        ]
        return _success("vector", result)

    async def query_range(request: Request) -> Response:
        params = request.query_params
        try:
            q = logql.parse(params.get("query", ""))
            end = _ns(params.get("end"), time.time_ns())
            start = _ns(params.get("start"), end - 3600 * 10**9)
            limit = int(params.get("limit", "100"))
            step = float(params.get("step", "60").rstrip("s"))
        except ValueError as exc:
            return _bad(str(exc))
        if isinstance(q, logql.MetricQuery):
            series: dict[tuple[tuple[str, str], ...], list[list[Any]]] = {}
            at = start
            while at <= end:
                for labels, value in metric(q, at):
                    series.setdefault(tuple(sorted(labels.items())), []).append(
                        [at / 1e9, f"{value:g}"]
                    )
                at += int(step * 1e9)
            return _success("matrix", [{"metric": dict(k), "values": v} for k, v in series.items()])
        backward = params.get("direction", "backward") == "backward"
        result = []
        for labels, values in store.select(q, start, end):
            values.sort(reverse=backward)
            if values:
                result.append(
                    {"stream": labels, "values": [[str(t), line] for t, line in values[:limit]]}
                )
        return _success("streams", result)

    return Starlette(
        routes=[
            Route("/ready", ready),
            Route("/loki/api/v1/push", push, methods=["POST"]),
            Route("/loki/api/v1/query", query),
            Route("/loki/api/v1/query_range", query_range),
        ]
    )


def _success(kind: str, result: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"status": "success", "data": {"resultType": kind, "result": result}})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--retention-lines", type=int, default=200_000)
    args = parser.parse_args(argv)
    app = build_app(Store(args.retention_lines))
    print(f"loki stand-in on {args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
