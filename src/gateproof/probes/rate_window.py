"""LiteLLM counts a deployment's rpm per calendar minute (key ``...:rpm:HH-MM``). A probe that
must not meet somebody else's use of a limited model (PST-04's burst in the run before)
waits for the next minute, once, and only when the gateway's own limit answered: a 429 that
says "Model rate limit exceeded. RPM limit=N" for the model's rpm. A provider's own 429, or
"no deployments available" while a failed deployment cools down, is not a used-up minute."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gateproof.evidence import Evidence
from gateproof.probes.gateway import GatewayProbe, Route
from gateproof.probes.http import Exchange

MARGIN_S = 0.3  # past the boundary, so the gateway's clock is surely in the new minute


def seconds_left_in_minute() -> float:
    return 60 - time.time() % 60


def wait_next_minute() -> None:
    time.sleep(seconds_left_in_minute() + MARGIN_S)


def chat_routed(
    gateway: GatewayProbe, model: Any, evidence: Evidence, provider_answers: Callable[[], bool]
) -> Exchange:
    """One request for ``model`` (a ``RoutedModel``). When it was not answered by the model's
    own group and the model has an rpm, a used-up minute is told from a fault: the answer is
    the gateway's own 429 at that rpm (the model has no fallback), or a fallback answered,
    the provider answers the model directly (``provider_answers``; a provider that fails is
    the fault, reported at once) and one request with fallbacks disabled is refused by the
    gateway at the model's rpm. Only then is the request asked again at the start of the
    next minute, with a warning in the record. The direct ask comes first so that the
    probe through the gateway never meets a failing provider: that would be one more error
    in the gateway's log, and DEP-03 red beside the fault."""
    exchange = gateway.chat(model.name)
    route = Route.of(exchange)
    if not model.rpm or (exchange.status == 200 and route.group == model.name
                         and route.fallbacks == 0):  # fmt: skip
        return exchange
    if not _minute_used_up(gateway, model, exchange, route, provider_answers):
        return exchange
    evidence.add(
        "warning",
        f"'{model.name}' was at its rpm ({model.rpm}) when the check began (the gateway's "
        f"429 'RPM limit={model.rpm}': another client used this minute): asked again at the "
        "start of the next minute",
    )
    wait_next_minute()
    return gateway.chat(model.name)


def _minute_used_up(
    gateway: GatewayProbe,
    model: Any,
    exchange: Exchange,
    route: Route,
    provider_answers: Callable[[], bool],
) -> bool:
    if at_its_rpm(exchange, model.rpm):  # no fallback configured: the limit answered itself
        return True
    if exchange.status != 200 or not route.fallbacks:  # an error, not a fallback's answer
        return False
    if not provider_answers():
        return False
    return at_its_rpm(gateway.chat(model.name, disable_fallbacks=True), model.rpm)


def at_its_rpm(exchange: Exchange, rpm: int) -> bool:
    """The gateway's own rate limit refused the request (LiteLLM's pre-call check), not the
    provider and not a cooldown."""
    return exchange.status == 429 and f"rpm limit={rpm}" in exchange.text.lower()
