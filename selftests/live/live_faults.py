"""Client mistakes sent to the gateway, for the live selftests (the other faults come from
the fault matrix's injections, ``gateproof.stack.faults.inject``)."""

from __future__ import annotations

import httpx

from gateproof.stack.testing import ReferenceStack


def send_client_errors(stack: ReferenceStack) -> list[int]:
    """What clients get wrong: an unknown model, a request without messages, a missing and a
    wrong key. Statuses as the gateway answered (each a 4xx, each logged at ERROR)."""
    url = f"{stack.gateway_url}/v1/chat/completions"
    auth = {"Authorization": f"Bearer {stack.master_key}"}
    asks = [
        (auth, {"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}),
        (auth, {"model": "qwen-coder-vllm"}),
        ({}, {"model": "qwen-coder-vllm", "messages": [{"role": "user", "content": "x"}]}),
        ({"Authorization": "Bearer sk-client-wrong-key-1234"}, {"model": "qwen-coder-vllm"}),
    ]
    return [httpx.post(url, json=body, headers=h, timeout=10).status_code for h, body in asks]
