"""MON-06: Loki receives the gateway's logs, and one tagged request is followed end to end:
its id comes back in the gateway's response headers, is counted in Prometheus (LiteLLM's
``user_agent`` label) and appears in the gateway's log lines in Loki."""

from __future__ import annotations

import pytest
from monitoring_support import wait_for

from gateproof.failure import Check
from gateproof.probes.correlation import new_tag, tagged_chat, user_agent
from gateproof.probes.gateway import GatewayProbe
from gateproof.probes.loki import LokiProbe, stream_lines, vector_total
from gateproof.settings import Settings

ARRIVAL_WAIT_S = 20.0  # shipper batching + Loki ingestion; one scrape interval in Prometheus
WINDOW_S = 300


@pytest.mark.monitoring
@pytest.mark.checklist("MON-06")
def test_loki_receives_the_gateway_logs(
    request: pytest.FixtureRequest,
    loki: LokiProbe,
    gateway_authed: GatewayProbe,
    sources: object,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    assert gateproof_settings.loki is not None
    job = gateproof_settings.loki.job
    selector = f'{{job="{job}"}}'
    count_query = f"sum(count_over_time({selector}[5m]))"
    counted = check.see(loki.query(count_query))
    total = vector_total(counted.json()) if counted.status == 200 else None
    if not total:
        check.fail(
            f"Loki holds no log line of job {job!r} from the last 5 minutes",
            target=f"{loki.url} (from loki.url, loki.job)",
            expected=f"{count_query} > 0",
            actual=f"status {counted.status}, value {total}",
            exchange=counted,
        )
    check.evidence.add("lines", f"{total:g} lines of job {job} in 5 min")
    model = next(iter(sources.routable_models()))  # type: ignore[attr-defined]
    tag = new_tag()
    sent = check.see(tagged_chat(gateway_authed, model, tag))
    missing = []
    if sent.status != 200 or sent.header("x-litellm-call-id") != tag:
        missing.append(("gateway", f"status {sent.status}, x-litellm-call-id "
                        f"{sent.header('x-litellm-call-id')!r}"))  # fmt: skip
    log_query = f'{selector} |= "{tag}"'
    lines = wait_for(
        lambda: stream_lines(loki.query_range(log_query, since_s=WINDOW_S).json()),
        bool,
        ARRIVAL_WAIT_S,
    )
    if not lines:
        missing.append(("loki", f"no line matches {log_query} after {ARRIVAL_WAIT_S:g} s"))
    else:
        check.evidence.add("log line", lines[0][1][:300])
    if gateproof_settings.prometheus is not None:
        prometheus = request.getfixturevalue("prometheus")
        counter = (
            f'sum(litellm_proxy_total_requests_metric_total{{user_agent="{user_agent(tag)}"}})'
        )
        counted_by = wait_for(lambda: prometheus.query(counter), bool, ARRIVAL_WAIT_S)
        if not counted_by:
            missing.append(("prometheus", f"{counter} is empty after {ARRIVAL_WAIT_S:g} s"))
    if missing:
        check.fail(
            f"the tagged request {tag} was not found in {', '.join(w for w, _ in missing)}",
            target=f"{loki.url} (loki.url), gateway {sent.url}",
            expected="the id in the response headers, in Prometheus and in Loki's lines",
            actual="; ".join(f"{where}: {why}" for where, why in missing),
            details=missing,
            reproduce=f"curl -sG {loki.url}/loki/api/v1/query_range --data-urlencode "
            f"'query={log_query}'",
        )
