"""PRE-TST-05: sustained load through the gateway at ``load.rate_rps`` for ``load.duration_s``
(``load`` marker: only with --gateproof-load). Locust runs the shipped locustfile headless in
its own process, or as a master with ``load.workers`` local and ``load.remote_workers`` remote
worker processes (docs/postdeploy.md).

Passes when p95 and the error rate are within ``thresholds.*``, the asked rate was achieved
(``load.min_rate_share``), no worker was lost and the generator was not the bottleneck: a
generator process at its CPU limit measured itself, not the gateway.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.probes.gateway import GatewayProbe
from gateproof.settings import Settings


@pytest.mark.predeploy
@pytest.mark.load
@pytest.mark.checklist("PRE-TST-05")
def test_sustained_load(
    request: pytest.FixtureRequest,
    gateway_authed: GatewayProbe,
    sources: Any,
    gateproof_settings: Settings,
    tmp_path: Any,
    check: Check,
) -> None:
    from gateproof.fixtures import resolve_secret_or_error
    from gateproof.load import LoadPlan, run_load
    from gateproof.load.runner import rpm_weights
    from gateproof.terminal import live_writer

    settings = gateproof_settings
    assert settings.gateway is not None
    conf = settings.load
    key = resolve_secret_or_error(settings, settings.gateway.master_key, "gateway.master_key")
    probe_model = settings.postdeploy.rate_limit_model
    models = tuple(conf.models or [m for m in sources.routable_models() if m != probe_model])
    plan = LoadPlan(settings.gateway.url, models, conf.rate_rps, conf.duration_s, conf.users,
                    conf.repeat_share, setting="load", stop_timeout_s=settings.timeouts.read_s,
                    connect_timeout_s=settings.timeouts.connect_s,
                    read_timeout_s=settings.timeouts.read_s,
                    weights=rpm_weights(models, {n: m.rpm for n, m in
                                                 sources.routable_models().items()}),
                    workers=conf.workers, remote_workers=conf.remote_workers,
                    master_bind_host=conf.master_bind_host, master_port=conf.master_port,
                    worker_wait_s=conf.worker_wait_s)  # fmt: skip
    result = run_load(plan, key, tmp_path, live_writer(request.config))
    check.evidence.add("load", result.summary())
    for process in result.processes:  # distributed: who sent what, at what CPU
        check.evidence.add("process", process.describe())
    limits = settings.thresholds
    max_cpu = settings.postdeploy.max_generator_cpu_percent
    problems = []
    bound = result.generator_bound(max_cpu, conf.min_rate_share)
    if result.lost:
        problems.append(f"the load generator lost part of its workers: {'; '.join(result.lost)}")
    elif bound:
        problems.append(f"the generator was the bottleneck: {bound}")
    if result.achieved_rps < conf.min_rate_share * conf.rate_rps:
        problems.append(f"achieved {result.achieved_rps:.1f} req/s of {conf.rate_rps:g} asked "
                        f"(load.min_rate_share {conf.min_rate_share:g})")  # fmt: skip
    if not result.latency_s(0.95) < limits.p95_latency_s:
        problems.append(f"p95 {result.latency_s(0.95):.3f} s not below {limits.p95_latency_s:g} s")
    if not result.error_rate < limits.error_rate:
        problems.append(f"error rate {result.error_rate:.2%} not below {limits.error_rate:.2%} "
                        f"(statuses {result.statuses()})")  # fmt: skip
    if problems:
        check.fail(
            f"the sustained load test did not hold: {problems[0]}",
            target=f"{settings.gateway.url} (from gateway.url), models {', '.join(models)}",
            expected=f"{conf.rate_rps:g} req/s for {conf.duration_s:g} s, p95 < "
            f"{limits.p95_latency_s:g} s, errors < {limits.error_rate:.2%}, generator CPU "
            f"< {max_cpu:g} %",
            actual=result.summary(),
            details=[("problem", p) for p in problems[1:]],
        )
