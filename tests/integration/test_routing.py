"""PRE-TST-03: every mapped model, sent through the gateway, reaches the provider its mapping
names. LiteLLM says where it sent a request in ``x-litellm-model-api-base``; the cache is
bypassed so the answer really comes from a provider."""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.probes.gateway import GatewayProbe, Route


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-03")
def test_model_routed_to_its_provider(
    routed_model: Any, gateway_authed: GatewayProbe, check: Check
) -> None:
    model = routed_model
    exchange = gateway_authed.chat(model.name)
    expected_route = f"provider '{model.provider}' at {model.api_base}"
    check.status(
        exchange,
        f"model '{model.name}' through the gateway answered {exchange.status}",
        target=f"{exchange.url} (from gateway.url), model '{model.name}'",
    )
    route = Route.of(exchange)
    if route != Route((model.api_base or "").rstrip("/"), model.name, 0):
        check.fail(
            f"model '{model.name}' was not answered by {expected_route}"
            + (" but by a fallback" if route.fallbacks else ""),
            target=f"{exchange.url} (from gateway.url), model '{model.name}'",
            expected=f"x-litellm-model-api-base: {model.api_base}, x-litellm-model-group: "
            f"{model.name}, x-litellm-attempted-fallbacks: 0",
            actual=route.describe(),
            exchange=exchange,
        )
