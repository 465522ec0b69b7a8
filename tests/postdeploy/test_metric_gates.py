"""PST-05..08: latency, cache hit rate, error rate and resources after the warm-up, through
the metric gates declared once in the settings (``postdeploy.gates``; built-ins in
``gateproof.gates.metric``). Each gate's series are looked up first: a renamed metric reads
"could not measure", never a zero that passes.

PST-05 also reports the warm-up's own client-side p50/p95/p99 (both sources must hold) and
attaches the latency distribution and request timeline to the HTML report.
PST-06 reads both Redis's keyspace counters (over the warm-up) and LiteLLM's cache counters.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.gates import metric
from gateproof.gates.judge import judge
from gateproof.latency_picture import SVG_KEY
from gateproof.report_files import record_dir
from gateproof.settings import Settings

from .conftest import Warmup


def _attach_plot(request: pytest.FixtureRequest, warmup: Warmup, threshold: float) -> None:
    """The warm-up picture as a pytest-html extra and, for the run record, on the test's
    report (only drawn when an HTML report or a record is being written)."""
    html = request.config.getoption("htmlpath", default=None)
    if not html and record_dir(request.config) is None:
        return
    from gateproof.load.plot import latency_svg

    result = warmup.result
    title = (
        f"warm-up through the gateway: {result.requests} requests at "
        f"{result.achieved_rps:.1f} req/s, {result.errors} error(s)"
    )
    svg = latency_svg(result, threshold, title)
    request.node.stash[SVG_KEY] = svg
    if html:
        from pytest_html import extras as html_extras

        extra = html_extras.svg(base64.b64encode(svg.encode()).decode(), name="warm-up latency")
        request.getfixturevalue("extras").append(extra)


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-05")
def test_latency_percentiles(
    request: pytest.FixtureRequest,
    prometheus: Any,
    warmup: Warmup,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    result = warmup.result
    limit = gateproof_settings.thresholds.p95_latency_s
    _attach_plot(request, warmup, limit)
    client = {p: result.latency_s(p / 100) for p in (50, 95, 99)}
    reading = metric.measure(
        prometheus, gateproof_settings, "p95_latency", warmup.measured_at, warmup.span_s
    )
    quantiles = {}
    if not reading.missing:
        for share in (0.5, 0.99):
            q = reading.promql.replace("histogram_quantile(0.95", f"histogram_quantile({share}")
            values = [
                s.value for s in prometheus.query(q, warmup.measured_at) if not math.isnan(s.value)
            ]
            quantiles[share] = max(values) if values else None
    check.evidence.add(
        "client", "warm-up " + ", ".join(f"p{p} {v:.3f} s" for p, v in client.items())
    )
    server = ", ".join(
        f"p{int(100 * q)} {v}" for q, v in sorted({**quantiles, 0.95: reading.value}.items())
    )
    check.evidence.add("server", f"Prometheus {server} (s, over {reading.window})")
    check.evidence.add("warm-up", result.summary())
    max_cpu = gateproof_settings.postdeploy.max_generator_cpu_percent
    bound = result.generator_bound(max_cpu)
    if bound:
        check.fail(
            "the load generator was the bottleneck: its latencies say nothing about the gateway",
            target="the warm-up (postdeploy.warmup.*)",
            expected=f"the asked rate sent, generator CPU < {max_cpu:g} % of one core",
            actual=bound,
            details=[("warm-up", result.summary())],
        )
    if not client[95] < limit:
        check.fail(
            f"client-side p95 {client[95]:.3f} s over the warm-up is not below {limit:g} s",
            target="the warm-up through gateway.url",
            expected=f"p95 < {limit:g} s (thresholds.p95_latency_s)",
            actual=", ".join(f"p{p} {v:.3f} s" for p, v in client.items()),
            details=[("warm-up", result.summary()), ("prometheus", reading.describe())],
        )
    judge(check, reading, "gateway p95 latency (Prometheus histogram)")


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-06")
def test_cache_hit_rate(
    prometheus: Any, warmup: Warmup, gateproof_settings: Settings, check: Check
) -> None:
    limit = gateproof_settings.thresholds.cache_hit_rate
    if warmup.redis_error is not None:
        raise warmup.redis_error
    reading = metric.measure(
        prometheus, gateproof_settings, "cache_hit_rate", warmup.measured_at, warmup.span_s
    )
    if warmup.redis_before is not None and warmup.redis_after is not None:
        hits = warmup.redis_after["keyspace_hits"] - warmup.redis_before["keyspace_hits"]
        misses = warmup.redis_after["keyspace_misses"] - warmup.redis_before["keyspace_misses"]
        check.evidence.add("redis", f"keyspace_hits +{hits}, keyspace_misses +{misses} "
                                    "over the warm-up")  # fmt: skip
        redis = gateproof_settings.redis
        assert redis is not None
        where = f"redis://{redis.host}:{redis.port} (from redis.host / redis.port)"
        if hits + misses == 0:
            empty = metric.Reading("cache_hit_rate", reading.gate, "INFO stats", limit, None,
                                   ("redis keyspace lookups",), "redis-cli INFO stats")  # fmt: skip
            judge(check, empty, "Redis cache hit rate over the warm-up")
        else:
            rate = hits / (hits + misses)
            if not rate > limit:
                check.fail(
                    f"Redis cache hit rate {rate:.2%} over the warm-up is not above {limit:.0%}",
                    target=where,
                    expected=f"keyspace_hits / (hits + misses) > {limit:g} "
                    "(thresholds.cache_hit_rate)",
                    actual=f"{hits} / ({hits} + {misses}) = {rate:.3f}",
                    details=[("litellm", reading.describe())],
                    reproduce=f"redis-cli -h {redis.host} -p {redis.port} --askpass INFO stats",
                )
    judge(check, reading, "LiteLLM cache hit rate (cache hits / requests)")


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-07")
def test_error_rate(
    prometheus: Any, warmup: Warmup, gateproof_settings: Settings, check: Check
) -> None:
    check.evidence.add("client", f"warm-up error rate {warmup.result.error_rate:.2%} "
                                 f"(statuses {warmup.result.statuses()})")  # fmt: skip
    reading = metric.measure(
        prometheus, gateproof_settings, "error_rate", warmup.measured_at, warmup.span_s
    )
    judge(check, reading, "gateway error rate (failed / total requests)")


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-08")
@pytest.mark.parametrize("resource", ["cpu", "memory", "disk"], ids=lambda r: f"resource={r}")
def test_resource_utilisation(
    resource: str, prometheus: Any, warmup: Warmup, gateproof_settings: Settings, check: Check
) -> None:
    reading = metric.measure(
        prometheus, gateproof_settings, resource, warmup.measured_at, warmup.span_s
    )
    judge(check, reading, f"{resource} utilisation (node exporter)")
