"""SMK-01..06: right after the deploy and restart, the gateway answers health checks, lists
exactly the configured models, routes a minimal completion to every provider (official
``openai`` client, ``max_tokens`` <= 8; answered by the routed deployment under the routed
model's name, with no retry, fallback or crawl), streams, caches in Redis, and falls back.

SMK-05: LiteLLM keeps an in-memory cache in front of Redis, so the ``x-litellm-cache-key``
header alone proves nothing about Redis; the key is looked up there too.
SMK-06: ``mock_testing_fallbacks`` forces the primary to fail, but LiteLLM honours it only
with ``general_settings.dangerously_allow_mock_testing_request_params``; without it, the
``destructive`` variant stops the primary's provider through ``provider_controls``.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.probes import redis_probe
from gateproof.probes.controls import while_stopped
from gateproof.probes.gateway import GatewayProbe, chat_body, nonce
from gateproof.probes.providers import schema_problems, sse_events
from gateproof.settings import Settings


def _first_model(sources: Any, gateway: GatewayProbe, check: Check) -> Any:
    """The first routed model, passing over one that hung earlier this run: SMK-04 and SMK-05
    check the gateway's streaming and cache, SMK-03 already reports the hung provider."""
    models = list(sources.routable_models().values())
    hung = {m.api_base for m in models if gateway.hung(m.name)}
    model = next((m for m in models if m.api_base not in hung), models[0])
    check.evidence.add("model", f"{model.name} (provider '{model.provider}')")
    return model


@pytest.mark.smoke
@pytest.mark.checklist("SMK-01")
def test_gateway_health(gateway: GatewayProbe, check: Check) -> None:
    check.gateway_health(gateway)


@pytest.mark.smoke
@pytest.mark.checklist("SMK-02")
def test_all_expected_models_listed(
    gateway_authed: GatewayProbe, sources: Any, check: Check
) -> None:
    check.exact_models(gateway_authed, sources.routable_models())


