"""Every fault switch, observed the way a client sees it, and the counters."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import ollama
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from gateproof.stack.standin.control import StandinControlError
from gateproof.stack.standin.inprocess import RunningStandin

MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct"
HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]


def ask(client: openai.OpenAI, timeout: float = 2.0) -> str | None:
    quick = client.with_options(timeout=timeout)
    completion = quick.chat.completions.create(model=MODEL, messages=HELLO)
    return completion.choices[0].message.content


def port_refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_refuse_closes_the_port_and_clear_reopens_it(
    fresh_vllm: RunningStandin, vllm_client: openai.OpenAI
) -> None:
    assert ask(vllm_client)  # leaves an idle keep-alive connection in the client's pool
    fresh_vllm.control.set_faults(refuse=True)
    assert port_refuses(fresh_vllm.port)
    with pytest.raises(openai.APIConnectionError):
        ask(vllm_client)
    assert fresh_vllm.control.healthz()["listening"] is False
    fresh_vllm.control.clear()
    assert not port_refuses(fresh_vllm.port)
    assert ask(vllm_client)


def test_refuse_drops_idle_keepalive_connections(fresh_vllm: RunningStandin) -> None:
    with httpx.Client(timeout=2.0) as http:
        assert http.get(f"{fresh_vllm.base_url}/health").status_code == 200
        fresh_vllm.control.set_faults(refuse=True)
        with pytest.raises(httpx.ConnectError):
            http.get(f"{fresh_vllm.base_url}/health")


def test_hang_times_out_the_client_until_cleared(
    fresh_vllm: RunningStandin, vllm_client: openai.OpenAI
) -> None:
    fresh_vllm.control.set_faults(hang=True)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        ask(vllm_client, timeout=0.5)
    assert time.monotonic() - started >= 0.4  # it waited for the client's timeout
    fresh_vllm.control.clear()
    assert ask(vllm_client, timeout=0.5)
    assert fresh_vllm.control.counters()["faults"]["hang"] == 1


def test_refuse_ends_hung_requests_with_503(fresh_vllm: RunningStandin) -> None:
    fresh_vllm.control.set_faults(hang=True)
    outcome: list[int] = []

    def hung_request() -> None:
        response = httpx.get(f"{fresh_vllm.base_url}/health", timeout=5.0)
        outcome.append(response.status_code)

    waiter = threading.Thread(target=hung_request)
    waiter.start()
    deadline = time.monotonic() + 5.0  # until the request is held, however busy the machine
    while fresh_vllm.control.counters()["total"] < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    fresh_vllm.control.set_faults(refuse=True)
    waiter.join(5.0)
    assert outcome == [503]  # within the request's 5 s timeout: refuse ended the hang
    assert port_refuses(fresh_vllm.port)


def test_latency_slows_every_answer(fresh_vllm: RunningStandin, vllm_client: openai.OpenAI) -> None:
    # Only the lower bound is asserted: on a busy shared machine the baseline itself can
    # take longer than the injected delay, so comparing with it would be noise.
    fresh_vllm.control.set_faults(latency_ms=300)
    started = time.monotonic()
    assert ask(vllm_client)
    assert time.monotonic() - started >= 0.3
    assert fresh_vllm.control.faults()["latency_ms"] == 300


def test_error_rate_fails_exactly_that_share(
    fresh_vllm: RunningStandin, vllm_client: openai.OpenAI
) -> None:
    fresh_vllm.control.set_faults(error_rate=0.25)
    statuses = []
    for _ in range(8):
        try:
            ask(vllm_client)
            statuses.append(200)
        except openai.InternalServerError as exc:
            statuses.append(exc.status_code)
    assert statuses == [200, 200, 200, 500, 200, 200, 200, 500]
    assert fresh_vllm.control.counters()["faults"]["error_rate"] == 2


def test_status_429_reaches_both_clients(
    fresh_vllm: RunningStandin,
    fresh_ollama: RunningStandin,
    vllm_client: openai.OpenAI,
    ollama_client: ollama.Client,
) -> None:
    fresh_vllm.control.set_faults(status_429=True)
    with pytest.raises(openai.RateLimitError) as caught:
        ask(vllm_client)
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.response.headers["x-standin-provider"] == "vllm-qwen"
    fresh_ollama.control.set_faults(status_429=True)
    with pytest.raises(ollama.ResponseError) as raised:
        ollama_client.list()
    assert raised.value.status_code == 429


def test_malformed_is_a_json_decode_error(
    fresh_vllm: RunningStandin,
    fresh_ollama: RunningStandin,
    vllm_client: openai.OpenAI,
    ollama_client: ollama.Client,
) -> None:
    fresh_vllm.control.set_faults(malformed=True)
    with pytest.raises(json.JSONDecodeError):
        ask(vllm_client)
    fresh_ollama.control.set_faults(malformed=True)
    with pytest.raises(json.JSONDecodeError):
        next(ollama_client.chat(model="llama3.1:latest", messages=HELLO, stream=True))


def test_counters_count_paths_models_statuses(
    fresh_ollama: RunningStandin, ollama_client: ollama.Client
) -> None:
    ollama_client.list()
    ollama_client.chat(model="llama3.1:latest", messages=HELLO, stream=False)
    ollama_client.chat(model="qwen2.5-coder:7b", messages=HELLO, stream=False)
    counters = fresh_ollama.control.counters()
    assert counters["total"] == 3
    assert counters["paths"] == {"/api/tags": 1, "/api/chat": 2}
    assert counters["models"] == {"llama3.1:latest": 1, "qwen2.5-coder:7b": 1}
    assert counters["statuses"] == {"200": 3}
    assert fresh_ollama.control.reset_counters()["total"] == 0


def test_partial_updates_keep_other_faults(fresh_vllm: RunningStandin) -> None:
    fresh_vllm.control.set_faults(latency_ms=50)
    faults = fresh_vllm.control.set_faults(error_rate=0.5)
    assert (faults["latency_ms"], faults["error_rate"]) == (50, 0.5)
    assert fresh_vllm.control.faults() == faults
    cleared = fresh_vllm.control.clear()
    assert not any(cleared.values())


@pytest.mark.parametrize(
    "update", [{"latency": 5}, {"error_rate": 2}, {"hang": "yes"}, {"latency_ms": -1}, [1]]
)
def test_bad_fault_updates_are_400(fresh_vllm: RunningStandin, update: object) -> None:
    response = httpx.put(f"{fresh_vllm.control_url}/faults", json=update, timeout=2.0)
    assert response.status_code == 400
    assert response.json()["error"]


def test_client_reports_control_errors(fresh_vllm: RunningStandin) -> None:
    with pytest.raises(StandinControlError, match="error_rate must be within"):
        fresh_vllm.control.set_faults(error_rate=1.5)


def test_html_answers_a_web_page_with_200(fresh_vllm: RunningStandin) -> None:
    fresh_vllm.control.set_faults(html=True)
    answer = httpx.get(f"{fresh_vllm.base_url}/v1/models", timeout=2.0)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.startswith("<!DOCTYPE html>")


def test_retry_needed_fails_a_body_once_then_serves_it(fresh_vllm: RunningStandin) -> None:
    fresh_vllm.control.set_faults(retry_needed=True)
    body = {"model": MODEL, "messages": [{"role": "user", "content": "once"}], "max_tokens": 4}
    url = f"{fresh_vllm.base_url}/v1/chat/completions"
    first = httpx.post(url, json=body, timeout=2.0)
    again = httpx.post(url, json=body, timeout=2.0)
    assert (first.status_code, again.status_code) == (500, 200)
    assert again.json()["model"] == MODEL
    assert httpx.get(f"{fresh_vllm.base_url}/v1/models", timeout=2.0).status_code == 200
    assert fresh_vllm.control.counters()["faults"] == {"retry_needed": 1}
