"""The Grafana dashboard: identity, both panel shapes, every query parses and uses real metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mon_paths import KNOWN_METRICS, MONITORING

from gateproof import promtool

DASHBOARD = MONITORING / "grafana" / "litellm-dashboard.json"


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _leaf_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Panels at top level and inside collapsed rows (``row.panels``); rows themselves skipped."""
    found: list[dict[str, Any]] = []
    for panel in panels:
        if panel.get("type") == "row":
            found.extend(_leaf_panels(panel.get("panels", [])))
        else:
            found.append(panel)
    return found


def _exprs() -> dict[str, str]:
    return {
        f"{panel['title']} [{target['refId']}]": target["expr"]
        for panel in _leaf_panels(_dashboard()["panels"])
        for target in panel["targets"]
    }


def test_identity() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "gateproof-litellm"
    assert dashboard["title"] == "LLM Gateway (gateproof)"


def test_has_a_collapsed_row_with_nested_panels_and_unique_ids() -> None:
    panels = _dashboard()["panels"]
    collapsed = [p for p in panels if p["type"] == "row" and p["collapsed"]]
    assert collapsed and all(row["panels"] for row in collapsed)
    ids = [p["id"] for p in panels] + [n["id"] for row in collapsed for n in row["panels"]]
    assert len(ids) == len(set(ids))


def test_every_panel_has_a_query() -> None:
    bare = [p["title"] for p in _leaf_panels(_dashboard()["panels"]) if not p.get("targets")]
    assert not bare
    assert all(expr.strip() for expr in _exprs().values())


def test_every_query_parses() -> None:
    result = promtool.check_exprs(_exprs())
    assert result.ok, result.describe()


def test_every_query_uses_verified_metrics() -> None:
    unknown = {
        title: sorted(promtool.metric_names(expr) - KNOWN_METRICS)
        for title, expr in _exprs().items()
    }
    assert not {title: names for title, names in unknown.items() if names}


@pytest.mark.parametrize(
    "needle",
    [
        "litellm_proxy_total_requests_metric_total",
        "litellm_proxy_failed_requests_metric_total",
        "histogram_quantile(0.50",
        "histogram_quantile(0.95",
        "histogram_quantile(0.99",
        "litellm_deployment_state",
        "litellm_deployment_successful_fallbacks_total",
        "litellm_cache_hits_metric_total",
        "redis_keyspace_hits_total",
        "litellm_remaining_requests_metric",
        "node_cpu_seconds_total",
        "node_memory_MemAvailable_bytes",
        "node_filesystem_avail_bytes",
    ],
)
def test_covers_the_critical_metrics(needle: str) -> None:
    assert any(needle in expr for expr in _exprs().values())
