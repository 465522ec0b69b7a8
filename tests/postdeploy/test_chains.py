"""PST-03: every configured fallback chain executes: with its primary failing, the request
is answered by the chain's first healthy fallback.

The primary is made to fail as SMK-06 does it: ``mock_testing_fallbacks`` where the deployment
allows it (staging), else the ``destructive`` variant stops the primary's provider through
``provider_controls`` and starts it again. "First healthy" is the first target not served by
the stopped provider: stopping a provider also stops its other models.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.probes.controls import while_stopped
from gateproof.probes.gateway import GatewayProbe
from gateproof.settings import Settings


def first_healthy(
    primary: str, targets: list[str], chains: dict[str, list[str]], routed: Any, down: str
) -> str | None:
    """The model LiteLLM should answer with when provider ``down`` is stopped: the chain's
    targets in order, and a target that is down itself hands over to its own chain."""
    seen = {primary}
    pending = list(targets)
    while pending:
        model = pending.pop(0)
        if model in seen or model not in routed:
            continue
        seen.add(model)
        if routed[model].provider != down:
            return model
        pending[:0] = chains.get(model, [])
    return None


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-03")
def test_chain_executes_mocked(
    fallback_chain: Any, generated: Any, request: pytest.FixtureRequest, check: Check
) -> None:
    if not generated.general_settings.dangerously_allow_mock_testing_request_params:
        pytest.skip(
            "N/A: mock fallbacks are off in this deployment; PST-03 is checked by the "
            "destructive variant (--gateproof-allow-destructive)"
        )
    request.getfixturevalue("warmup")
    gateway: GatewayProbe = request.getfixturevalue("gateway_authed")
    exchange = gateway.chat(fallback_chain.primary, mock_testing_fallbacks=True)
    check.answered_by_fallback(
        exchange,
        fallback_chain,
        fallback_chain.targets[0],
        f"chain '{fallback_chain.name}' did not execute (mock_testing_fallbacks)",
    )


@pytest.mark.postdeploy
@pytest.mark.destructive
@pytest.mark.checklist("PST-03")
def test_chain_executes_with_primary_stopped(
    fallback_chain: Any,
    gateway_authed: GatewayProbe,
    warmup: object,
    generated: Any,
    sources: Any,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    chain = fallback_chain
    routed = sources.routable_models()
    owner = routed[chain.primary].provider
    chains = {p: list(t) for e in generated.router_settings.fallbacks for p, t in e.items()}
    expected = first_healthy(chain.primary, list(chain.targets), chains, routed, owner)
    if expected is None:
        check.fail(
            f"chain '{chain.name}' has no fallback outside provider '{owner}'",
            target=f"{sources.config_dir}/model-mappings.yaml",
            expected="a fallback that survives the primary's provider going down",
            actual=f"{chain.primary} -> {' -> '.join(chain.targets)}, all on '{owner}'",
        )
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
        expected,
        f"chain '{chain.name}' did not execute (provider '{owner}' stopped)",
    )
