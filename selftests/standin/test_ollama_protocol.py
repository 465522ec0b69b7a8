"""The Ollama stand-in through the official ``ollama`` client and raw HTTP, as LiteLLM sends it."""

from __future__ import annotations

import json

import httpx
import ollama
import pytest

from gateproof.stack.standin.inprocess import RunningStandin

MODEL = "llama3.1:latest"


def test_root_and_version_answer_like_ollama(ollama_standin: RunningStandin) -> None:
    root = httpx.get(ollama_standin.base_url, timeout=2.0)
    assert root.text == "Ollama is running"
    assert root.headers["x-standin-provider"] == "ollama"
    version = httpx.get(f"{ollama_standin.base_url}/api/version", timeout=2.0).json()
    assert isinstance(version["version"], str)


def test_list_names_every_model(ollama_client: ollama.Client) -> None:
    listed = ollama_client.list()
    assert isinstance(listed, ollama.ListResponse)
    assert [m.model for m in listed.models] == ["llama3.1:latest", "qwen2.5-coder:7b"]
    assert listed.models[0].details is not None
    assert listed.models[0].details.family == "llama"


def test_show_has_model_info_with_context_length(ollama_client: ollama.Client) -> None:
    shown = ollama_client.show(MODEL)
    assert isinstance(shown, ollama.ShowResponse)
    assert shown.modelinfo is not None
    assert shown.modelinfo["llama.context_length"] == 8192


def test_show_accepts_litellm_name_key_and_404s_unknown(ollama_standin: RunningStandin) -> None:
    url = f"{ollama_standin.base_url}/api/show"
    assert httpx.post(url, json={"name": "llama3.1"}, timeout=2.0).status_code == 200
    missing = httpx.post(url, json={"name": "nope"}, timeout=2.0)
    assert missing.status_code == 404
    assert "not found" in missing.json()["error"]


def test_chat_plain_names_provider_and_counts(ollama_client: ollama.Client) -> None:
    answer = ollama_client.chat(
        model=MODEL, messages=[{"role": "user", "content": "hello there"}], stream=False
    )
    validated = ollama.ChatResponse.model_validate(answer.model_dump())
    assert validated.message.role == "assistant"
    assert validated.message.content == "[ollama] llama3.1:latest answers: hello there"
    assert validated.done is True
    assert validated.done_reason == "stop"
    assert validated.prompt_eval_count == 2
    assert validated.eval_count == 5


def test_chat_stream_ends_with_done_record(ollama_client: ollama.Client) -> None:
    parts = list(
        ollama_client.chat(
            model=MODEL, messages=[{"role": "user", "content": "stream me"}], stream=True
        )
    )
    assert len(parts) > 2
    assert all(not p.done for p in parts[:-1])
    last = parts[-1]
    assert last.done is True
    assert last.done_reason == "stop"
    assert last.eval_count == len(parts) - 1
    text = "".join(p.message.content or "" for p in parts)
    assert text == "[ollama] llama3.1:latest answers: stream me"


def test_generate_plain_and_stream_agree(ollama_client: ollama.Client) -> None:
    plain = ollama_client.generate(model=MODEL, prompt="why is the sky blue")
    validated = ollama.GenerateResponse.model_validate(plain.model_dump())
    assert validated.response == "[ollama] llama3.1:latest answers: why is the sky blue"
    assert validated.done is True
    streamed = list(ollama_client.generate(model=MODEL, prompt="why", stream=True))
    assert streamed[-1].done is True
    assert "".join(p.response or "" for p in streamed).endswith("answers: why")


def test_num_predict_truncates_with_length_reason(ollama_client: ollama.Client) -> None:
    answer = ollama_client.chat(
        model=MODEL, messages=[{"role": "user", "content": "a b c d"}], options={"num_predict": 3}
    )
    assert answer.message.content == "[ollama] llama3.1:latest answers:"
    assert answer.done_reason == "length"
    assert answer.eval_count == 3


def test_octet_stream_body_is_parsed_as_json(ollama_standin: RunningStandin) -> None:
    # LiteLLM's ollama_chat route sends exactly this.
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": False}
    response = httpx.post(
        f"{ollama_standin.base_url}/api/chat",
        content=json.dumps(body).encode(),
        headers={"content-type": "application/octet-stream"},
        timeout=2.0,
    )
    assert response.status_code == 200
    assert response.json()["message"]["content"].startswith("[ollama]")


def test_default_is_ndjson_stream(ollama_standin: RunningStandin) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(f"{ollama_standin.base_url}/api/chat", json=body, timeout=2.0)
    assert response.headers["content-type"] == "application/x-ndjson"
    records = [json.loads(line) for line in response.text.splitlines()]
    assert records[-1]["done"] is True
    assert {"eval_count", "prompt_eval_count", "total_duration"} <= set(records[-1])


def test_unknown_model_is_404_response_error(ollama_client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        ollama_client.chat(model="missing:1b", messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 404


def test_bad_json_is_400(ollama_standin: RunningStandin) -> None:
    response = httpx.post(f"{ollama_standin.base_url}/api/chat", content=b"{nope", timeout=2.0)
    assert response.status_code == 400
    assert "invalid JSON" in response.json()["error"]
