"""A log shipper in the manner of Promtail: follows one log file and pushes each new line
to Loki with fixed labels (``job``, ``host``, ``filename``), in batches.

    python -m gateproof.stack.observability.shipper --file LOG --loki URL --job litellm \\
        [--host-label NAME] [--positions FILE] [--drop-matching REGEX] [--status-port P]

Where it got to is kept in ``--positions`` (as Promtail's positions file), so a restart
neither loses nor repeats lines; a file that shrank (rotated, truncated) is read from the
start. ``--drop-matching`` drops matching lines before they are sent, as a Promtail
``drop`` stage does. A push Loki refuses is retried on the next round, never dropped.
``GET /healthz`` on ``--status-port`` answers 200 with what was shipped so far, 503 while
the last push failed.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

BATCH_WAIT_S = 0.5
MAX_BATCH = 1000


def read_new(path: Path, offset: int) -> tuple[list[str], int]:
    """Complete lines after ``offset`` and the offset after the last of them."""
    if not path.is_file():
        return [], offset
    if path.stat().st_size < offset:
        offset = 0  # rotated or truncated
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(4 * 1024 * 1024)
    complete = data[: data.rfind(b"\n") + 1]
    lines = complete.decode("utf-8", "replace").splitlines()
    return lines, offset + len(complete)


def push(client: httpx.Client, loki: str, labels: dict[str, str], lines: list[str]) -> bool:
    now = time.time_ns()
    values = [[str(now + i), line] for i, line in enumerate(lines)]
    body = {"streams": [{"stream": labels, "values": values}]}
    try:
        answer = client.post(f"{loki.rstrip('/')}/loki/api/v1/push", json=body)
    except httpx.HTTPError as exc:
        print(f"push failed: {type(exc).__name__}: {exc}", flush=True)
        return False
    if answer.status_code >= 300:
        print(f"push refused: {answer.status_code} {answer.text[:200]}", flush=True)
        return False
    return True


class Progress:
    """What the status page reports."""

    def __init__(self) -> None:
        self.lines = 0
        self.offset = 0
        self.last_ok = True


def serve_status(port: int, progress: Progress) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(vars(progress)).encode()
            self.send_response(200 if progress.last_ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--loki", required=True, help="Loki base URL")
    parser.add_argument("--job", required=True)
    parser.add_argument("--host-label", default=socket.gethostname())
    parser.add_argument("--positions", type=Path)
    parser.add_argument("--drop-matching", help="drop lines matching this regex")
    parser.add_argument("--status-port", type=int, help="serve GET /healthz here")
    args = parser.parse_args(argv)
    progress = Progress()
    if args.status_port:
        serve_status(args.status_port, progress)
    labels = {"job": args.job, "host": args.host_label, "filename": str(args.file)}
    drop = re.compile(args.drop_matching) if args.drop_matching else None
    offset = 0
    if args.positions and args.positions.is_file():
        offset = int(json.loads(args.positions.read_text()).get(str(args.file), 0))
    print(f"shipping {args.file} from byte {offset} to {args.loki} as {labels}", flush=True)
    with httpx.Client(timeout=httpx.Timeout(5.0, connect=2.0)) as client:
        while True:
            lines, after = read_new(args.file, offset)
            kept = [line for line in lines if line and not (drop and drop.search(line))]
            sent = all(
                push(client, args.loki, labels, kept[i : i + MAX_BATCH])
                for i in range(0, len(kept), MAX_BATCH)
            )
            progress.last_ok = sent
            if sent and after != offset:
                progress.lines += len(kept)
                progress.offset = offset = after
                if args.positions:
                    args.positions.write_text(json.dumps({str(args.file): offset}))
            time.sleep(BATCH_WAIT_S)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit(0) from None
