"""PST-04: the router enforces a model's rpm: a burst just above it on the dedicated probe
model (``postdeploy.rate_limit_model``) gets 429 at the limit, not before, not never.

LiteLLM counts requests per deployment per calendar minute (key ``...:rpm:HH-MM``), per
proxy process unless the router has a Redis (``router_settings.redis_*``, or in 1.108.7 the
proxy's cache Redis or ``REDIS_*`` environment, lent to it): with N processes and no Redis,
the limit is N times the configured rpm. Replicas (``gateway.replicas``) are checked to share
one limit by ``test_rate_limit_shared_by_replicas``. The burst is sequential (its count is
exact) and must fit in one minute; a burst that straddled a minute boundary, or met an early
429 (someone used the probe model this minute), is repeated once at the start of the next
minute. ``disable_fallbacks`` keeps a fallback from answering for the limited model.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gateproof.errors import ProbeError
from gateproof.failure import Check
from gateproof.gates.judge import not_run
from gateproof.probes.gateway import GatewayProbe
from gateproof.probes.http import Exchange
from gateproof.probes.rate_window import seconds_left_in_minute, wait_next_minute
from gateproof.settings import Settings

EXTRA = 2  # requests sent past the limit before "never" is concluded


def _minute() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%H:%M")


def _burst(gateway: GatewayProbe, model: str, rpm: int) -> tuple[list[Exchange], bool]:
    """Up to rpm + EXTRA requests, stopping at the first 429; True if all in one minute."""
    began = _minute()
    sent: list[Exchange] = []
    for _ in range(rpm + EXTRA):
        exchange = gateway.chat(model, disable_fallbacks=True)
        sent.append(exchange)
        if exchange.status == 429:
            break
    return sent, _minute() == began


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-04")
def test_rate_limit_enforced_at_rpm(
    gateway_authed: GatewayProbe,
    generated: Any,
    gateproof_settings: Settings,
    warmup: object,
    check: Check,
) -> None:
    model = gateproof_settings.postdeploy.rate_limit_model
    if not model:
        not_run("no dedicated rate-limit probe model (postdeploy.rate_limit_model)")
    entries = [e for e in generated.model_list if e.model_name == model]
    rpm = entries[0].litellm_params.rpm if entries else None
    if not entries or not rpm:
        check.fail(
            f"the rate-limit probe model '{model}' has no rpm in the generated config",
            target=f"{generated_path(gateproof_settings)} (postdeploy.rate_limit_model)",
            expected=f"a model_list entry '{model}' with litellm_params.rpm",
            actual="missing" if not entries else "no rpm",
        )
    if rpm > 50:
        raise ProbeError(
            f"the probe model's rpm ({rpm}) is too high for a burst probe",
            setting="postdeploy.rate_limit_model",
            hint="give the dedicated probe model a small rpm (e.g. 5)",
        )
    budget = seconds_left_in_minute()
    if budget < 0.5 * (rpm + EXTRA) + 2:  # too close to a minute boundary to fit
        wait_next_minute()
    sent, one_minute = _burst(gateway_authed, model, rpm)
    first_429 = next((i for i, e in enumerate(sent) if e.status == 429), None)
    if not one_minute or (first_429 is not None and first_429 < rpm):
        check.evidence.add("retry", f"first burst: {[e.status for e in sent]}, repeated at "
                                    "the start of the next minute")  # fmt: skip
        wait_next_minute()
        sent, one_minute = _burst(gateway_authed, model, rpm)
        first_429 = next((i for i, e in enumerate(sent) if e.status == 429), None)
        if not one_minute:
            raise ProbeError("the rate-limit burst did not fit in one minute twice",
                             setting="postdeploy.rate_limit_model")  # fmt: skip
    statuses = [e.status for e in sent]
    check.evidence.add("burst", f"{model}, rpm {rpm}: statuses {statuses}")
    target = f"{gateway_authed.url}/v1/chat/completions (from gateway.url), model '{model}'"
    others = [i for i, s in enumerate(statuses) if s not in (200, 429)]
    if others:
        check.fail(
            f"the probe model '{model}' did not answer the burst",
            target=target,
            expected="200 until the limit",
            actual=f"statuses {statuses}",
            exchange=sent[others[0]],
        )
    if first_429 is None:
        check.fail(
            f"rate limit not enforced: {len(sent)} requests to '{model}' in one minute, none "
            "refused",
            target=target,
            expected=f"429 on request {rpm + 1} (rpm {rpm}); router_settings."
            "optional_pre_call_checks must hold enforce_model_rate_limits",
            actual=f"statuses {statuses}",
            exchange=sent[-1],
        )
    if first_429 != rpm:
        check.fail(
            f"429 came before the limit: request {first_429 + 1} of '{model}' refused",
            target=target,
            expected=f"429 on request {rpm + 1} (rpm {rpm})",
            actual=f"statuses {statuses}",
            exchange=sent[first_429],
        )


def generated_path(settings: Settings) -> str:
    return str(settings.config_dir / "litellm-unified.yaml")


def _spread_burst(
    gateways: list[GatewayProbe], model: str, rpm: int
) -> tuple[list[tuple[int, Exchange]], bool]:
    """rpm requests round-robin over the replicas (stopping at an early 429), then one more
    through each replica; (replica index, exchange) each; True if all in one minute."""
    began = _minute()
    sent: list[tuple[int, Exchange]] = []
    for i in range(rpm):
        exchange = gateways[i % len(gateways)].chat(model, disable_fallbacks=True)
        sent.append((i % len(gateways), exchange))
        if exchange.status == 429:
            return sent, _minute() == began
    for j, gateway in enumerate(gateways):  # the limit is used up: every replica must refuse
        sent.append((j, gateway.chat(model, disable_fallbacks=True)))
    return sent, _minute() == began


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-04")
def test_rate_limit_shared_by_replicas(
    replica_gateways: list[GatewayProbe],
    generated: Any,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    """Replicated gateways: requests spread over every replica (``gateway.replicas``) meet
    one limit: all pass up to the rpm, then each replica refuses. A replica that keeps its
    own counter (no ``router_settings.redis_*``, or another Redis) answers past the limit
    and is named."""
    model = gateproof_settings.postdeploy.rate_limit_model
    if len(replica_gateways) < 2:
        pytest.skip("N/A: fewer than two gateway replicas (gateway.replicas): no shared limit")
    if not model:
        not_run("no dedicated rate-limit probe model (postdeploy.rate_limit_model)")
    entries = [e for e in generated.model_list if e.model_name == model]
    rpm = entries[0].litellm_params.rpm if entries else None
    if not rpm or rpm > 50:
        raise ProbeError(f"the probe model '{model}' needs a small rpm (has {rpm})",
                         setting="postdeploy.rate_limit_model")  # fmt: skip
    for gateway in replica_gateways:
        gateway.reach()  # a dead replica: an error naming its URL and gateway.replicas
    if seconds_left_in_minute() < 0.5 * (rpm + len(replica_gateways)) + 2:
        wait_next_minute()
    sent, one_minute = _spread_burst(replica_gateways, model, rpm)
    if not one_minute or (sent[-1][1].status == 429 and len(sent) <= rpm):
        check.evidence.add("retry", f"first burst: {[e.status for _, e in sent]}, repeated at "
                                    "the start of the next minute")  # fmt: skip
        wait_next_minute()
        sent, one_minute = _spread_burst(replica_gateways, model, rpm)
        if not one_minute:
            raise ProbeError("the rate-limit burst did not fit in one minute twice",
                             setting="postdeploy.rate_limit_model")  # fmt: skip
    urls = [g.url for g in replica_gateways]
    shown = ", ".join(f"{urls[i].rsplit(':', 1)[-1]}:{e.status}" for i, e in sent)
    check.evidence.add("burst", f"{model}, rpm {rpm}, port:status in order: {shown}")
    target = f"{model} through gateway.replicas {', '.join(urls)}"
    for i, exchange in sent:
        if exchange.status not in (200, 429):
            check.fail(
                f"replica {i + 1} ({urls[i]}) did not answer the probe model '{model}'",
                target=target,
                expected="200 until the limit, then 429",
                actual=f"status {exchange.status}",
                exchange=exchange,
            )
    early = next((n for n, (_, e) in enumerate(sent[:rpm]) if e.status == 429), None)
    if early is not None:
        i, refused = sent[early]
        check.fail(
            f"429 came before the limit, from replica {i + 1} ({urls[i]})",
            target=target,
            expected=f"{rpm} requests spread over {len(urls)} replicas all answered",
            actual=f"request {early + 1} refused (rpm {rpm})",
            exchange=refused,
        )
    through = [(i, e) for i, e in sent[rpm:] if e.status != 429]
    if through:
        named = ", ".join(f"replica {i + 1} ({urls[i]})" for i, _ in through)
        also = (
            ""
            if all(i != 0 for i, _ in through)
            else ("; replica 1 answered too: its counter missed the other replicas' requests")
        )
        check.fail(
            f"the rate limit is not shared by the replicas: {named} answered past the limit",
            target=target,
            expected=f"429 from every replica once {rpm} requests (rpm {rpm}) were spread "
            "over them: one counter in the Redis every replica's router_settings.redis_host/"
            "port/password names",
            actual=f"200 from {named}{also}",
            exchange=through[0][1],
        )
