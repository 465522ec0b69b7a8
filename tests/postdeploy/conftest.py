"""The postdeploy phase: one bounded warm-up through the gateway, then the checks.

Fixtures (scope, type):
    warmup   session, Warmup: the warm-up traffic (Locust, run headless as a child process)
             with its client-side samples, and Redis's keyspace counters before and after.
             Rate, duration, users, model mix and share of repeated prompts come from
             ``postdeploy.warmup.*``; the rate-limit probe model never gets warm-up traffic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

from gateproof.errors import GateproofError
from gateproof.load.results import LoadResult
from gateproof.probes.gateway import GatewayProbe
from gateproof.settings import Settings


@dataclass(frozen=True)
class Warmup:
    result: LoadResult
    began: float  # epoch seconds
    ended: float
    measured_at: float  # the end of the warm-up plus settle time: the gates' moment
    models: tuple[str, ...]
    redis_before: dict[str, int] | None
    redis_after: dict[str, int] | None
    redis_error: GateproofError | None

    @property
    def span_s(self) -> float:
        """From the warm-up's start to the gates' moment: what an ``auto`` window covers."""
        return self.measured_at - self.began


def _redis_stats(request: pytest.FixtureRequest) -> tuple[Any, GateproofError | None]:
    """The session Redis client, or why there is none (absent Redis: both None)."""
    settings: Settings = request.getfixturevalue("gateproof_settings")
    if settings.redis is None:
        return None, None
    try:
        return request.getfixturevalue("redis_client"), None
    except GateproofError as exc:
        return None, exc


def _keyspace(client: Any) -> dict[str, int]:
    stats = client.info("stats")
    return {k: int(stats[k]) for k in ("keyspace_hits", "keyspace_misses")}


def warmup_models(settings: Settings, sources: Any) -> tuple[str, ...]:
    wanted = settings.postdeploy.warmup.models
    routed = list(sources.routable_models())
    return tuple(wanted or [m for m in routed if m != settings.postdeploy.rate_limit_model])


@pytest.fixture(scope="session")
def warmup(
    request: pytest.FixtureRequest,
    gateway_authed: GatewayProbe,
    gateproof_settings: Settings,
    sources: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Warmup:
    """Session, :class:`Warmup`: the warm-up traffic, sent once, before the first check."""
    from gateproof.fixtures import resolve_secret_or_error
    from gateproof.load import LoadPlan, run_load
    from gateproof.load.runner import rpm_weights
    from gateproof.terminal import live_writer

    settings = gateproof_settings
    assert settings.gateway is not None
    key = resolve_secret_or_error(settings, settings.gateway.master_key, "gateway.master_key")
    conf = settings.postdeploy.warmup
    models = warmup_models(settings, sources)
    plan = LoadPlan(
        settings.gateway.url,
        models,
        conf.rate_rps,
        conf.duration_s,
        conf.users,
        conf.repeat_share,
        setting="postdeploy.warmup",
        name="warm-up",
        stop_timeout_s=settings.timeouts.read_s,
        connect_timeout_s=settings.timeouts.connect_s,
        read_timeout_s=settings.timeouts.read_s,
        weights=rpm_weights(models, {n: m.rpm for n, m in sources.routable_models().items()}),
    )
    redis_client, redis_error = _redis_stats(request)
    before = _keyspace(redis_client) if redis_client is not None else None
    began = time.time()
    say = live_writer(request.config)
    say(f"warm-up: {conf.duration_s:g} s at {conf.rate_rps:g} req/s over {', '.join(models)}")
    result = run_load(plan, key, tmp_path_factory.mktemp("warmup"), say)
    ended = time.time()
    if conf.settle_s >= 3:
        say(f"warm-up done ({result.requests} requests); {conf.settle_s:g} s for Prometheus "
            "to scrape its end")  # fmt: skip
    time.sleep(conf.settle_s)  # let Prometheus scrape the end of the warm-up
    after = _keyspace(redis_client) if redis_client is not None else None
    return Warmup(result, began, ended, time.time(), models, before, after, redis_error)
