"""testinfra host specs (``ssh://user@host:port?query``, ``user@host``, ``local://``) as
text: the parts gateproof shows or refuses, without importing testinfra."""

from __future__ import annotations

from typing import NamedTuple


class Spec(NamedTuple):
    scheme: str  # "" when the spec has none (testinfra then uses paramiko)
    user: str
    password: str
    address: str  # host[:port], no query


def parse(spec: str) -> Spec:
    scheme, sep, rest = spec.partition("://")
    if not sep:  # "user@host": testinfra's default backend
        scheme, rest = "", spec
    rest = rest.split("?", 1)[0]
    userinfo, at, address = rest.rpartition("@")
    user, _, password = userinfo.partition(":") if at else ("", "", "")
    return Spec(scheme, user, password, address)


def shown(spec: str) -> str:
    """The spec fit for ids and messages: password masked, query (``?ssh_config=...``) left out."""
    part = parse(spec)
    prefix = f"{part.scheme}://" if part.scheme or "://" in spec else ""
    user = part.user + (":***" if part.password else "")
    return f"{prefix}{user}{'@' if user else ''}{part.address}"


def password(spec: str) -> str:
    return parse(spec).password
