"""A team's own test file, outside tests/, uses the plugin's fixtures with its own item IDs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TEAM_INI = """[pytest]
gateproof = true
gateproof_items =
    TEAM-01 smoke Our gateway answers its health checks
"""
TEAM_TEST = """
import pytest

@pytest.mark.smoke
@pytest.mark.checklist("TEAM-01")
def test_our_gateway_is_healthy(gateway, check):
    check.gateway_health(gateway)
"""


class _Gateway(BaseHTTPRequestHandler):
    """A gateway stand-in answering like LiteLLM's health routes, or 503 on readiness when
    ``server.broken``."""

    def do_GET(self) -> None:
        broken = getattr(self.server, "broken", False)
        status = 503 if broken and self.path == "/health/readiness" else 200
        healthy = "healthy" if self.path == "/health/readiness" else "I'm alive!"
        body = json.dumps({"status": healthy if status == 200 else "unhealthy"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def fake_gateway() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _run(pytester: pytest.Pytester, server: ThreadingHTTPServer) -> dict[str, object]:
    (pytester.path / "pytest.ini").write_text(TEAM_INI, encoding="utf-8")
    pytester.makepyfile(**{"acceptance/test_team": TEAM_TEST})
    url = f"http://127.0.0.1:{server.server_address[1]}"
    result = pytester.runpytest(
        "acceptance", "--gateproof-gateway-url", url, "--gateproof-record", "rec"
    )
    result.stdout.fnmatch_lines(["*TEAM-01*Our gateway answers its health checks*"])
    record = json.loads((pytester.path / "rec" / "record.json").read_text(encoding="utf-8"))
    item: dict[str, object] = record["items"]["TEAM-01"]
    not_run = [entry["id"] for entry in record["not_run"]]
    return {"verdict": record["verdict"], "result": result, "not_run": not_run, **item}


def test_team_item_passes_on_a_healthy_gateway(
    pytester: pytest.Pytester, fake_gateway: ThreadingHTTPServer
) -> None:
    seen = _run(pytester, fake_gateway)
    assert seen["outcome"] == "passed"
    assert seen["phase"] == "smoke"
    # The team's item joins the smoke scope; the checklist's own smoke items, which this
    # project does not run, keep the verdict from GREEN.
    assert seen["verdict"] == "INCOMPLETE"
    assert "SMK-01" in seen["not_run"]  # type: ignore[operator]
    assert "TEAM-01" not in seen["not_run"]  # type: ignore[operator]
    checklist = (pytester.path / "rec" / "checklist.md").read_text(encoding="utf-8")
    assert "TEAM-01" in checklist


def test_team_item_fails_with_its_own_id_when_readiness_breaks(
    pytester: pytest.Pytester, fake_gateway: ThreadingHTTPServer
) -> None:
    fake_gateway.broken = True  # type: ignore[attr-defined]
    seen = _run(pytester, fake_gateway)
    assert seen["outcome"] == "failed"
    assert seen["verdict"] == "RED"
    result = seen["result"]
    assert isinstance(result, pytest.RunResult)
    result.stdout.fnmatch_lines(["*TEAM-01 gateway readiness answered 503*"])


def test_team_item_can_be_waived(
    pytester: pytest.Pytester, fake_gateway: ThreadingHTTPServer
) -> None:
    fake_gateway.broken = True  # type: ignore[attr-defined]
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "waivers.yaml").write_text(
        "waivers:\n  - id: TEAM-01\n    reason: readiness probe being replaced\n"
        "    approver: B. Reviewer\n    expires: 2999-01-01\n",
        encoding="utf-8",
    )
    seen = _run(pytester, fake_gateway)
    assert seen["outcome"] == "waived"
    assert seen["verdict"] == "INCOMPLETE"  # waived, while the shipped smoke items did not run
    assert "TEAM-01" not in seen["not_run"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("TEAM-02 later Something", "*gateproof_items: 'TEAM-02 later Something': write*"),
        ("SMK-01 smoke Mine now", "*gateproof_items: SMK-01 is an item of the deployment*"),
    ],
    ids=["bad-phase", "checklist-id"],
)
def test_bad_team_item_is_a_usage_error(
    pytester: pytest.Pytester, line: str, expected: str
) -> None:
    (pytester.path / "pytest.ini").write_text(
        f"[pytest]\ngateproof = true\ngateproof_items =\n    {line}\n", encoding="utf-8"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])
