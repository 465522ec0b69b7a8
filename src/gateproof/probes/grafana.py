"""Grafana's HTTP API: health, dashboard search and dashboard by uid, and the Prometheus
queries of every panel with the dashboard's template variables resolved.

Panels are walked as Grafana stores them: a collapsed row keeps its children in
``row.panels``; an expanded row has none and its children follow it at top level.
Variables resolve to their current value, else their first option, else (a ``query``
variable) to ``.*``, which is what "All" selects; Grafana's built-in intervals become fixed
windows, so every query can run against Prometheus as it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from gateproof.probes.http import Exchange, send

if TYPE_CHECKING:
    import httpx

SETTING = "grafana.url"
BUILTINS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__interval_ms": "60000",
    "__range_s": "3600",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel, its template variables resolved."""

    panel: str
    ref_id: str
    expr: str
    raw: str

    @property
    def label(self) -> str:
        return f"panel '{self.panel}' query {self.ref_id}"


class GrafanaProbe:
    """One Grafana. ``client`` carries the token (``Authorization: Bearer``) if any."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.client = client
        self.url = url.rstrip("/")

    def _get(self, path: str) -> Exchange:
        return send(self.client, "GET", f"{self.url}{path}", setting=SETTING)

    def health(self) -> Exchange:
        return self._get("/api/health")

    def search(self, title: str) -> Exchange:
        return self._get(f"/api/search?type=dash-db&query={quote(title)}")

    def dashboard(self, uid: str) -> Exchange:
        return self._get(f"/api/dashboards/uid/{quote(uid, safe='')}")


def leaf_panels(panels: list[Any]) -> list[dict[str, Any]]:
    """Every panel that is not a row, including the children of collapsed rows."""
    found: list[dict[str, Any]] = []
    for panel in panels:
        if not isinstance(panel, dict):
            continue
        if panel.get("type") == "row":
            found += leaf_panels(panel.get("panels") or [])
        else:
            found.append(panel)
    return found


def variable_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """Template variable -> the value a viewer would see by default."""
    values = dict(BUILTINS)
    for var in (dashboard.get("templating") or {}).get("list") or []:
        if not isinstance(var, dict) or not var.get("name"):
            continue
        current = (var.get("current") or {}).get("value")
        if isinstance(current, list):
            current = current[0] if len(current) == 1 else "|".join(map(str, current))
        options = [o.get("value") for o in var.get("options") or [] if isinstance(o, dict)]
        if current in (None, "", "$__all") or (var.get("type") == "query" and not current):
            current = options[0] if options and var.get("type") != "query" else ".*"
        values[str(var["name"])] = str(current)
    return values


def resolve(expr: str, values: dict[str, str]) -> str:
    def swap(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return values.get(name, match.group(0))

    return _VARIABLE.sub(swap, expr)


def panel_queries(dashboard: dict[str, Any]) -> list[PanelQuery]:
    """The Prometheus queries of every panel (hidden targets and non-PromQL ones skipped)."""
    values = variable_values(dashboard)
    queries = []
    for panel in leaf_panels(dashboard.get("panels") or []):
        title = str(panel.get("title") or f"id {panel.get('id')}")
        for target in panel.get("targets") or []:
            if not isinstance(target, dict) or target.get("hide") or not target.get("expr"):
                continue
            raw = str(target["expr"])
            queries.append(
                PanelQuery(title, str(target.get("refId", "?")), resolve(raw, values), raw)
            )
    return queries
