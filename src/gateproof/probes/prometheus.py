"""Prometheus, read through prometheus-api-client: instant and range queries, series, targets.

Every call has the run's timeout and is never retried. Transport trouble becomes a probe
error naming the URL and the ``prometheus.url`` setting; an answer Prometheus itself refused
(bad PromQL, overloaded) is a probe error carrying Prometheus's own message. A probe never
decides pass or fail: an empty result is returned as empty, and the caller's gate says what
empty means (``on_empty``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from gateproof.errors import ProbeError, UnreachableError
from gateproof.probes.http import NoAnswerError, known_dead, remember_dead

if TYPE_CHECKING:
    from prometheus_api_client import PrometheusConnect

SETTING = "prometheus.url"
T = TypeVar("T")


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and its value."""

    labels: dict[str, str]
    value: float


class PrometheusProbe:
    """One Prometheus server. Build with :meth:`connect`; ``client`` is the library's object."""

    def __init__(self, client: PrometheusConnect, url: str, timeout_s: float) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    @classmethod
    def connect(cls, url: str, *, connect_s: float, read_s: float) -> PrometheusProbe:
        from prometheus_api_client import PrometheusConnect
        from urllib3.util.retry import Retry

        client = PrometheusConnect(url=url, retry=Retry(total=0), timeout=(connect_s, read_s))
        return cls(client, url, read_s)

    def reproducer(self, promql: str) -> str:
        return f"curl -sS '{self.url}/api/v1/query?query={quote(promql, safe='')}'"

    def _call(self, what: str, promql: str, action: Callable[[], T]) -> T:
        __tracebackhide__ = True
        import requests
        from prometheus_api_client.exceptions import PrometheusApiClientException

        hint = f"Reproduce with:\n    {self.reproducer(promql)}" if promql else ""
        # A Prometheus found dead this run (by this probe or an httpx one) is not tried again:
        # a dead server costs one connect timeout per run, not one per query.
        earlier = known_dead(self.url)
        if earlier is not None:
            raise earlier
        try:
            return action()
        except requests.exceptions.ConnectTimeout as exc:
            raise remember_dead(
                self.url,
                UnreachableError(
                    f"could not connect to Prometheus at {self.url}: {type(exc).__name__}",
                    target=self.url,
                    setting=SETTING,
                    hint="start Prometheus, or fix the setting",
                ),
            ) from None
        except requests.exceptions.ConnectionError as exc:
            reason = str(exc.args[0] if exc.args else exc)[:200]
            raise remember_dead(
                self.url,
                UnreachableError(
                    f"could not connect to Prometheus at {self.url}: {reason}",
                    target=self.url,
                    setting=SETTING,
                    hint="start Prometheus, or fix the setting",
                ),
            ) from None
        except requests.exceptions.Timeout:
            raise NoAnswerError(
                f"Prometheus accepted the connection but did not answer {what} within "
                f"{self.timeout_s:g} s: it is up but not answering",
                target=self.url,
                setting=SETTING,
                hint=hint or "look at Prometheus's log",
            ) from None
        except PrometheusApiClientException as exc:
            raise ProbeError(
                f"Prometheus refused {what}: {exc}", target=self.url, setting=SETTING, hint=hint
            ) from None
        except (ValueError, KeyError) as exc:  # not Prometheus JSON: not a Prometheus answering
            raise ProbeError(
                f"{self.url} answered {what} with a body that is not Prometheus JSON ({exc})",
                target=self.url,
                setting=SETTING,
                hint=hint or "is prometheus.url the Prometheus server?",
            ) from None

    def query(self, promql: str, at: float | None = None) -> list[Sample]:
        """An instant query, evaluated at ``at`` (epoch seconds; None: now); a scalar result
        comes back as one sample without labels."""
        __tracebackhide__ = True
        what = f"the query {promql!r}" if at is None else f"the query {promql!r} at {at:.0f}"
        params = {} if at is None else {"time": f"{at:.3f}"}
        raw: Any = self._call(what, promql, lambda: self.client.custom_query(promql, params=params))
        if isinstance(raw, list) and len(raw) == 2 and not isinstance(raw[0], dict):
            return [Sample({}, float(raw[1]))]  # resultType scalar: [time, "value"]
        return [Sample(dict(row.get("metric", {})), float(row["value"][1])) for row in raw or []]

    def query_range(
        self, promql: str, start: dt.datetime, end: dt.datetime, step_s: float
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """A range query: per series, its labels and its (timestamp, value) points."""
        __tracebackhide__ = True
        raw: Any = self._call(
            f"the range query {promql!r}",
            promql,
            lambda: self.client.custom_query_range(promql, start, end, f"{step_s:g}s"),
        )
        return [
            (dict(row.get("metric", {})), [(float(t), float(v)) for t, v in row["values"]])
            for row in raw or []
        ]

    def missing_series(self, names: list[str], at: float | None = None) -> list[str]:
        """The metric names (or selectors) of ``names`` that have no series at ``at`` (None:
        now)."""
        __tracebackhide__ = True
        missing = []
        for name in names:
            selector = name if "{" in name else f'{{__name__="{name}"}}'
            if not self.query(f"count({selector})", at):
                missing.append(name)
        return missing

    def targets(self) -> dict[str, Any]:
        """``/api/v1/targets``: ``{"activeTargets": [...], "droppedTargets": [...]}``."""
        __tracebackhide__ = True
        raw: Any = self._call("the targets list", "", self.client.get_targets)
        return dict(raw)

    def _api(self, path: str, params: dict[str, str] | None = None) -> Any:
        """``GET /api/v1/<path>``'s ``data`` for endpoints the client library has no call for."""
        __tracebackhide__ = True
        from prometheus_api_client.exceptions import PrometheusApiClientException

        client: Any = self.client

        def get() -> Any:
            response = client._session.get(
                f"{self.url}/api/v1/{path}",
                params=params or {},
                headers=client.headers,
                auth=client.auth,
                timeout=client._timeout,
            )
            if response.status_code != 200:
                raise PrometheusApiClientException(
                    f"HTTP status {response.status_code} on /api/v1/{path}: {response.text[:200]}"
                )
            return response.json()["data"]

        return self._call(f"/api/v1/{path}", "", get)

    def rule_groups(self) -> list[dict[str, Any]]:
        """``/api/v1/rules``: every loaded group with its rules (health, lastEvaluation, ...)."""
        __tracebackhide__ = True
        return list(self._api("rules").get("groups", []))

    def firing_alerts(self) -> list[dict[str, Any]]:
        """``/api/v1/alerts``: alerts pending or firing now (``labels``, ``state``, ...)."""
        __tracebackhide__ = True
        return list(self._api("alerts").get("alerts", []))

    def advertised_metrics(self) -> set[str]:
        """Metric families some target advertises (HELP/TYPE), with or without a series yet.

        LiteLLM creates a labelled series only when it first counts something, but it
        advertises every family it has from the start: this tells a metric that has not
        happened yet from one that does not exist under that name."""
        __tracebackhide__ = True
        return set(self._api("metadata"))


SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def is_advertised(name: str, families: set[str]) -> bool:
    """``name`` (a sample name such as ``x_total`` or ``x_bucket``) belongs to a family."""
    if name in families:
        return True
    return any(name.endswith(s) and name[: -len(s)] in families for s in SUFFIXES)


# PRE-INF-04: busy % of each node exporter's host over 5 minutes, a sustained figure that one
# burst of the gate's own work barely moves. Idle over all modes, not 1 - rate(idle): the
# per-CPU counters need not add up to one second per second (measured here once, right after
# the exporter started: 0.1 s/s, which made 1 - rate(idle) read 98% on a 66% busy host).
NODE_CPU_5M = (
    '100 * (1 - sum by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))'
    " / sum by (instance) (rate(node_cpu_seconds_total[5m])))"
)
# The node exporters whose series already existed 4.5 minutes ago: only for them does the
# 5-minute rate cover (nearly) 5 minutes. Right after a start it covers the start-up burst
# alone, which reads as a saturated host.
NODE_CPU_COVERED = 'count by (instance) (node_cpu_seconds_total{mode="idle"} offset 4m30s)'
