"""Each stand-in fault switch is observable through the real gateway.

Each fault goes to its own deployment where it can: LiteLLM puts a failing deployment in
cooldown (``cooldown_time`` of the generated config, 30 s), and a deployment in cooldown is
skipped, so a later test on it would never reach its stand-in. At the end of the module the
stack is left routing normally again (waits out any cooldown), for the tests that follow.
The last test breaks a whole fallback chain, so it stays last.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import openai
import pytest
import yaml

from gateproof.stack import launcher
from gateproof.stack.testing import (
    ReferenceStack,
    base_port_for_worker,
    free_base,
    selftest_config_dir,
    start,
)

COOLDOWN_WAIT_S = 45.0


@dataclass
class Outcome:
    status: int | str  # HTTP status, or "timeout"
    api_base: str = ""
    fallbacks: int = 0
    retries: int = 0
    error: str = ""


def ask(
    stack: ReferenceStack, model: str, timeout: float = 15.0, retries: int | None = None
) -> Outcome:
    """One uncached completion through the gateway with the official client; ``retries``
    overrides the gateway's num_retries for this request."""
    extra: dict[str, object] = {"cache": {"no-cache": True}}
    if retries is not None:
        extra["num_retries"] = retries
    try:
        with stack.openai_client(timeout=timeout) as client:
            raw = client.chat.completions.with_raw_response.create(
                model=model,
                messages=[{"role": "user", "content": f"fault check {uuid.uuid4().hex}"}],
                max_tokens=8,
                extra_body=extra,
            )
    except openai.APITimeoutError:
        return Outcome("timeout")
    except openai.APIStatusError as exc:
        return Outcome(exc.status_code, error=str(exc)[:300])
    headers = raw.headers
    return Outcome(
        raw.http_response.status_code,
        headers.get("x-litellm-model-api-base", ""),
        int(headers.get("x-litellm-attempted-fallbacks") or 0),
        int(headers.get("x-litellm-attempted-retries") or 0),
    )


def model_of(stack: ReferenceStack, provider: str) -> str:
    from gateproof.schema import load_sources

    routes = load_sources(stack.run.config).routable_models()
    return next(name for name, route in routes.items() if route.provider == provider)


def provider_with_type(stack: ReferenceStack, *types: str) -> str:
    return next(name for name, plan in stack.providers.items() if plan.type in types)


def assert_error_or_fallback(stack: ReferenceStack, provider: str, outcome: Outcome) -> None:
    """The gateway either failed the request or had another provider answer it."""
    own_port = f":{stack.providers[provider].port}"
    if outcome.status == 200:
        assert outcome.fallbacks >= 1, f"answered without fallback despite the fault: {outcome}"
        assert own_port not in outcome.api_base, f"answered by the faulty provider: {outcome}"
    else:
        assert isinstance(outcome.status, int) and outcome.status >= 400, outcome


@pytest.fixture(scope="module", autouse=True)
def _leave_routing_normal(reference_stack: ReferenceStack) -> Iterator[None]:
    yield
    reference_stack.clear_faults()
    deadline = time.monotonic() + COOLDOWN_WAIT_S
    pending = dict.fromkeys(reference_stack.providers)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            port = f":{reference_stack.providers[name].port}"
            if port in ask(reference_stack, model_of(reference_stack, name)).api_base:
                del pending[name]
        if pending:
            time.sleep(1.0)
    assert not pending, f"still not routed to their own stand-in: {sorted(pending)}"


def test_refused_connections_mean_error_or_fallback(clean_standins: ReferenceStack) -> None:
    provider = provider_with_type(clean_standins, "vllm")
    clean_standins.control(provider).set_faults(refuse=True)
    outcome = ask(clean_standins, model_of(clean_standins, provider))
    assert_error_or_fallback(clean_standins, provider, outcome)
    assert clean_standins.control(provider).counters()["total"] == 0  # never reached


def test_hang_times_out_a_short_client(clean_standins: ReferenceStack) -> None:
    provider = provider_with_type(clean_standins, "vllm")
    control = clean_standins.control(provider)
    control.set_faults(hang=True)
    started = time.monotonic()
    outcome = ask(clean_standins, model_of(clean_standins, provider), timeout=2.0)
    assert outcome.status == "timeout", outcome
    assert time.monotonic() - started >= 1.9  # the client gave up after its own 2 s timeout
    assert control.counters()["total"] >= 1  # the request did reach the hung stand-in


