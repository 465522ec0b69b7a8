"""Credentials written into a component URL (user and password before the at sign): found and
masked.

A module of its own, without pydantic: every opted-in run masks them at start-up, and the
schema package that also uses them costs a fifth of a second to import."""

from __future__ import annotations

import re

# Credentials written into a URL (scheme, then userinfo, then the at sign): LiteLLM would send
# them and every log would show them.
URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)([^/\s@'\"]+)@", re.IGNORECASE)


def mask_url_credentials(text: str) -> str:
    """Every URL in ``text`` with its userinfo (name and password before the at sign) as ***."""
    return URL_CREDENTIALS.sub(r"\1***@", text)
