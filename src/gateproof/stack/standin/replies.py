"""Deterministic replies: the same request always gets the same text, naming who answered.

Tokens are counted as whitespace-separated words; that is rough, but stable and enough for
usage fields, ``max_tokens`` truncation and gateway token metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

ECHO_WORDS = 12  # how much of the prompt the reply quotes


@dataclass(frozen=True)
class Reply:
    """A finished answer: the text, why it stopped, and the token counts."""

    text: str
    finish_reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def pieces(self) -> list[str]:
        """The text split into stream chunks (one word each, spacing kept)."""
        words = self.text.split(" ")
        return [word if i == 0 else f" {word}" for i, word in enumerate(words)]


def message_text(content: object) -> str:
    """Text of one chat message content: a string or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def count_tokens(text: str) -> int:
    return len(text.split())


def prompt_of(messages: object) -> tuple[str, int]:
    """The last user message (what the reply quotes) and the token count of all messages."""
    if not isinstance(messages, list):
        return "", 0
    last_user = ""
    total = 0
    for message in messages:
        if not isinstance(message, dict):
            continue
        text = message_text(message.get("content"))
        total += count_tokens(text)
        if message.get("role") == "user":
            last_user = text
    return last_user, total


def make_reply(provider: str, model: str, prompt: str, prompt_tokens: int, limit: object) -> Reply:
    """The stand-in's answer to ``prompt``, cut to ``limit`` words when that is a positive int."""
    quoted = " ".join(prompt.split()[:ECHO_WORDS]) or "(empty prompt)"
    words = f"[{provider}] {model} answers: {quoted}".split()
    finish = "stop"
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < len(words):
        words = words[:limit]
        finish = "length"
    return Reply(" ".join(words), finish, prompt_tokens, len(words))
