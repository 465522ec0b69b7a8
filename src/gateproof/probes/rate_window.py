"""LiteLLM counts a deployment's rpm per calendar minute (key ``...:rpm:HH-MM``). A probe that
must not meet somebody else's use of a limited model (PST-04's burst in the run before)
waits for the next minute, once, and only when a 429 shows the model really is at its limit."""

from __future__ import annotations

import time
from typing import Any

from gateproof.evidence import Evidence
from gateproof.probes.gateway import GatewayProbe, Route
from gateproof.probes.http import Exchange

MARGIN_S = 0.3  # past the boundary, so the gateway's clock is surely in the new minute


def seconds_left_in_minute() -> float:
    return 60 - time.time() % 60


def wait_next_minute() -> None:
    time.sleep(seconds_left_in_minute() + MARGIN_S)


def chat_routed(gateway: GatewayProbe, model: Any, evidence: Evidence) -> Exchange:
    """One request for ``model`` (a ``RoutedModel``). When it was not answered by the model's
    own group and the model has an rpm, one more request with fallbacks disabled tells a
    misroute from a used-up minute: on a 429 the model is at its limit, so the request is
    asked again at the start of the next minute. A provider that is down answers that probe
    with an error, not 429, and costs no wait."""
    exchange = gateway.chat(model.name)
    route = Route.of(exchange)
    if not model.rpm or (exchange.status == 200 and route.group == model.name
                         and route.fallbacks == 0):  # fmt: skip
        return exchange
    limited = gateway.chat(model.name, disable_fallbacks=True)
    if limited.status != 429:
        return exchange
    evidence.add(
        "retry",
        f"'{model.name}' was at its rpm ({model.rpm}) this minute (429 with fallbacks "
        f"disabled; first answer {exchange.status}, {route.describe()}): asked again at the "
        "start of the next minute",
    )
    wait_next_minute()
    return gateway.chat(model.name)
