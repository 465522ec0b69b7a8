"""What the monitoring checks share: bounded traffic that makes LiteLLM create its series.

Fixtures (scope, type):
    monitoring_traffic  session, Traffic: one completion sent twice (the second a cache hit),
                        one streamed (LiteLLM's only path that counts a cache miss) and one
                        for a model that does not exist (a counted failure), so the request,
                        error, latency, deployment-state and cache series exist; four
                        requests in all, once per run
"""

from __future__ import annotations

from typing import Any

import pytest
from monitoring_support import Traffic

from gateproof.probes.gateway import GatewayProbe, chat_body, nonce

UNKNOWN_MODEL = "gateproof-no-such-model"


@pytest.fixture(scope="session")
def monitoring_traffic(gateway_authed: GatewayProbe, sources: Any) -> Traffic:
    """Session, :class:`Traffic` (see the module docstring)."""
    models = list(sources.routable_models())
    if not models:
        pytest.fail("the sources route no model: no traffic to observe", pytrace=False)
    model = models[0]
    body = chat_body(model, f"gateproof monitoring traffic {nonce()}: reply ok")
    sent = [gateway_authed.chat_exact(body), gateway_authed.chat_exact(body)]
    # LiteLLM 1.108.7 counts a cache miss only for streamed calls (a plain miss reports
    # cache_hit None, which its Prometheus logger skips).
    sent.append(gateway_authed.stream(model))
    sent.append(gateway_authed.chat_exact(chat_body(UNKNOWN_MODEL, "gateproof: expect 400")))
    return Traffic(model, tuple(sent))
