"""Shared pieces of the source schemas: the strict base model and small field types."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

SECRET_REF = re.compile(r"^os\.environ/[A-Za-z_][A-Za-z0-9_]*$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")
# Ways people write an environment reference that LiteLLM would take as the literal key.
ALMOST_REF = re.compile(
    r"^\s*(?:os\.environ[./:]|os\.environ\[['\"]?|\$\{?|env:)([A-Za-z_][A-Za-z0-9_]*)['\"\]}]*\s*$"
)


# user:password@ (or a bare token@) in a URL: LiteLLM would send it, every log would show it.
URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)([^/\s@'\"]+)@", re.IGNORECASE)


def mask_url_credentials(text: str) -> str:
    """``http://user:pass@host`` -> ``http://***@host`` anywhere in ``text``."""
    return URL_CREDENTIALS.sub(r"\1***@", text)


class Strict(BaseModel):
    """Unknown keys are errors (the loader adds "did you mean"); values are not coerced loosely."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Loose(BaseModel):
    """Free-form metadata blocks: anything goes, kept as given."""

    model_config = ConfigDict(extra="allow", frozen=True)


def check_secret_ref(value: str | None) -> str | None:
    """Accept only ``os.environ/NAME``; never echo the value, it may be the secret."""
    if value is None or SECRET_REF.match(value):
        return value
    almost = ALMOST_REF.match(value)
    if almost:  # a variable name, not a secret: safe to show
        raise ValueError(f"not a reference LiteLLM understands; write os.environ/{almost.group(1)}")
    raise ValueError(
        "a literal secret is not allowed here; write os.environ/NAME and put the value in the "
        "environment (or the secrets file)"
    )


def check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if "@" in parts.netloc:
        raise ValueError(
            "the URL carries credentials (***@host): they would be sent and logged in clear; "
            "remove them and give the key as api_key: os.environ/NAME"
        )
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
        raise ValueError("a name starts with a letter or digit and has no spaces")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