@pytest.mark.smoke
@pytest.mark.checklist("SMK-03")
def test_routing_to_each_provider(
    request: pytest.FixtureRequest,
    provider: Any,
    sources: Any,
    gateway_authed: GatewayProbe,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    from openai.types.chat import ChatCompletion

    name = str(request.node.callspec.params["provider"])
    routed = [m for m in sources.routable_models().values() if m.provider == name]
    if not routed:
        check.fail(
            f"no public model routes to provider '{name}'",
            target=f"{sources.config_dir}/model-mappings.yaml",
            expected="at least one exact match for the provider",
            actual="none",
        )
    model = routed[0]
    exchange, _completion = gateway_authed.sdk_chat(model.name)
    target = f"{exchange.url} (from gateway.url), model '{model.name}'"
    check.status(
        exchange,
        f"routing to provider '{name}' failed: status {exchange.status}, expected 200",
        target=target,
    )
    headline = f"routing to provider '{name}' did not give a valid answer from that provider"
    body = check.body(exchange, headline, target=target, expected="a JSON ChatCompletion")
    problems = schema_problems(ChatCompletion, body, f"model {model.name}")
    if problems:
        check.fail(
            headline,
            target=target,
            expected=f"200 from provider '{name}' at {model.api_base}, a valid ChatCompletion",
            actual=problems[0],
            details=[("problem", p) for p in problems[1:8]],
            exchange=exchange,
        )
    assert gateproof_settings.gateway is not None
    check.answered_as_routed(
        exchange,
        model,
        headline=headline,
        target=target,
        allow_retries=gateproof_settings.gateway.allow_retries,
        slow_s=gateproof_settings.thresholds.slow_answer_s,
    )


@pytest.mark.smoke
@pytest.mark.checklist("SMK-04")
def test_streaming_through_gateway(
    gateway_authed: GatewayProbe, sources: Any, check: Check
) -> None:
    from openai.types.chat import ChatCompletionChunk

    model = _first_model(sources, gateway_authed, check)
    exchange = gateway_authed.stream(model.name)
    target = f"{exchange.url} (from gateway.url), model '{model.name}'"
    check.status(exchange, f"streamed completion answered {exchange.status}", target=target)
    stream = sse_events(exchange)
    problems: list[str] = []
    for i, event in enumerate(stream.events):
        problems += schema_problems(ChatCompletionChunk, event, f"chunk {i}")
    text = "".join(
        str((choice.get("delta") or {}).get("content") or "")
        for event in stream.events
        if isinstance(event, dict)
        for choice in event.get("choices") or []
        if isinstance(choice, dict)
    )
    if not stream.done:
        problems.append("the stream did not end with 'data: [DONE]'")
    if not text:
        problems.append(f"no content in {len(stream.events)} chunk(s)")
    check.evidence.add("content", repr(text[:200]))
    if problems:
        check.fail(
            "the streamed completion through the gateway is broken",
            target=target,
            expected="SSE chunks with content, then 'data: [DONE]'",
            actual=problems[0],
            details=[("problem", p) for p in problems[1:8]],
            exchange=exchange,
        )


@pytest.mark.smoke
@pytest.mark.checklist("SMK-05")
def test_cache_hit_is_stored_in_redis(
    gateway_authed: GatewayProbe,
    sources: Any,
    generated: Any,
    redis_client: Any,
    gateproof_settings: Any,
    check: Check,
) -> None:
    model = _first_model(sources, gateway_authed, check)
    body = chat_body(model.name, f"gateproof cache check {nonce()}: reply ok")
    first = check.see(gateway_authed.chat_exact(body))
    second = check.see(gateway_authed.chat_exact(body))
    target = f"{gateway_authed.url}/v1/chat/completions (from gateway.url), model '{model.name}'"
    key = second.header("x-litellm-cache-key")
    if first.status != 200 or second.status != 200 or not key:
        check.fail(
            "the second identical request was not a cache hit",
            target=target,
            expected="both 200; the second with an x-litellm-cache-key header",
            actual=f"statuses {first.status}, {second.status}; x-litellm-cache-key "
            f"{key or 'missing'}",
            details=[("config", f"litellm_settings.cache: {generated.litellm_settings.cache}")],
            exchange=second,
        )
    cache = generated.litellm_settings.cache_params
    namespace = cache.namespace if cache is not None else None
    keys = [key] + ([f"{namespace}:{key}"] if namespace and ":" not in key else [])
    found = redis_probe.lookup(redis_client, gateproof_settings, keys)
    check.evidence.add("redis", f"EXISTS {found.key} -> {found.exists} (ttl {found.ttl_s})")
    if not found.exists:
        redis = gateproof_settings.redis
        check.fail(
            "the cache hit came from LiteLLM's in-memory cache: the key is not in Redis",
            target=f"redis://{redis.host}:{redis.port} (from redis.host / redis.port)",
            expected=f"key {key} in Redis",
            actual="EXISTS -> 0",
            details=[("gateway", f"x-litellm-cache-key: {key}")],
            reproduce=f"redis-cli -h {redis.host} -p {redis.port} --askpass EXISTS {keys[-1]}",
        )


@pytest.mark.smoke
@pytest.mark.checklist("SMK-05")
def test_cache_shared_by_replicas(
    other_replica: Any,
    replica_gateway: GatewayProbe,
    replica_gateways: list[GatewayProbe],
    sources: Any,
    check: Check,
) -> None:
    """Replicated gateways: an answer cached through the first replica is a hit through
    every other one. Each process has its own in-memory cache, so only a shared Redis can
    give that hit: a replica on another Redis (or none) is named here."""
    first = replica_gateways[0]
    first.reach()  # a dead reference replica is an error naming it, not a miss of this one
    model = _first_model(sources, replica_gateway, check)
    body = chat_body(model.name, f"gateproof replica cache check {nonce()}: reply ok")
    written = check.see(first.chat_exact(body))
    read = check.see(replica_gateway.chat_exact(body))
    key = read.header("x-litellm-cache-key")
    if written.status != 200 or read.status != 200 or not key:
        check.fail(
            f"an answer cached through replica 1 was not a cache hit through "
            f"{other_replica.label}",
            target=f"{read.url} ({other_replica.label}, from {other_replica.source}), model "
            f"'{model.name}'",
            expected=f"both 200; the second (through {other_replica.url}) with an "
            "x-litellm-cache-key header: every replica on the same Redis cache",
            actual=f"statuses {written.status} (through {first.url}), {read.status} (through "
            f"{other_replica.url}); x-litellm-cache-key {key or 'missing'}",
            details=[("hint", "a replica started with another cache_params (host, port, "
                      "password) or without litellm_settings.cache keeps its own cache")],
            exchange=read,
        )  # fmt: skip


@pytest.mark.smoke
@pytest.mark.checklist("SMK-06")
def test_fallback_forced_by_mock(
    fallback_chain: Any, generated: Any, request: pytest.FixtureRequest, check: Check
) -> None:
    if not generated.general_settings.dangerously_allow_mock_testing_request_params:
        pytest.skip(
            "N/A: mock fallbacks are off in this deployment (general_settings."
            "dangerously_allow_mock_testing_request_params); SMK-06 is checked by the "
            "destructive variant (--gateproof-allow-destructive)"
        )
    gateway: GatewayProbe = request.getfixturevalue("gateway_authed")  # only when it applies
    chain = fallback_chain
    exchange = gateway.chat(chain.primary, mock_testing_fallbacks=True)
    check.answered_by_fallback(
        exchange,
        chain,
        chain.targets[0],
        f"fallback from '{chain.primary}' did not answer as configured (mock_testing_fallbacks)",
    )


@pytest.mark.smoke
@pytest.mark.destructive
@pytest.mark.checklist("SMK-06")
def test_fallback_when_primary_stopped(
    stoppable_chain: Any,
    gateway_authed: GatewayProbe,
    sources: Any,
    gateproof_settings: Any,
    check: Check,
) -> None:
    chain = stoppable_chain
    owner = sources.routable_models()[chain.primary].provider
    exchange = while_stopped(
        gateproof_settings.provider_controls,
        owner,
        f"primary of '{chain.primary}'",
        check.evidence,
        lambda: gateway_authed.chat(chain.primary),
    )
    check.answered_by_fallback(
        exchange,
        chain,
        chain.targets[0],
        f"fallback from '{chain.primary}' did not answer as configured "
        f"(provider '{owner}' stopped)",
    )
