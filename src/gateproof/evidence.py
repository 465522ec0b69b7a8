"""Evidence for failures, secret redaction, and ``curl`` reproducers.

A test or probe adds what it saw to the per-test :class:`Evidence` (``evidence`` fixture);
on failure the plugin attaches it to the report. Everything that leaves the process passes
through :class:`Redactor`, which masks every configured secret value.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MASK = "***"
# Secrets shorter than this are not masked by substring: masking "a" everywhere would
# shred every report. Such a value is refused as a secret by the settings check instead.
MIN_SECRET_LEN = 6


class Redactor:
    """Replaces every known secret value in text with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for value in secrets:
            self.add(value)

    def add(self, value: str | None) -> None:
        if value and len(value) >= MIN_SECRET_LEN:
            self._secrets.add(value)

    def __call__(self, text: str) -> str:
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._secrets)


@dataclass
class Evidence:
    """What a test saw, in the order it saw it: (label, text) pairs."""

    entries: list[tuple[str, str]] = field(default_factory=list)

    def add(self, label: str, content: str) -> None:
        self.entries.append((label, content))

    def render(self) -> str:
        return "\n".join(f"{label:<10}{content}" for label, content in self.entries)


def curl_command(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json_body: str | None = None,
    secret_headers: Iterable[str] = ("authorization", "x-api-key", "api-key"),
) -> str:
    """A shell command that repeats one HTTP request; secret header values are masked."""
    hidden = {name.lower() for name in secret_headers}
    parts = ["curl", "-sS", "-X", method.upper(), shlex.quote(url)]
    for name, value in (headers or {}).items():
        shown = _mask_header(value) if name.lower() in hidden else value
        parts += ["-H", shlex.quote(f"{name}: {shown}")]
    if json_body is not None:
        parts += ["-H", shlex.quote("Content-Type: application/json"), "-d", shlex.quote(json_body)]
    return " ".join(parts)


def _mask_header(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    return f"{scheme} {MASK}" if rest else MASK
