"""PRE-TST-02: every active provider, called directly, speaks its API as the official SDKs
define it (``openai`` types for OpenAI-compatible servers, ``ollama`` types for Ollama).

The SDK clients build responses without validating them, so each body is validated here with
``model_validate``; every rejected field is listed, with the provider that sent it.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.probes.http import Exchange
from gateproof.probes.providers import (
    ProviderProbe,
    advertised_names,
    ndjson_records,
    schema_problems,
    sse_events,
)

pytestmark = [pytest.mark.predeploy, pytest.mark.checklist("PRE-TST-02")]


@pytest.fixture
def probe(request: pytest.FixtureRequest, provider: Any, gateproof_settings: Any) -> ProviderProbe:
    name = str(request.node.callspec.params["provider"])
    return ProviderProbe(name, provider, gateproof_settings)


def _target(probe: ProviderProbe, exchange: Exchange) -> str:
    return f"provider '{probe.name}' ({probe.type}) {exchange.url} (from {probe.setting})"


def _expect_200(check: Check, probe: ProviderProbe, exchange: Exchange) -> None:
    __tracebackhide__ = True
    check.see(exchange)
    if exchange.status != 200:
        check.fail(
            f"provider '{probe.name}' answered {exchange.status} to {exchange.method} "
            f"{exchange.url.split('/', 3)[-1]}",
            target=_target(probe, exchange),
            expected="200",
            actual=str(exchange.status),
            exchange=exchange,
        )


def _json(check: Check, probe: ProviderProbe, exchange: Exchange) -> Any:
    """The body as JSON; HTML or other text from the provider port breaks the contract."""
    __tracebackhide__ = True
    return check.body(
        exchange,
        f"provider '{probe.name}' answered {exchange.method} {exchange.url.split('/', 3)[-1]} "
        "with a body that is not JSON",
        target=_target(probe, exchange),
        expected=f"a JSON body ({probe.type} API)",
    )


def _expect_valid(
    check: Check, probe: ProviderProbe, exchange: Exchange, problems: list[str]
) -> None:
    __tracebackhide__ = True
    if problems:
        check.fail(
            f"provider '{probe.name}' broke its API contract ({len(problems)} problem(s))",
            target=_target(probe, exchange),
            expected="a body the official SDK type accepts, every required field present",
            actual=problems[0],
            details=[("problem", p) for p in problems[1:12]],
            exchange=exchange,
        )


def test_advertised_models_include_configured(probe: ProviderProbe, check: Check) -> None:
    from ollama import ListResponse
    from openai.types import Model

    problems: list[str] = []
    if not probe.openai_like:
        version = probe.version()
        _expect_200(check, probe, version)
        body = _json(check, probe, version)
        if not isinstance(body, dict) or not isinstance(body.get("version"), str):
            problems.append(f"{probe.name} /api/version: required field 'version' is missing")
    listing = probe.model_list()
    _expect_200(check, probe, listing)
    body = _json(check, probe, listing)
    if probe.openai_like:
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            problems.append(f"{probe.name} /v1/models: required field 'data' (a list) is missing")
        for i, item in enumerate(items or []):
            problems += schema_problems(Model, item, f"{probe.name} /v1/models data[{i}]")
    else:
        problems += schema_problems(ListResponse, body, f"{probe.name} /api/tags")
    _expect_valid(check, probe, listing, problems)
    advertised = advertised_names(listing, probe.openai_like)
    missing = [m for m in probe.models if m not in advertised]
    if missing:
        check.fail(
            f"provider '{probe.name}' does not advertise {len(missing)} configured model(s)",
            target=_target(probe, listing),
            expected=f"every configured model listed: {probe.models}",
            actual=f"missing {missing}; advertised {advertised}",
            exchange=listing,
        )


def test_chat_completion_contract(probe: ProviderProbe, check: Check) -> None:
    from ollama import ChatResponse
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion

    exchange = probe.chat(probe.models[0], stream=False)
    _expect_200(check, probe, exchange)
    body = _json(check, probe, exchange)
    what = f"{probe.name} {exchange.url.split('/', 3)[-1]}"
    if probe.openai_like:
        problems = schema_problems(ChatCompletion, body, what)
        usage = body.get("usage") if isinstance(body, dict) else None
        if usage is None:
            problems.append(f"{what}: required field 'usage' is missing")
        else:
            problems += schema_problems(CompletionUsage, usage, f"{what} usage")
    else:
        problems = schema_problems(ChatResponse, body, what)
        if isinstance(body, dict) and body.get("done") is not True:
            problems.append(f"{what}: field 'done' should be true in a non-streamed answer")
    _expect_valid(check, probe, exchange, problems)


def test_streamed_chat_contract(probe: ProviderProbe, check: Check) -> None:
    exchange = probe.chat(probe.models[0], stream=True)
    _expect_200(check, probe, exchange)
    what = f"{probe.name} {exchange.url.split('/', 3)[-1]} (stream)"
    problems = (
        _openai_stream(check, probe, exchange, what)
        if probe.openai_like
        else _ollama_stream(check, probe, exchange, what)
    )
    _expect_valid(check, probe, exchange, problems)


def _openai_stream(check: Check, probe: ProviderProbe, exchange: Exchange, what: str) -> list[str]:
    from openai.types.chat import ChatCompletionChunk

    stream = check.body(
        exchange,
        f"provider '{probe.name}' did not answer a streamed request with server-sent events",
        target=_target(probe, exchange),
        parse=sse_events,
        expected="'data: {json}' lines ending with 'data: [DONE]'",
    )
    problems: list[str] = []
    for i, event in enumerate(stream.events):
        problems += schema_problems(ChatCompletionChunk, event, f"{what} chunk {i}")
    if not stream.done:
        problems.append(f"{what}: the stream did not end with 'data: [DONE]'")
    if stream.after_done:
        problems.append(f"{what}: {len(stream.after_done)} event(s) after 'data: [DONE]'")
    if not any(isinstance(e, dict) and e.get("usage") for e in stream.events):
        problems.append(
            f"{what}: no chunk carries 'usage' although stream_options.include_usage was sent"
        )
    return problems


def _ollama_stream(check: Check, probe: ProviderProbe, exchange: Exchange, what: str) -> list[str]:
    from ollama import ChatResponse

    records = check.body(
        exchange,
        f"provider '{probe.name}' did not answer a streamed request with NDJSON",
        target=_target(probe, exchange),
        parse=ndjson_records,
        expected="one JSON object per line, the last with 'done': true",
    )
    problems: list[str] = []
    for i, record in enumerate(records):
        problems += schema_problems(ChatResponse, record, f"{what} line {i}")
    done = [i for i, r in enumerate(records) if isinstance(r, dict) and r.get("done") is True]
    if not done:
        problems.append(f"{what}: no line with 'done': true ended the stream")
    elif done[0] != len(records) - 1:
        problems.append(f"{what}: {len(records) - 1 - done[0]} line(s) after 'done': true")
    return problems
