"""The OpenAI-compatible stand-in through the official ``openai`` client and raw SSE."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest
from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from gateproof.stack.standin.inprocess import RunningStandin

MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct"
HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello there"}]


def keyed_client(standin: RunningStandin, key: str) -> openai.OpenAI:
    """A client for one test; close it with ``with``."""
    base_url = standin.openai_base_url
    return openai.OpenAI(base_url=base_url, api_key=key, timeout=2.0, max_retries=0)


def sse_events(response: httpx.Response) -> list[str]:
    return [
        line[len("data: ") :] for line in response.text.splitlines() if line.startswith("data: ")
    ]


def test_models_validate_as_openai_models(vllm_client: openai.OpenAI) -> None:
    listed = vllm_client.models.list()
    models = [Model.model_validate(m.model_dump()) for m in listed.data]
    assert [m.id for m in models] == [MODEL]
    assert models[0].owned_by == "vllm"


def test_plain_completion_validates_and_names_provider(vllm_client: openai.OpenAI) -> None:
    raw = vllm_client.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=HELLO,
    )
    assert raw.headers["x-standin-provider"] == "vllm-qwen"
    completion = ChatCompletion.model_validate(json.loads(raw.text))
    choice = completion.choices[0]
    assert choice.message.content == f"[vllm-qwen] {MODEL} answers: hello there"
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 5)
    assert completion.usage.total_tokens == 7


def test_replies_are_deterministic(vllm_client: openai.OpenAI) -> None:
    first = vllm_client.chat.completions.create(model=MODEL, messages=HELLO)
    second = vllm_client.chat.completions.create(model=MODEL, messages=HELLO)
    assert first.choices[0].message.content == second.choices[0].message.content


def test_stream_with_usage_through_client(vllm_client: openai.OpenAI) -> None:
    stream = vllm_client.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == f"[vllm-qwen] {MODEL} answers: hello there"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"


def test_raw_sse_chunks_validate_and_end_with_done(vllm_standin: RunningStandin) -> None:
    body = {
        "model": MODEL,
        "messages": HELLO,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = httpx.post(
        f"{vllm_standin.openai_base_url}/chat/completions", json=body, timeout=2.0
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = [ChatCompletionChunk.model_validate(json.loads(e)) for e in events[:-1]]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None


def test_stream_without_usage_option_has_no_usage_chunk(vllm_standin: RunningStandin) -> None:
    body = {"model": MODEL, "messages": HELLO, "stream": True}
    response = httpx.post(
        f"{vllm_standin.openai_base_url}/chat/completions", json=body, timeout=2.0
    )
    chunks = [json.loads(e) for e in sse_events(response)[:-1]]
    assert all(chunk["choices"] for chunk in chunks)


def test_max_tokens_truncates_with_length(vllm_client: openai.OpenAI) -> None:
    completion = vllm_client.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        max_tokens=2,
    )
    assert completion.choices[0].message.content == f"[vllm-qwen] {MODEL}"
    assert completion.choices[0].finish_reason == "length"


def test_unknown_model_is_openai_404(vllm_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        vllm_client.chat.completions.create(model="gpt-nope", messages=HELLO)
    assert caught.value.status_code == 404
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "model_not_found"


def test_health_is_open(vllm_standin: RunningStandin, keyed_standin: RunningStandin) -> None:
    for standin in (vllm_standin, keyed_standin):
        assert httpx.get(f"{standin.base_url}/health", timeout=2.0).status_code == 200


def test_key_is_required_when_configured(keyed_standin: RunningStandin) -> None:
    with (
        keyed_client(keyed_standin, "sk-wrong") as wrong,
        pytest.raises(openai.AuthenticationError),
    ):
        wrong.models.list()
    bare = httpx.get(f"{keyed_standin.openai_base_url}/models", timeout=2.0)
    assert bare.status_code == 401
    key = keyed_standin.spec.api_key
    assert key is not None
    with keyed_client(keyed_standin, key) as right:
        answer = right.chat.completions.create(model="local-model", messages=HELLO)
    assert answer.choices[0].message.content == "[lmstudio] local-model answers: hello there"


def test_no_key_configured_accepts_litellm_fake_key(vllm_standin: RunningStandin) -> None:
    # hosted_vllm/ sends "Bearer fake-api-key" when the deployment sets no key.
    with keyed_client(vllm_standin, "fake-api-key") as fake:
        assert fake.models.list().data


def test_keepalive_answers_do_not_stall(vllm_standin: RunningStandin) -> None:
    # Without TCP_NODELAY on accepted sockets every answer on a kept-alive connection waited
    # ~40 ms for a delayed ACK. The fastest of many answers is compared, not the total: load
    # on a shared machine slows some answers, but a stall would floor every one at 40 ms.
    body = {"model": MODEL, "messages": HELLO}
    took = []
    with httpx.Client(base_url=vllm_standin.openai_base_url, timeout=5.0) as http:
        for _ in range(20):
            started = time.monotonic()
            assert http.post("/chat/completions", json=body).status_code == 200
            took.append(time.monotonic() - started)
    assert min(took) < 0.035, f"fastest of 20 answers took {min(took) * 1000:.0f} ms"
