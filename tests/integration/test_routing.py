"""PRE-TST-03: every mapped model, sent through the gateway, reaches the provider its mapping
names. LiteLLM says where it sent a request in ``x-litellm-model-api-base``, which deployment
answered (``x-litellm-model-name``) and whether the provider needed retries or a fallback; the
cache is bypassed so the answer really comes from a provider. Retries the gateway absorbed
and answers far slower than ``thresholds.slow_answer_s`` are provider trouble, reported.
A model with an rpm that another run used up this minute (PST-04's burst) would be answered by
a fallback: ``chat_routed`` tells that from a misroute and asks again the next minute."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateproof.errors import ProbeError
from gateproof.failure import Check
from gateproof.probes.gateway import GatewayProbe
from gateproof.probes.rate_window import chat_routed
from gateproof.settings import Settings


def _answers_directly(model: Any, sources: Any, settings: Settings) -> Callable[[], bool]:
    """Does the model's provider answer it, asked directly (not through the gateway)?"""

    def ask() -> bool:
        from gateproof.probes.providers import ProviderProbe

        try:
            probe = ProviderProbe(model.provider, sources.providers[model.provider], settings)
        except ProbeError:
            return False
        return probe.answers(model.backend_model)

    return ask


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-03")
def test_model_routed_to_its_provider(
    routed_model: Any,
    gateway_authed: GatewayProbe,
    sources: Any,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    model = routed_model
    direct = _answers_directly(model, sources, gateproof_settings)
    exchange = chat_routed(gateway_authed, model, check.evidence, direct)
    target = f"{exchange.url} (from gateway.url), model '{model.name}'"
    check.status(
        exchange, f"model '{model.name}' through the gateway answered {exchange.status}",
        target=target,
    )  # fmt: skip
    assert gateproof_settings.gateway is not None
    check.answered_as_routed(
        exchange,
        model,
        headline=f"model '{model.name}' was not answered as routed by provider "
        f"'{model.provider}' at {model.api_base}",
        target=target,
        allow_retries=gateproof_settings.gateway.allow_retries,
        slow_s=gateproof_settings.thresholds.slow_answer_s,
    )


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-03")
def test_model_routed_alike_on_every_replica(
    routed_model: Any,
    replica: Any,
    replica_gateway: GatewayProbe,
    sources: Any,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    """Replicated gateways: each replica (``gateway.replicas``) sends the model where the
    mapping says; a replica started on another config shows here, named by its URL."""
    model = routed_model
    direct = _answers_directly(model, sources, gateproof_settings)
    exchange = chat_routed(replica_gateway, model, check.evidence, direct)
    target = f"{exchange.url} ({replica.label}, from {replica.source}), model '{model.name}'"
    check.status(
        exchange,
        f"model '{model.name}' through {replica.label} answered {exchange.status}",
        target=target,
    )
    assert gateproof_settings.gateway is not None
    check.answered_as_routed(
        exchange,
        model,
        headline=f"{replica.label} did not route model '{model.name}' to provider "
        f"'{model.provider}' at {model.api_base} (as the config says)",
        target=target,
        allow_retries=gateproof_settings.gateway.allow_retries,
        slow_s=gateproof_settings.thresholds.slow_answer_s,
    )
