"""The pieces of the postdeploy phase that need no stack: percentiles, the bottleneck rule,
the rpm-weighted model mix, the baseline file and its comparison, gate settings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gateproof.errors import ProbeError
from gateproof.gates import baseline, metric
from gateproof.load.results import LoadResult, Sample, percentile
from gateproof.load.runner import LoadPlan, rpm_weights
from gateproof.settings import Gate, Settings


def _result(latencies_ms: list[float], *, asked: float, span: float, cpu_s: float) -> LoadResult:
    step = span / max(1, len(latencies_ms))
    samples = [Sample(1000.0 + i * step, ms, 200, "m") for i, ms in enumerate(latencies_ms)]
    return LoadResult.of(asked, span, samples, cpu_s, wall=span, users=4)


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert math.isnan(percentile([], 0.95))


def test_generator_bound_by_cpu_or_by_a_rate_the_gateway_allowed() -> None:
    healthy = _result([50.0] * 60, asked=6, span=10, cpu_s=0.5)
    assert healthy.generator_bound(90.0) is None
    hot = _result([50.0] * 60, asked=6, span=10, cpu_s=9.5)
    assert "generator CPU 95 %" in str(hot.generator_bound(90.0))
    starved = _result([50.0] * 20, asked=6, span=10, cpu_s=0.5)  # 2 req/s, 6 allowed
    assert "of 6 req/s while the gateway's latencies left room for 6.0 req/s" in str(
        starved.generator_bound(90.0)
    )
    slow_gateway = _result([2000.0] * 20, asked=6, span=10, cpu_s=0.5)  # 4 users / 2 s
    assert slow_gateway.generator_bound(90.0) is None
    # One answer in ten 2.5 s slow: the users overran their 0.67 s slots (4.7 req/s at most),
    # although the mean latency (0.26 s) would suggest room for 15 req/s.
    some_slow = _result(([10.0] * 9 + [2500.0]) * 4, asked=6, span=9, cpu_s=0.3)
    assert some_slow.latency_bound_rps < 5.4
    assert some_slow.generator_bound(90.0) is None


def test_model_mix_follows_rpm() -> None:
    weights = rpm_weights(("a", "b", "c"), {"a": 120, "b": 30, "c": None})
    assert weights == (120.0, 30.0, 75.0)
    plan = LoadPlan("http://x", ("a", "b"), 5.0, 1.0, 2, 0.5, weights=(120.0, 30.0))
    argv = plan.argv(Path("/tmp/p"))
    assert argv[argv.index("--gateproof-weights") + 1] == "120,30"
    assert "GATEPROOF_LOAD_API_KEY" not in " ".join(argv)  # the key never goes on argv


def test_baseline_round_trip_and_deltas(tmp_path: Path) -> None:
    path = tmp_path / "b" / "baseline.json"
    saved = baseline.save(path, "http://prom", "1m", {"p95_latency": 0.2, "error_rate": 0.0,
                                                      "cache_hit_rate": math.nan})  # fmt: skip
    assert baseline.load(path) == saved
    assert json.loads(path.read_text())["values"]["cache_hit_rate"] is None
    deltas = {d.name: d for d in baseline.compare(Settings(), saved, {
        "p95_latency": 0.5, "error_rate": 0.004, "cache_hit_rate": 0.9})}  # fmt: skip
    assert not deltas["p95_latency"].held  # 0.5 > max(0.2 * 1.2, 0.2 + 0.25)
    assert deltas["error_rate"].held  # 0.004 <= 0.0 + 0.005
    assert not deltas["cache_hit_rate"].compared  # nothing before: not compared, not equal
    small = baseline.compare(Settings(), saved, {"p95_latency": 0.3})[0]
    assert small.held  # +0.1 s on 0.2 s: over 20 %, but within the 0.25 s noise floor
    assert baseline.load(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ProbeError, match="unreadable"):
        baseline.load(tmp_path / "bad.json")


def test_gates_lay_over_the_builtins_and_take_thresholds() -> None:
    settings = Settings.model_validate({
        "thresholds": {"p95_latency_s": 1.5},
        "postdeploy": {"gates": {"queue": {"query": "q[{window}]", "threshold": 3}}},
    })  # fmt: skip
    gates = metric.gates_of(settings)
    assert set(metric.BUILTIN_GATES) < set(gates)
    assert metric.threshold_of(settings, "p95_latency", gates["p95_latency"]) == 1.5
    assert metric.threshold_of(settings, "queue", gates["queue"]) == 3
    with pytest.raises(ValueError, match="no threshold"):
        metric.threshold_of(settings, "other", Gate(query="x"))
    assert metric.window_of(settings) == "18s"  # auto: 15 s warm-up + 3 s settle
