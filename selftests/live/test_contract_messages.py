"""A body an official SDK type rejects is reported field by field, naming the provider."""

from __future__ import annotations

from gateproof.probes.providers import join_url, schema_problems


def test_missing_required_field_is_named() -> None:
    from openai.types.chat import ChatCompletion

    body = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
    }
    problems = schema_problems(ChatCompletion, body, "provider 'vllm-qwen' v1/chat/completions")
    assert problems == [
        "provider 'vllm-qwen' v1/chat/completions: required field "
        "'choices[0].finish_reason' is missing"
    ]


def test_wrong_literal_is_named_with_the_value() -> None:
    from ollama import ChatResponse

    problems = schema_problems(ChatResponse, {"message": {"content": "hi"}}, "provider 'ollama'")
    assert problems == ["provider 'ollama': required field 'message.role' is missing"]
    assert schema_problems(ChatResponse, {"message": {"role": "assistant"}}, "p") == []


def test_join_url_does_not_double_v1() -> None:
    assert join_url("http://h:1/v1", "/v1/models") == "http://h:1/v1/models"
    assert join_url("http://h:1/", "/api/tags") == "http://h:1/api/tags"
