"""Shared pieces of the source schemas: the strict base model and small field types."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

SECRET_REF = re.compile(r"^os\.environ/[A-Za-z_][A-Za-z0-9_]*$")
# Letters of any script (a model may be called "modèle-fr"), digits and . _ : / @ + -
NAME = re.compile(r"^[^\W_][\w.:/@+-]*$")
# Documented placeholders a client sends where a local server wants no key: not secrets.
PLACEHOLDERS = frozenset(
    {"no-key-required", "unused", "not-needed", "fake-api-key", "none", "null", "true", "false"}
)
# Ways people write an environment reference that LiteLLM would take as the literal key.
ALMOST_REF = re.compile(
    r"^\s*(?:os\.environ[./:]|os\.environ\[['\"]?|\$\{?|env:)([A-Za-z_][A-Za-z0-9_]*)['\"\]}]*\s*$"
)


class Strict(BaseModel):
    """Unknown keys are errors (the loader adds "did you mean"); values are not coerced loosely."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def check_secret_ref(value: str | None) -> str | None:
    """Accept only ``os.environ/NAME`` (or a documented placeholder such as ``not-needed``);
    never echo the value, it may be the secret."""
    if value is None or SECRET_REF.match(value) or value.strip().lower() in PLACEHOLDERS:
        return value
    almost = ALMOST_REF.match(value)
    if almost:  # a variable name, not a secret: safe to show
        raise ValueError(f"not a reference LiteLLM understands; write os.environ/{almost.group(1)}")
    raise ValueError(
        "a literal secret is not allowed here; write os.environ/NAME and put the value in the "
        "environment (or the secrets file)"
    )


def check_no_credentials(value: str) -> str:
    if "@" in urlsplit(value).netloc:
        raise ValueError(
            "the URL carries credentials (***@host): they would be sent and logged in clear; "
            "remove them and give the key as api_key: os.environ/NAME"
        )
    return value


def check_http_url(value: str) -> str:
    check_no_credentials(value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434"
        )
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ValueError("the port is not a number between 1 and 65535") from None
    if parts.query or parts.fragment:
        raise ValueError("a base URL carries no ?query or #fragment")
    return value.rstrip("/")


def as_list(value: Any) -> Any:
    """Let a single name stand where a list of names is expected."""
    return [value] if isinstance(value, str) else value


def _check_name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(
            "a name starts with a letter or digit and holds only letters, digits and . _ : / @ + -"
            " (no spaces)"
        )
    return value


Name = Annotated[str, AfterValidator(_check_name)]
