"""Load any one YAML file into a strict model, with line-numbered findings; or leniently:
every finding, plus a model of what validates (so one finding does not hide the rest)."""

from __future__ import annotations

import copy
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateproof.errors import ConfigError
from gateproof.schema.findings import allowed_keys, did_you_mean, findings_from
from gateproof.schema.litellm import LiteLLMConfig
from gateproof.schema.yamlsrc import MAX_SOURCE_BYTES, YamlDoc, gc_paused, load_yaml

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, root: type[M], max_bytes: int = MAX_SOURCE_BYTES) -> tuple[M, YamlDoc]:
    """Parse ``path`` and validate it as ``root``; ConfigError with all findings otherwise.

    Also used for ``config/gateproof.yaml`` with ``gateproof.settings.Settings``."""
    doc = load_yaml(path, max_bytes)
    model, findings, _dropped = _validated(doc, root)
    if findings or model is None:
        raise ConfigError(findings)
    return model, doc


# (content, schema) -> (file name, result, the data validated)
_VALIDATED: dict[
    tuple[str, type[BaseModel]], tuple[str, tuple[Any, list[str], list[Any]], Any]
] = {}


def _validated(doc: YamlDoc, root: type[M]) -> tuple[M | None, list[str], list[Dropped]]:
    """``validate_leniently``, kept per (content, schema) for the few most recent files: the
    same 10,000-model file is validated by several checks, and copies of it by PRE-TST-04.
    A file whose data is identical to a kept one's (two generated versions differ only in
    their header comments) takes its result too when that has no findings: the model is
    made from the data alone, findings name a file and a line."""
    key = (doc.digest, root)
    kept = _VALIDATED.get(key)
    # Findings name the file: a copy elsewhere with findings is validated again for its name.
    if kept is not None and (kept[0] == doc.name or not kept[1][1]):
        return kept[1]
    for (_digest, schema), (_name, result, data) in _VALIDATED.items():
        if schema is root and not result[1] and identical(data, doc.data):
            return result
    result = validate_leniently(doc, root)
    if doc.digest:
        while len(_VALIDATED) >= 8:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[key] = (doc.name, result, doc.data)
    return result


def identical(a: Any, b: Any) -> bool:
    """Equal data of the same types, mapping keys in the same order (``True`` is not ``1``,
    ``1`` is not ``1.0``: they validate differently)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if len(x) != len(y):
                return False
            for (kx, vx), (ky, vy) in zip(x.items(), y.items(), strict=True):
                if type(kx) is not type(ky) or kx != ky:
                    return False
                stack.append((vx, vy))
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif x != y:
            return False
    return True


def load_litellm_config(path: Path) -> tuple[LiteLLMConfig, YamlDoc]:
    return load_model(path, LiteLLMConfig)


def check_litellm_config(path: Path) -> tuple[LiteLLMConfig | None, YamlDoc | None, list[str]]:
    """The generated config leniently: (what validated, the parsed file, every finding)."""
    try:
        doc = load_yaml(path)
    except ConfigError as exc:
        return None, None, exc.findings
    model, findings, _dropped = _validated(doc, LiteLLMConfig)
    return model, doc, findings


_PRUNE_PASSES = 4


# (path left out, why): "unknown" key (metadata to the checks), "typo" (an unknown key close to
# a known one), "field" (a bad value), "entry" (a required field gone: the whole entry)
Dropped = tuple[tuple[Hashable, ...], str]


# Where an unknown key is never mere metadata: gateproof or LiteLLM act on these sections.
_ACTING = frozenset({"generator", "rate_limit", "default_rate_limit"})


def validate_leniently(
    doc: YamlDoc, root: type[M], metadata_ok: bool = False
) -> tuple[M | None, list[str], list[Dropped]]:
    """``doc`` as ``root``: the model of what validates (None when nothing sensible is left),
    every finding of the whole file, and what was left out. ``metadata_ok`` (the hand-kept
    sources): an unknown key that resembles no known key, outside the sections gateproof acts
    on, is the team's own metadata, kept out of the model and not a finding."""
    data = doc.data
    findings: list[str] = []
    dropped: list[Dropped] = []
    for attempt in range(_PRUNE_PASSES):
        try:
            with gc_paused():
                return _shared_fields_sets(root.model_validate(data)), findings, dropped
        except ValidationError as exc:
            if attempt == 0:
                errors = exc.errors(include_url=False)
                found = findings_from(exc, doc, root)
                findings = [
                    finding
                    for err, finding in zip(errors, found, strict=True)
                    if not (metadata_ok and _metadata(err, data, root))
                ]
            data, gone = _pruned(data, exc, root)
            dropped += [(tuple(p), kind) for p, kind in gone]
            if not gone:
                break
    return None, findings, dropped


