"""PST-04: the router enforces a model's rpm: a burst just above it on the dedicated probe
model (``postdeploy.rate_limit_model``) gets 429 at the limit, not before, not never.

LiteLLM counts requests per deployment per calendar minute (key ``...:rpm:HH-MM``), per
proxy process unless ``router_settings`` point the router at Redis: with N workers and no
router Redis, the limit is N times the configured rpm. The burst is sequential (its count is
exact) and must fit in one minute; a burst that straddled a minute boundary, or met an early
429 (someone used the probe model this minute), is repeated once at the start of the next
minute. ``disable_fallbacks`` keeps a fallback from answering for the limited model.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from gateproof.errors import ProbeError
from gateproof.failure import Check
from gateproof.gates.judge import not_run
from gateproof.probes.gateway import GatewayProbe
from gateproof.probes.http import Exchange
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


def _wait_next_minute() -> None:
    now = time.time()
    time.sleep(60 - now % 60 + 0.3)


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
    budget = 60 - time.time() % 60
    if budget < 0.5 * (rpm + EXTRA) + 2:  # too close to a minute boundary to fit
        _wait_next_minute()
    sent, one_minute = _burst(gateway_authed, model, rpm)
    first_429 = next((i for i, e in enumerate(sent) if e.status == 429), None)
    if not one_minute or (first_429 is not None and first_429 < rpm):
        check.evidence.add("retry", f"first burst: {[e.status for e in sent]}, repeated at "
                                    "the start of the next minute")  # fmt: skip
        _wait_next_minute()
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
