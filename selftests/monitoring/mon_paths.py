"""Paths and verified metric names shared by the monitoring selftests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "monitoring"
RULES = sorted((MONITORING / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((MONITORING / "prometheus" / "tests").glob("*.yml"))

# Metric names verified to exist, and where:
# - LiteLLM 1.108.7: litellm/integrations/prometheus.py (counters get prometheus_client's _total)
#   and ../shared/docs/FACTS.md (names scraped from a running proxy);
# - redis exporter 1.45 and node exporter 1.5: scraped from the Debian packages' binaries;
# - up: Prometheus itself.
KNOWN_METRICS = frozenset(
    {
        "up",
        "litellm_proxy_total_requests_metric_total",
        "litellm_proxy_failed_requests_metric_total",
        "litellm_request_total_latency_metric_bucket",
        "litellm_llm_api_latency_metric_bucket",
        "litellm_overhead_latency_metric_bucket",
        "litellm_deployment_state",
        "litellm_deployment_successful_fallbacks_total",
        "litellm_deployment_failed_fallbacks_total",
        "litellm_deployment_total_requests_total",
        "litellm_cache_hits_metric_total",
        "litellm_cache_misses_metric_total",
        "litellm_remaining_requests_metric",
        "litellm_deployment_rpm_limit",
        "redis_up",
        "redis_keyspace_hits_total",
        "redis_keyspace_misses_total",
        "redis_memory_used_bytes",
        "redis_memory_max_bytes",
        "redis_rejected_connections_total",
        "node_cpu_seconds_total",
        "node_memory_MemAvailable_bytes",
        "node_memory_MemTotal_bytes",
        "node_filesystem_size_bytes",
        "node_filesystem_free_bytes",
        "node_filesystem_avail_bytes",
        # written by gateproof watch (gateproof.watch.metrics) for the textfile collector
        "gateproof_watch_red",
        "gateproof_watch_running",
        "gateproof_watch_rounds",
        "gateproof_watch_last_round_timestamp_seconds",
    }
)
