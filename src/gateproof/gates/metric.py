"""Metric gates: declared once (query, window, threshold, comparison, on_empty), measured
the same way everywhere.

A gate first checks that the series it needs exist: a renamed or absent metric reads
"could not measure: no series `name`" and never turns into a zero that passes. Then its
query runs over the window; an empty or NaN result is "empty", and the gate's ``on_empty``
says what that means. Measuring never decides: :class:`Reading` carries the value, the
query and a reproducer; the acceptance test compares and fails.

Numerators that legitimately have no series on a healthy gateway (no failure, no cache hit
yet) are written ``(... or vector(0))`` in the built-in queries and left out of ``series``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

from gateproof.probes.prometheus import PrometheusProbe
from gateproof.settings import Gate, Settings

_COMPLETIONS = 'route=~".*/chat/completions"'
_FAILED = f"sum(increase(litellm_proxy_failed_requests_metric_total{{{_COMPLETIONS}}}[{{window}}]))"
_TOTAL = f"sum(increase(litellm_proxy_total_requests_metric_total{{{_COMPLETIONS}}}[{{window}}]))"
_FS = 'node_filesystem_{}_bytes{{mountpoint="/",fstype!~"tmpfs|overlay"}}'

BUILTIN_GATES: dict[str, Gate] = {
    "p95_latency": Gate(
        query="histogram_quantile(0.95, sum by (le) "
        "(rate(litellm_request_total_latency_metric_bucket[{window}])))",
        series=["litellm_request_total_latency_metric_bucket"],
        comparison="<",
        unit="s",
    ),
    "error_rate": Gate(
        query=f"({_FAILED} or vector(0)) / {_TOTAL}",
        series=["litellm_proxy_total_requests_metric_total"],
        comparison="<",
    ),
    "cache_hit_rate": Gate(
        query=f"(sum(increase(litellm_cache_hits_metric_total[{{window}}])) or vector(0)) "
        f"/ {_TOTAL}",
        series=["litellm_proxy_total_requests_metric_total"],
        comparison=">",
    ),
    "cpu": Gate(
        # Idle over all modes, as PRE-INF-04 reads it: the per-CPU counters need not add up
        # to one second per second just after the exporter starts.
        query='max(100 * (1 - sum by (instance) (rate(node_cpu_seconds_total{mode="idle"}'
        "[{window}])) / sum by (instance) (rate(node_cpu_seconds_total[{window}]))))",
        series=["node_cpu_seconds_total"],
        comparison="<",
        window="5m",  # a sustained figure, not the warm-up's own spike
        unit="%",
    ),
    "memory": Gate(
        query="max(100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes))",
        series=["node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"],
        comparison="<",
        unit="%",
    ),
    "disk": Gate(  # as df computes it: used / (used + available to users)
        query=f"max(100 * ({_FS.format('size')} - {_FS.format('free')}) / "
        f"({_FS.format('size')} - {_FS.format('free')} + {_FS.format('avail')}))",
        series=["node_filesystem_size_bytes", "node_filesystem_avail_bytes"],
        comparison="<",
        unit="%",
    ),
}
# Built-in gate -> the thresholds.* key its limit comes from (unless the gate sets one).
THRESHOLD_KEYS = {
    "p95_latency": "p95_latency_s",
    "error_rate": "error_rate",
    "cache_hit_rate": "cache_hit_rate",
    "cpu": "cpu_percent",
    "memory": "memory_percent",
    "disk": "disk_percent",
}
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def gates_of(settings: Settings) -> dict[str, Gate]:
    """The built-in gates with the settings' ``postdeploy.gates`` laid over them by name."""
    return {**BUILTIN_GATES, **settings.postdeploy.gates}


def threshold_of(settings: Settings, name: str, gate: Gate) -> float:
    if gate.threshold is not None:
        return gate.threshold
    key = THRESHOLD_KEYS.get(name)
    if key is None:
        raise ValueError(f"postdeploy.gates.{name}: no threshold (set threshold:)")
    return float(getattr(settings.thresholds, key))


@dataclass(frozen=True)
class Reading:
    """What one gate measured. ``value`` None: nothing to compare (see ``empty_reason``)."""

    name: str
    gate: Gate
    promql: str
    threshold: float
    value: float | None
    missing: tuple[str, ...]
    reproduce: str
    source: str = ""  # the Prometheus URL

    @property
    def empty_reason(self) -> str:
        if self.missing:
            return "could not measure: no series " + ", ".join(f"`{m}`" for m in self.missing)
        return f"could not measure: the query returned no value over {self.window}"

    @property
    def window(self) -> str:
        return self.gate.window or "?"

    def passes(self) -> bool:
        assert self.value is not None
        return _OPS[self.gate.comparison](self.value, self.threshold)

    def describe(self) -> str:
        shown = "empty" if self.value is None else f"{self.value:.4g}{self.gate.unit}"
        want = f"{self.gate.comparison} {self.threshold:g}{self.gate.unit}"
        return f"{self.name} = {shown} (want {want})"


def window_of(settings: Settings, auto_s: float | None = None) -> str:
    """``postdeploy.window``; ``auto``: ``auto_s`` (the warm-up's real span and settle time)
    or else the configured warm-up and settle time, in whole seconds."""
    conf = settings.postdeploy
    if conf.window != "auto":
        return conf.window
    return f"{math.ceil(auto_s or conf.warmup.duration_s + conf.warmup.settle_s)}s"


def measure(
    prometheus: PrometheusProbe,
    settings: Settings,
    name: str,
    at: float | None = None,
    auto_s: float | None = None,
) -> Reading:
    """Run gate ``name``: series check, then its query over its window ending at ``at``
    (epoch seconds, e.g. the end of the warm-up; None: now). ``auto_s``: what an ``auto``
    window spans (the warm-up as it really ran). Probe errors pass up."""
    __tracebackhide__ = True
    declared = gates_of(settings)[name]
    window = declared.window or window_of(settings, auto_s)
    gate = declared.model_copy(update={"window": window})
    promql = gate.query.replace("{window}", str(gate.window))
    threshold = threshold_of(settings, name, gate)
    missing = tuple(prometheus.missing_series(list(gate.series), at))
    value: float | None = None
    if not missing:
        samples = prometheus.query(promql, at)
        finite = [s.value for s in samples if not math.isnan(s.value) and not math.isinf(s.value)]
        value = max(finite) if finite else None
    reproduce = prometheus.reproducer(promql) + (f"&time={at:.0f}'" if at else "")
    if at:
        reproduce = reproduce.replace("'&time=", "&time=")
    return Reading(name, gate, promql, threshold, value, missing, reproduce, prometheus.url)
