"""A small deterministic YAML writer for the generated config.

PyYAML's emitter is slow in pure Python and formats lists and quotes in ways that make review
diffs noisy. This writer emits block mappings and sequences, flow lists for short lists of
scalars, and quotes a string whenever YAML could read it as anything but that same string.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

from yaml.resolver import Resolver

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = Resolver.yaml_implicit_resolvers


@functools.lru_cache(maxsize=4096, typed=True)
def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and not any(
        regexp.match(text) for _, regexp in _RESOLVERS.get(text[:1], ())
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow_ok(items: list[Any]) -> bool:
    return all(not isinstance(i, (dict, list)) for i in items)


def emit(value: Any, indent: int = 0) -> list[str]:
    """Lines of ``value`` (a dict at the top) with ``indent`` spaces."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            lines.extend(_member(head, item, indent))
        return lines
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                inner = emit(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.extend(_member(f"{pad}-", item, indent))
        return lines
    return [f"{pad}{scalar(value)}"]


def _member(head: str, item: Any, indent: int) -> list[str]:
    if isinstance(item, dict):
        return [f"{head} {{}}"] if not item else [head, *emit(item, indent + 2)]
    if isinstance(item, list):
        if _flow_ok(item):
            return [f"{head} [{', '.join(scalar(i) for i in item)}]"]
        return [head, *emit(item, indent + 2)]
    return [f"{head} {scalar(item)}"]


def iter_emit(value: dict[Any, Any]) -> Iterator[str]:
    """The lines of ``emit(value)``, a long list's items one at a time (a 10,000-model list
    is never held as lines)."""
    for key, item in value.items():
        head = f"{scalar(key)}:"
        if isinstance(item, list) and not _flow_ok(item):
            yield head
            for element in item:
                yield from emit([element], 2)
        else:
            yield from _member(head, item, 0)
