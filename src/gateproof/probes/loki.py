"""Grafana Loki's HTTP API: readiness, LogQL metric queries (instant) and log queries
(range), with the tenant header when the deployment is multi-tenant (``loki.org_id``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from gateproof.probes.http import Exchange, send

if TYPE_CHECKING:
    import httpx

SETTING = "loki.url"


class LokiProbe:
    """One Loki. ``client`` is a plain httpx client; ``org_id`` goes in ``X-Scope-OrgID``."""

    def __init__(self, client: httpx.Client, url: str, org_id: str | None = None) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.headers = {"X-Scope-OrgID": org_id} if org_id else {}

    def _get(self, path: str, params: dict[str, Any]) -> Exchange:
        url = f"{self.url}{path}?{urlencode(params)}" if params else f"{self.url}{path}"
        return send(self.client, "GET", url, setting=SETTING, headers=self.headers)

    def ready(self) -> Exchange:
        return self._get("/ready", {})

    def query(self, logql: str) -> Exchange:
        """An instant metric query, e.g. ``sum(count_over_time({job="x"}[5m]))``."""
        return self._get("/loki/api/v1/query", {"query": logql})

    def query_range(self, logql: str, *, since_s: float, limit: int = 100) -> Exchange:
        """A log query over the last ``since_s`` seconds, newest lines first."""
        end = time.time_ns()
        start = end - int(since_s * 1e9)
        params = {"query": logql, "start": start, "end": end, "limit": limit}
        return self._get("/loki/api/v1/query_range", {**params, "direction": "backward"})


def vector_total(body: Any) -> float | None:
    """Sum of an instant vector answer; None when the body is not one."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("resultType") != "vector":
        return None
    return sum(float(row["value"][1]) for row in data.get("result") or [])


def stream_lines(body: Any) -> list[tuple[dict[str, str], str]]:
    """(stream labels, line) of a ``streams`` answer."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("resultType") != "streams":
        return []
    return [
        (dict(s.get("stream") or {}), str(value[1]))
        for s in data.get("result") or []
        for value in s.get("values") or []
    ]
