"""PRE-TST-03: every mapped model, sent through the gateway, reaches the provider its mapping
names. LiteLLM says where it sent a request in ``x-litellm-model-api-base``; the cache is
bypassed so the answer really comes from a provider."""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.probes.gateway import GatewayProbe


def _base(url: str | None) -> str:
    return (url or "").rstrip("/")


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-03")
def test_model_routed_to_its_provider(
    routed_model: Any, gateway_authed: GatewayProbe, check: Any
) -> None:
    model = routed_model
    exchange = check.see(gateway_authed.chat(model.name))
    target = f"{gateway_authed.url}/v1/chat/completions (from gateway.url), model '{model.name}'"
    expected_route = f"provider '{model.provider}' at {model.api_base}"
    if exchange.status != 200:
        check.fail(
            f"model '{model.name}' through the gateway answered {exchange.status}",
            target=target,
            expected=f"200 from {expected_route}",
            actual=f"status {exchange.status}",
            exchange=exchange,
        )
    api_base = exchange.header("x-litellm-model-api-base")
    fallbacks = exchange.header("x-litellm-attempted-fallbacks") or "0"
    group = exchange.header("x-litellm-model-group")
    wrong = []
    if _base(api_base) != _base(model.api_base):
        wrong.append(f"x-litellm-model-api-base: {api_base}")
    if fallbacks not in ("0", ""):
        wrong.append(f"x-litellm-attempted-fallbacks: {fallbacks} (answered by a fallback)")
    if group != model.name:
        wrong.append(f"x-litellm-model-group: {group}")
    if wrong:
        check.fail(
            f"model '{model.name}' was not answered by {expected_route}",
            target=target,
            expected=f"x-litellm-model-api-base: {model.api_base}, no fallback, "
            f"model group '{model.name}'",
            actual="; ".join(wrong),
            exchange=exchange,
        )
