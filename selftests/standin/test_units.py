"""The pure parts of the stand-ins: fault arithmetic, reply text, model lookup."""

from __future__ import annotations

import pytest

from gateproof.stack.standin.faults import Faults, FaultState, updated_faults
from gateproof.stack.standin.replies import make_reply, message_text, prompt_of
from gateproof.stack.standin.spec import StandinSpec, find_model


def error_pattern(rate: float, n: int) -> list[bool]:
    state = FaultState()
    state.set_faults(Faults(error_rate=rate))
    return [state.next_is_error() for _ in range(n)]


@pytest.mark.parametrize(
    ("rate", "failures"), [(0.0, 0), (0.1, 1), (0.25, 3), (1 / 3, 4), (0.5, 6), (1.0, 12)]
)
def test_error_rate_is_exact_over_any_window(rate: float, failures: int) -> None:
    assert sum(error_pattern(rate, 12)) == failures


def test_error_rate_restarts_when_changed() -> None:
    state = FaultState()
    state.set_faults(Faults(error_rate=0.5))
    assert [state.next_is_error() for _ in range(3)] == [False, True, False]
    state.set_faults(Faults(error_rate=0.5, latency_ms=1))  # same rate: sequence continues
    assert state.next_is_error() is True
    state.set_faults(Faults(error_rate=0.25))
    assert [state.next_is_error() for _ in range(4)] == [False, False, False, True]


def test_partial_update_keeps_the_rest() -> None:
    faults = updated_faults(Faults(hang=True), {"latency_ms": 12.0})
    assert faults == Faults(hang=True, latency_ms=12)
    assert faults.active() == ["hang", "latency_ms"]


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"refuse": 1}, "refuse must be true or false"),
        ({"latency_ms": True}, "latency_ms must be a number"),
        ({"error_rate": -0.1}, "error_rate must be within 0..1"),
        ({"slow": True}, "unknown fault"),
        ("refuse", "must be a JSON object"),
    ],
)
def test_bad_updates_say_what_is_wrong(update: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        updated_faults(Faults(), update)


def test_reply_quotes_prompt_and_counts_words() -> None:
    reply = make_reply("vllm", "m", "one two three", 3, None)
    assert reply.text == "[vllm] m answers: one two three"
    assert (reply.finish_reason, reply.completion_tokens, reply.total_tokens) == ("stop", 6, 9)
    assert "".join(reply.pieces()) == reply.text


@pytest.mark.parametrize("limit", [0, -1, 100, True, "3", None])
def test_limits_that_do_not_cut(limit: object) -> None:
    assert make_reply("p", "m", "hi", 1, limit).finish_reason == "stop"


def test_limit_cuts_by_words() -> None:
    reply = make_reply("p", "m", "a b c", 3, 4)
    assert (reply.text, reply.finish_reason, reply.completion_tokens) == (
        "[p] m answers: a",
        "length",
        4,
    )


def test_prompt_of_reads_text_parts_and_last_user_message() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "first"}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "second part"}, {"type": "image"}]},
    ]
    assert prompt_of(messages) == ("second part", 6)
    assert message_text(None) == ""


def test_ollama_names_without_tag_mean_latest() -> None:
    spec = StandinSpec("o", "ollama", ("llama3.1:latest", "qwen2.5-coder:7b"))
    assert find_model(spec, "llama3.1") == "llama3.1:latest"
    assert find_model(spec, "qwen2.5-coder") is None
    openai_spec = StandinSpec("v", "vllm", ("llama3.1",))
    assert find_model(openai_spec, "llama3.1:latest") is None


def test_spec_rejects_unknown_type_and_empty_models() -> None:
    with pytest.raises(ValueError, match="unknown provider type"):
        StandinSpec("x", "anthropic", ("m",))
    with pytest.raises(ValueError, match="at least one model"):
        StandinSpec("x", "vllm", ())