def test_status_429_is_seen_by_the_gateway(clean_standins: ReferenceStack) -> None:
    provider = provider_with_type(clean_standins, "llama_cpp")
    control = clean_standins.control(provider)
    control.set_faults(status_429=True)
    outcome = ask(clean_standins, model_of(clean_standins, provider))
    if outcome.status != 429:
        assert_error_or_fallback(clean_standins, provider, outcome)
    assert control.counters()["statuses"].get("429", 0) >= 1


def test_malformed_json_means_error_or_fallback(clean_standins: ReferenceStack) -> None:
    provider = provider_with_type(clean_standins, "openai_compatible")
    control = clean_standins.control(provider)
    control.set_faults(malformed=True)
    outcome = ask(clean_standins, model_of(clean_standins, provider))
    assert_error_or_fallback(clean_standins, provider, outcome)
    assert control.counters()["faults"].get("malformed", 0) >= 1


def test_error_rate_is_retried_or_surfaces(clean_standins: ReferenceStack) -> None:
    provider = provider_with_type(clean_standins, "ollama")
    control = clean_standins.control(provider)
    control.set_faults(error_rate=0.5)  # every second request gets a 500
    outcomes = [ask(clean_standins, model_of(clean_standins, provider)) for _ in range(2)]
    statuses = control.counters()["statuses"]
    assert statuses.get("500", 0) >= 1 and statuses.get("200", 0) >= 1, statuses
    recovered = [o for o in outcomes if o.status == 200 and (o.retries or o.fallbacks)]
    failed = [o for o in outcomes if o.status != 200]
    assert recovered or failed, f"a 500 left no trace at the client: {outcomes}"


def fallback_chain(stack: ReferenceStack, model: str) -> list[str]:
    """``model`` and every model its fallbacks (nested) lead to, from the deployed config."""
    config = yaml.safe_load(stack.run.deployed_config.read_text(encoding="utf-8"))
    edges: dict[str, list[str]] = {}
    for entry in config.get("router_settings", {}).get("fallbacks", []):
        edges.update(entry)
    chain = [model]
    for hop in chain:
        chain += [m for m in edges.get(hop, []) if m not in chain]
    return chain


@pytest.fixture
def fresh_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReferenceStack]:
    """A stack of this test's own: on the shared one an earlier test's failures may keep the
    alert active (its window is 5 minutes), and Alertmanager does not deliver it twice."""
    base = free_base(base_port_for_worker(os.environ.get("PYTEST_XDIST_WORKER")) + 1600)
    run_dir = tmp_path_factory.mktemp("alert-stack")
    stack = start(run_dir, selftest_config_dir(request.config.rootpath), base)
    try:
        yield stack
    finally:
        launcher.down(run_dir, say=lambda _: None)


def test_exhausted_fallback_chain_fires_its_alert_end_to_end(
    fresh_stack: ReferenceStack,
) -> None:
    """Stand-ins refuse -> gateway 5xx -> LiteLLM metrics -> Prometheus rule (1 s evaluation)
    -> Alertmanager -> webhook -> RUN/alerts.jsonl. FallbackChainExhausted has no ``for:``;
    it needs its counters to rise between two scrapes, hence a request per second."""
    stack = fresh_stack
    model = model_of(stack, provider_with_type(stack, "llama_cpp"))
    chain = fallback_chain(stack, model)
    from gateproof.schema import load_sources

    routes = load_sources(stack.run.config).routable_models()
    providers = {routes[hop].provider for hop in chain}
    assert len(chain) >= 2, f"{model} has no fallback in the reference config: {chain}"
    for name in providers:
        stack.control(name).set_faults(refuse=True)
    before = len(stack.run.alerts.read_text(encoding="utf-8").splitlines())
    deadline = time.monotonic() + 25.0
    fired: list[dict[str, object]] = []
    outcomes: list[Outcome] = []
    while not fired and time.monotonic() < deadline:
        outcomes.append(ask(stack, model, retries=0))  # no retry back-off: a failure in ms
        lines = stack.run.alerts.read_text(encoding="utf-8").splitlines()[before:]
        alerts = [json.loads(line) for line in lines]
        fired = [a for a in alerts if a["labels"].get("alertname") == "FallbackChainExhausted"]
        time.sleep(1.0)
    assert all(o.status != 200 for o in outcomes), f"answered despite {providers}: {outcomes}"
    assert fired, (
        f"FallbackChainExhausted not delivered to {stack.run.alerts} within 25 s "
        f"({len(outcomes)} failed requests for {model}, chain {chain})"
    )
    assert fired[0]["status"] == "firing"
    assert fired[0]["labels"] == {
        "alertname": "FallbackChainExhausted",
        "requested_model": model,
        "severity": "critical",
    }
