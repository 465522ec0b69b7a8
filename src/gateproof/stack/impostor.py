"""A foreign service for fault injection: a plain HTTP server that answers 200 "ok" to
everything, where the gate expects LiteLLM (a wrong service behind the gateway's port or URL)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from gateproof.stack import process

SCRIPT = """
import http.server, sys
class Ok(http.server.BaseHTTPRequestHandler):
    def _ok(self):
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")
    do_GET = do_POST = do_OPTIONS = _ok
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
"""


@contextmanager
def impostor(port: int) -> Iterator[str]:
    """The server on 127.0.0.1:``port`` (listening when this yields its URL); stopped after."""
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, str(port)])
    try:
        end = time.monotonic() + 10
        while time.monotonic() < end and not process.port_in_use(port):
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(timeout=10)
