"""The pure parts of the monitoring probes: Alertmanager route walking, Grafana panel and
variable handling, the metric-family check behind "renamed metric" messages."""

from __future__ import annotations

from typing import Any

from gateproof.probes.alertmanager import delivering_receivers, route_receivers
from gateproof.probes.grafana import panel_queries
from gateproof.probes.prometheus import is_advertised

CONFIG: dict[str, Any] = {
    "route": {
        "receiver": "default",
        "routes": [
            {"matchers": ['severity="critical"'], "receiver": "pager", "continue": True},
            {"match_re": {"alertname": "High.*"}, "receiver": "chat"},
            {"matchers": ["severity=~info|debug"], "receiver": "blackhole"},
        ],
    },
    "receivers": [
        {"name": "default", "webhook_configs": [{"url": "http://x"}]},
        {"name": "pager", "pagerduty_configs": [{"routing_key": "<secret>"}]},
        {"name": "chat", "slack_configs": [{"channel": "#a"}]},
        {"name": "blackhole"},
    ],
}


def test_routes() -> None:
    # continue: later siblings are tried too; the parent's receiver only when none matched
    assert route_receivers(CONFIG, {"alertname": "LiteLLMDown", "severity": "critical"}) == [
        "pager"
    ]
    assert route_receivers(CONFIG, {"alertname": "HighCPU", "severity": "critical"}) == [
        "pager",
        "chat",
    ]
    assert route_receivers(CONFIG, {"alertname": "HighLatency", "severity": "warning"}) == ["chat"]
    assert route_receivers(CONFIG, {"alertname": "X", "severity": "info"}) == ["blackhole"]
    assert route_receivers(CONFIG, {"alertname": "X"}) == ["default"]
    assert delivering_receivers(CONFIG) == ["default", "pager", "chat"]


def test_panel_queries_walk_rows_and_resolve_variables() -> None:
    dashboard = {
        "templating": {"list": [
            {"name": "job", "type": "custom", "current": {"value": "litellm"}},
            {"name": "model", "type": "query", "current": {}},
        ]},
        "panels": [
            {"type": "row", "collapsed": True, "panels": [
                {"title": "inner", "targets": [{"refId": "A", "expr": 'up{job="$job"}'}]},
            ]},
            {"type": "row", "collapsed": False, "panels": []},
            {"title": "outer", "targets": [
                {"refId": "A", "expr": 'rate(x{m=~"${model}"}[$__rate_interval])'},
                {"refId": "B", "expr": "hidden", "hide": True},
            ]},
        ],
    }  # fmt: skip
    queries = {(q.panel, q.ref_id): q.expr for q in panel_queries(dashboard)}
    assert queries == {("inner", "A"): 'up{job="litellm"}', ("outer", "A"): 'rate(x{m=~".*"}[5m])'}


def test_metric_families() -> None:
    families = {"litellm_proxy_total_requests_metric", "litellm_request_total_latency_metric"}
    assert is_advertised("litellm_proxy_total_requests_metric_total", families)
    assert is_advertised("litellm_request_total_latency_metric_bucket", families)
    assert not is_advertised("litellm_requests_total", families)
