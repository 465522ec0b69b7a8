"""Turn pydantic validation errors into findings an operator can act on:
``config/providers.yaml:12: providers.ollama.typ: unknown key 'typ' (did you mean 'type'?)``."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from gateproof.schema.yamlsrc import YamlDoc
from gateproof.url_credentials import mask_url_credentials

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SECRETISH = re.compile(r"key|password|secret|token", re.IGNORECASE)
_QUOTED = re.compile(r"'([^']*)'")


def dotted(path: Sequence[Hashable]) -> str:
    """``('fallback_chains', 'a', 'chain', 1)`` -> ``fallback_chains.a.chain[1]``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str) and _PLAIN_KEY.match(step):
            out += f".{step}" if out else step
        else:
            out += f'["{step}"]'
    return out or "(top level)"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def findings_from(error: ValidationError, doc: YamlDoc, root: type[BaseModel]) -> list[str]:
    """One finding per pydantic error, each with the file line of the offending value."""
    out = []
    for err in error.errors(include_url=False):
        path = _data_path(doc.data, err["loc"])
        line = doc.line(path)
        message = mask_url_credentials(_message(err, path, root))
        out.append(f"{doc.name}:{line}: {dotted(path)}: {message}")
    return out


def _data_path(data: Any, loc: Sequence[Hashable]) -> list[Hashable]:
    """``loc`` without pydantic's own steps (union tags, '[key]'): only what exists in the data,
    plus a last missing key (the one a 'missing' error is about)."""
    path: list[Hashable] = []
    node = data
    for index, step in enumerate(loc):
        last = index == len(loc) - 1
        in_dict = isinstance(node, dict) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if in_dict or in_list:
            path.append(step)
            node = node[step]
        elif last and step != "[key]" and not isinstance(node, (list, str)):
            path.append(step)
    return path


def _message(err: Any, path: Sequence[Hashable], root: type[BaseModel]) -> str:
    kind = err["type"]
    field = str(path[-1]) if path else ""
    if kind == "extra_forbidden":
        allowed = allowed_keys(root, path[:-1])
        return f"unknown key {field!r}{did_you_mean(field, allowed)}"
    if kind == "missing":
        return f"required key {field!r} is missing"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind in ("model_type", "dict_type"):  # pydantic names its class; the reader wants YAML
        msg = "expected a mapping (key: value) here"
    value = err.get("input")
    shown = ""
    if not isinstance(value, (dict, list)) and not _SECRETISH.search(field):
        shown = f"; got {value!r:.80}"
    hint = ""
    if isinstance(value, bool) and kind in ("literal_error", "string_type", "enum"):
        hint = " (YAML reads unquoted yes/no/on/off/true/false as a boolean: quote the value)"
    elif kind in ("literal_error", "enum") and isinstance(value, str):
        choices = _QUOTED.findall(str(err.get("ctx", {}).get("expected", "")))
        hint = did_you_mean(value, choices)
    return f"{msg}{shown}{hint}"


def allowed_keys(root: type[BaseModel], path: Sequence[Hashable]) -> list[str]:
    model = _model_at(root, path)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(root: type[BaseModel], path: Sequence[Hashable]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path`` (following fields, lists, dicts)."""
    current: Any = root
    steps = list(path)
    while steps:
        current = _unwrap(current)
        step = steps.pop(0)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for n, f in current.model_fields.items() if (f.alias or n) == step), None
            )
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``; other annotations unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
