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
from gateproof.probes.http import NoAnswerError

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
        try:
            return action()
        except requests.exceptions.ConnectTimeout as exc:
            raise UnreachableError(
                f"could not connect to Prometheus at {self.url}: {type(exc).__name__}",
                target=self.url,
                setting=SETTING,
                hint="start Prometheus, or fix the setting",
            ) from None
        except requests.exceptions.ConnectionError as exc:
            reason = str(exc.args[0] if exc.args else exc)[:200]
            raise UnreachableError(
                f"could not connect to Prometheus at {self.url}: {reason}",
                target=self.url,
                setting=SETTING,
                hint="start Prometheus, or fix the setting",
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

    def query(self, promql: str) -> list[Sample]:
        """An instant query; a scalar result comes back as one sample without labels."""
        __tracebackhide__ = True
        raw: Any = self._call(
            f"the query {promql!r}", promql, lambda: self.client.custom_query(promql)
        )
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

    def missing_series(self, names: list[str]) -> list[str]:
        """The metric names (or selectors) of ``names`` that have no series right now."""
        __tracebackhide__ = True
        missing = []
        for name in names:
            selector = name if "{" in name else f'{{__name__="{name}"}}'
            if not self.query(f"count({selector})"):
                missing.append(name)
        return missing

    def targets(self) -> dict[str, Any]:
        """``/api/v1/targets``: ``{"activeTargets": [...], "droppedTargets": [...]}``."""
        __tracebackhide__ = True
        raw: Any = self._call("the targets list", "", self.client.get_targets)
        return dict(raw)

    # --- postdeploy gates: evaluation at a fixed moment (the end of the warm-up) ---

    def query_at(self, promql: str, at: float | None) -> list[Sample]:
        """An instant query evaluated at ``at`` (epoch seconds; None: now)."""
        __tracebackhide__ = True
        if at is None:
            return self.query(promql)
        params = {"time": f"{at:.3f}"}
        raw: Any = self._call(
            f"the query {promql!r} at {at:.0f}",
            promql,
            lambda: self.client.custom_query(promql, params=params),
        )
        if isinstance(raw, list) and len(raw) == 2 and not isinstance(raw[0], dict):
            return [Sample({}, float(raw[1]))]
        return [Sample(dict(row.get("metric", {})), float(row["value"][1])) for row in raw or []]

    def missing_series_at(self, names: list[str], at: float | None) -> list[str]:
        """Like :meth:`missing_series`, evaluated at ``at`` (epoch seconds; None: now)."""
        __tracebackhide__ = True
        missing = []
        for name in names:
            selector = name if "{" in name else f'{{__name__="{name}"}}'
            if not self.query_at(f"count({selector})", at):
                missing.append(name)
        return missing
