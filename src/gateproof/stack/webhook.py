"""Alertmanager webhook receiver: appends every delivered alert as one JSON line to a file.

    python -m gateproof.stack.webhook --port P --out RUN/alerts.jsonl

``POST /alerts`` (any path) takes Alertmanager's webhook payload; each alert in it becomes a
line ``{"received_at", "receiver", "status", "labels", "annotations", "startsAt", "endsAt",
"fingerprint"}``. ``GET /healthz`` answers ``ok``; ``GET /alerts`` returns the lines so far.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_BODY = 4 * 1024 * 1024
_write_lock = threading.Lock()


def alert_lines(payload: dict[str, Any], received_at: float) -> list[str]:
    lines = []
    for alert in payload.get("alerts") or []:
        record = {
            "received_at": received_at,
            "receiver": payload.get("receiver"),
            "status": alert.get("status", payload.get("status")),
            "labels": alert.get("labels", {}),
            "annotations": alert.get("annotations", {}),
            "startsAt": alert.get("startsAt"),
            "endsAt": alert.get("endsAt"),
            "fingerprint": alert.get("fingerprint"),
        }
        lines.append(json.dumps(record, sort_keys=True))
    return lines


def make_handler(out: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/healthz"):
                self._reply(200, b"ok\n", "text/plain")
            elif self.path.startswith("/alerts"):
                body = out.read_bytes() if out.is_file() else b""
                self._reply(200, body, "application/x-ndjson")
            else:
                self._reply(404, b"not found\n", "text/plain")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._reply(413, b"too large\n", "text/plain")
                return
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._reply(400, b"body is not JSON\n", "text/plain")
                return
            lines = alert_lines(payload if isinstance(payload, dict) else {}, time.time())
            with _write_lock, out.open("a", encoding="utf-8") as handle:
                handle.writelines(line + "\n" for line in lines)
            self._reply(200, b"ok\n", "text/plain")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            print(f"{self.address_string()} {format % args}", flush=True)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.touch()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.out))
    server.daemon_threads = True
    print(f"webhook receiver on {args.host}:{args.port} -> {args.out}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
