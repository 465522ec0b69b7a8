"""MON-05: the deployment's Grafana dashboard is found through Grafana's API (by uid, else
by exact title) and every panel's Prometheus query, template variables resolved, returns
data when run against Prometheus. Queries run against Prometheus directly: simpler than
Grafana's /api/ds/query and free of Grafana-side permission scopes."""

from __future__ import annotations

from typing import Any

import pytest
from monitoring_support import wait_for

from gateproof.errors import ProbeError, UnreachableError
from gateproof.failure import Check
from gateproof.probes.correlation import Traffic
from gateproof.probes.grafana import GrafanaProbe, PanelQuery, panel_queries
from gateproof.probes.http import Exchange, NoAnswerError
from gateproof.probes.prometheus import PrometheusProbe
from gateproof.settings import Settings

DATA_WAIT_S = 10.0  # rate() needs two scrapes of a series the traffic just created


def find_dashboard(grafana: GrafanaProbe, settings: Settings, check: Check) -> dict[str, Any]:
    __tracebackhide__ = True
    assert settings.grafana is not None
    uid, title = settings.grafana.dashboard_uid, settings.grafana.dashboard_title
    if not uid and title:
        search = check.see(grafana.search(title))
        _token_refused(search)
        hits = search.json() if search.status == 200 else []
        uid = next((h.get("uid") for h in hits or [] if h.get("title") == title), None)
        if uid is None:
            check.fail(
                f"no dashboard titled {title!r} in Grafana",
                target=f"{search.url} (from grafana.url, grafana.dashboard_title)",
                expected=f"a dashboard titled exactly {title!r}",
                actual=f"status {search.status}; titles {[h.get('title') for h in hits or []]}",
                exchange=search,
            )
    if not uid:
        raise ProbeError(
            "MON-05 does not know which dashboard to check",
            setting="grafana.dashboard_uid / grafana.dashboard_title",
            hint="set one of them",
        )
    found = check.see(grafana.dashboard(uid))
    _token_refused(found)
    if found.status != 200:
        check.fail(
            f"dashboard uid {uid!r} not found in Grafana (status {found.status})",
            target=f"{found.url} (from grafana.url, grafana.dashboard_uid)",
            expected="200 with the dashboard",
            actual=f"status {found.status}",
            exchange=found,
        )
    body: Any = found.json()
    dashboard: dict[str, Any] = body.get("dashboard") or {}
    return dashboard


def _token_refused(found: Exchange) -> None:
    """A 401/403 is "could not check", naming the token setting, not a missing dashboard."""
    __tracebackhide__ = True
    if found.status in (401, 403):
        refusal: Any = found.json() if found.text.startswith("{") else {}
        raise ProbeError(
            f"Grafana refused the configured token: status {found.status} "
            f"({refusal.get('messageId') or refusal.get('message') or found.excerpt(100)})",
            target=found.url,
            setting="grafana.token",
            hint="set grafana.token to os.environ/NAME, NAME holding a service account token "
            f"with read access to the dashboard. Reproduce with:\n    {found.curl}",
        )


@pytest.mark.monitoring
@pytest.mark.checklist("MON-05")
def test_dashboard_panels_show_data(
    grafana: GrafanaProbe,
    prometheus: PrometheusProbe,
    gateproof_settings: Settings,
    monitoring_traffic: Traffic,
    check: Check,
) -> None:
    health = grafana.health()
    check.status(health, f"Grafana /api/health answered {health.status}")
    dashboard = find_dashboard(grafana, gateproof_settings, check)
    queries = panel_queries(dashboard)
    title = dashboard.get("title")
    check.evidence.add("dashboard", f"{title!r} uid {dashboard.get('uid')}: {len(queries)} queries")
    if not queries:
        check.fail(
            f"dashboard {title!r} has no Prometheus query in any panel",
            target=f"{grafana.url} (from grafana.url)",
            expected="panels with Prometheus targets (expr)",
            actual="none",
        )
    problems = wait_for(lambda: _empty(prometheus, queries), lambda p: not p, DATA_WAIT_S)
    if problems:
        check.fail(
            f"{len(problems)} panel quer(ies) of dashboard {title!r} return no data",
            target=f"{prometheus.url} (from prometheus.url), dashboard from {grafana.url}",
            expected="every panel query returns at least one series",
            actual=", ".join(sorted({q.panel for q, _ in problems})),
            details=[(q.label, f"{why}: {q.expr}") for q, why in problems],
            reproduce=prometheus.reproducer(problems[0][0].expr),
        )


def _empty(prometheus: PrometheusProbe, queries: list[PanelQuery]) -> list[tuple[PanelQuery, str]]:
    problems = []
    for query in queries:
        try:
            if not prometheus.query(query.expr):
                problems.append((query, "no data"))
        except (UnreachableError, NoAnswerError):
            raise
        except ProbeError as exc:  # Prometheus refused the query: the panel is broken
            problems.append((query, str(exc).splitlines()[0]))
    return problems