def _shared_fields_sets(model: M) -> M:
    """``model`` with one ``__pydantic_fields_set__`` per class and distinct set of given
    fields, shared by its frozen models (nothing adds to the set of a frozen model): pydantic
    makes a set for every instance, 15 of the 47 MB of models of a 10,000-model config."""
    shared: dict[tuple[type[BaseModel], frozenset[str]], set[str]] = {}
    containers = (BaseModel, dict, list)
    stack: list[Any] = [model]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if isinstance(node, BaseModel):
            if node.model_config.get("frozen"):
                own = node.__pydantic_fields_set__
                same = shared.setdefault((type(node), frozenset(own)), own)
                if same is not own:
                    object.__setattr__(node, "__pydantic_fields_set__", same)
            values: Any = node.__dict__.values()
        else:
            values = node.values() if isinstance(node, dict) else node
        for value in values:
            if isinstance(value, containers):
                push(value)
    return model


def _metadata(err: Any, data: Any, root: type[BaseModel]) -> bool:
    if err["type"] != "extra_forbidden":
        return False
    path = _existing(data, err["loc"])
    if not path or any(step in _ACTING for step in path):
        return False
    return not did_you_mean(str(path[-1]), allowed_keys(root, path[:-1]))


def _pruned(
    data: Any, error: ValidationError, root: type[BaseModel]
) -> tuple[Any, list[tuple[list[Hashable], str]]]:
    """A copy of ``data`` without what ``error`` points at: an unknown key alone, else the
    entry's bad field (``providers.NAME.base_url``); a required field gone, the next pass drops
    the whole entry (``exact_matches.NAME``)."""
    doomed: list[tuple[list[Hashable], str]] = []
    for err in error.errors(include_url=False):
        path = _existing(data, err["loc"])
        if err["type"] == "extra_forbidden":
            close = did_you_mean(str(path[-1]), allowed_keys(root, path[:-1])) if path else ""
            kind = "typo" if close else "unknown"
        else:
            kind = "field" if len(path) >= 3 else "entry"
            path = path[:3]
        if path and all(path != p for p, _ in doomed):
            doomed.append((path, kind))
    if not doomed:
        return data, []
    data = copy.deepcopy(data)
    # Deepest and highest list index first, so earlier deletions do not shift later paths.
    for path, _kind in sorted(
        doomed, key=lambda d: (len(d[0]), d[0][-1] if isinstance(d[0][-1], int) else -1),
        reverse=True,
    ):  # fmt: skip
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        del parent[path[-1]]
    return data, doomed


def _existing(data: Any, loc: Sequence[Hashable]) -> list[Hashable]:
    """The steps of a pydantic location that exist in the data."""
    path: list[Hashable] = []
    node: Any = data
    for step in loc:
        container: Any = node
        if not isinstance(container, (dict, list)):
            break
        try:
            node = _item(container, step)  # pydantic's own steps (union tags) raise
        except (KeyError, IndexError, TypeError):
            continue
        path.append(step)
    return path


def _item(container: Any, key: Any) -> Any:
    return container[key]
