"""The Grafana and Loki stand-ins answer as the documented APIs do, and the shipper reads
a followed file as Promtail would (complete lines only, from where it left off)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from mon_paths import MONITORING
from starlette.testclient import TestClient

from gateproof.stack.observability import grafana, logql, loki, shipper

TOKEN = "glsa_selftest_token_123456"


@pytest.fixture
def grafana_client(tmp_path: Path) -> TestClient:
    sources = tmp_path / "datasources.yml"
    sources.write_text("apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus}\n")
    return TestClient(grafana.build_app(MONITORING / "grafana", sources, TOKEN))


def test_grafana_health_needs_no_token(grafana_client: TestClient) -> None:
    answer = grafana_client.get("/api/health")
    assert answer.status_code == 200 and answer.json()["database"] == "ok"


def test_grafana_refuses_missing_and_wrong_tokens(grafana_client: TestClient) -> None:
    missing = grafana_client.get("/api/search?type=dash-db&query=")
    wrong = grafana_client.get("/api/search", headers={"Authorization": "Bearer nope"})
    assert (missing.status_code, missing.json()["messageId"]) == (401, "auth.unauthorized")
    assert (wrong.status_code, wrong.json()["messageId"]) == (401, "api-key.invalid")


def test_grafana_serves_the_repo_dashboard(grafana_client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    hits = grafana_client.get("/api/search?type=dash-db&query=gateway", headers=auth).json()
    assert [h["uid"] for h in hits] == ["gateproof-litellm"]
    board = grafana_client.get("/api/dashboards/uid/gateproof-litellm", headers=auth).json()
    assert board["dashboard"]["title"] == "LLM Gateway (gateproof)"
    assert grafana_client.get("/api/dashboards/uid/nope", headers=auth).status_code == 404
    sources = grafana_client.get("/api/datasources", headers=auth).json()
    assert sources[0]["type"] == "prometheus"


@pytest.fixture
def loki_client() -> TestClient:
    client = TestClient(loki.build_app(loki.Store(1000)))
    now = time.time_ns()
    streams = [
        {"stream": {"job": "litellm", "host": "a"}, "values": [[str(now), "GET /x 200"],
                                                               [str(now + 1), "POST /y 500"]]},
        {"stream": {"job": "other"}, "values": [[str(now), "GET /x 200"]]},
    ]  # fmt: skip
    assert client.post("/loki/api/v1/push", json={"streams": streams}).status_code == 204
    return client


def test_loki_counts_and_filters(loki_client: TestClient) -> None:
    count = loki_client.get(
        "/loki/api/v1/query", params={"query": 'sum(count_over_time({job="litellm"}[5m]))'}
    ).json()
    assert count["data"]["resultType"] == "vector"
    assert count["data"]["result"][0]["value"][1] == "2"
    lines = loki_client.get(
        "/loki/api/v1/query_range", params={"query": '{job=~"lit.*"} |= "POST" != "GET"'}
    ).json()
    assert lines["data"]["resultType"] == "streams"
    assert [v[1] for s in lines["data"]["result"] for v in s["values"]] == ["POST /y 500"]


def test_loki_no_match_is_empty_or_zero(loki_client: TestClient) -> None:
    empty = loki_client.get(
        "/loki/api/v1/query", params={"query": 'count_over_time({job="x"}[1m])'}
    )
    zero = loki_client.get(
        "/loki/api/v1/query", params={"query": 'sum(count_over_time({job="x"}[1m])) or vector(0)'}
    )
    assert empty.json()["data"]["result"] == []
    assert zero.json()["data"]["result"][0]["value"][1] == "0"


def test_loki_errors_are_plain_text_as_loki_s(loki_client: TestClient) -> None:
    bad = loki_client.get("/loki/api/v1/query", params={"query": "{job="})
    log_instant = loki_client.get("/loki/api/v1/query", params={"query": '{job="litellm"}'})
    assert bad.status_code == 400 and bad.text.startswith("parse error at line 1, col")
    assert log_instant.status_code == 400 and "range query" in log_instant.text


def test_logql_subset() -> None:
    parsed = logql.parse('sum by (host) (rate({job="a", host!~"b.*"} |~ "x|y" [1m]))')
    assert isinstance(parsed, logql.MetricQuery)
    assert parsed.sum_by == ("host",) and parsed.range_s == 60
    assert parsed.logs.selects({"job": "a", "host": "c"})
    assert not parsed.logs.selects({"job": "a", "host": "bee"})
    with pytest.raises(logql.LogQLError, match="at least one"):
        logql.parse('{job!="a"}')


def test_shipper_reads_complete_lines_and_restarts_after_truncation(tmp_path: Path) -> None:
    log = tmp_path / "gw.log"
    log.write_text(json.dumps({"a": 1}) + "\npartial")
    lines, offset = shipper.read_new(log, 0)
    assert lines == ['{"a": 1}'] and offset == 9
    assert shipper.read_new(log, offset) == ([], offset)
    log.write_text("new\n")  # truncated and rewritten: shorter than the offset
    assert shipper.read_new(log, 100) == (["new"], 4)
