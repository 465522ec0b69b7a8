"""Live selftests: the acceptance suite against the running reference stack, healthy and
with one fault at a time.

Fixtures:
    reference_stack  session, ReferenceStack: the shared stack (``gateproof.stack.testing``);
                     set ``GATEPROOF_SELFTEST_BASE_PORT`` to keep clear of other stacks.
                     ``stack up`` already took the pre-deployment backup DEP-01 looks for.
    run              per test, ``(*args, marker=, env=) -> SuiteRun``: one child run of the suite
    standin          per test, ``(provider, model, **faults) -> None``: switch a stand-in's
                     faults; cleared afterwards, then LiteLLM's cooldown of ``model`` waited out
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_suite import run_suite

from gateproof.stack.suite_run import SuiteRun
from gateproof.stack.testing import ReferenceStack, gateway_clean_per_module, reference_stack

__all__ = ["gateway_clean_per_module", "reference_stack"]

COOLDOWN_WAIT_S = 45.0
_runs = itertools.count()


@pytest.fixture
def run(reference_stack: ReferenceStack, tmp_path_factory: pytest.TempPathFactory) -> Any:
    def go(*args: str, **kwargs: Any) -> SuiteRun:
        out = tmp_path_factory.mktemp(f"record{next(_runs)}")
        return run_suite(reference_stack.settings_path, out, *args, **kwargs)

    return go


@pytest.fixture
def standin(reference_stack: ReferenceStack) -> Iterator[Any]:
    """Switch one stand-in's faults; clear them and wait out LiteLLM's cooldown afterwards."""
    touched: list[tuple[str, str]] = []

    def fault(provider: str, model: str, **faults: Any) -> None:
        touched.append((provider, model))
        reference_stack.control(provider).set_faults(**faults)

    yield fault
    for provider, _ in touched:
        reference_stack.control(provider).clear()
    for provider, model in touched:
        _wait_routed(reference_stack, model, reference_stack.providers[provider].port)


def _wait_routed(stack: ReferenceStack, model: str, port: int) -> None:
    """Until the gateway answers ``model`` from its own provider again (cooldown over)."""
    deadline = time.monotonic() + COOLDOWN_WAIT_S
    headers = {"Authorization": f"Bearer {stack.master_key}"}
    while time.monotonic() < deadline:
        body = {"model": model, "messages": [{"role": "user", "content": f"w{time.time()}"}],
                "max_tokens": 4, "cache": {"no-cache": True}}  # fmt: skip
        try:
            answer = httpx.post(f"{stack.gateway_url}/v1/chat/completions", json=body,
                                headers=headers, timeout=10)  # fmt: skip
            if f":{port}" in answer.headers.get("x-litellm-model-api-base", ""):
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)
    raise AssertionError(f"{model} still not routed to port {port} after {COOLDOWN_WAIT_S} s")
