"""Build :class:`~gateproof.settings.Settings` from file, environment and command line.

One function, :func:`load_settings`, applies the precedence documented in ``settings.py``
(CLI > env > file > default) and turns every validation problem into one message that names
the key, where its value came from, and what to do.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from gateproof.settings import Settings, env_name, flat_keys, option_name


class SettingsError(Exception):
    """The settings could not be built; the message lists every problem and its fix."""


@dataclass
class _Layered:
    data: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # dotted key -> where it came from


def load_settings(
    file: Path,
    *,
    explicit: bool,
    env: Mapping[str, str],
    cli: Mapping[str, str],
    base_dir: Path,
) -> Settings:
    """Settings from ``file`` overlaid by ``env`` then ``cli`` (dotted key -> raw string).

    A missing file is an error only when it was asked for explicitly; relative paths in the
    result are resolved against ``base_dir`` (where pytest was invoked).
    """
    layered = _Layered()
    lines: dict[str, int] = {}
    if file.is_file():
        layered.data, lines = _read_file(file)
        for key in _dotted_keys(layered.data):
            layered.origin[key] = f"{file}:{lines.get(key, 1)}"
    elif explicit:
        raise SettingsError(
            f"settings file {file} does not exist (from --gateproof-config / GATEPROOF_CONFIG): "
            "give an existing file, or leave the option out to use config/gateproof.yaml"
        )
    keys = flat_keys()
    problems = _overlay_env(layered, env, keys) + _overlay(layered, cli, keys, option_name)
    try:
        settings = Settings.model_validate(layered.data)
    except ValidationError as exc:
        problems.extend(_explain(exc, layered, file))
    if problems:
        problems.append("See docs/settings.md for every key, its option and environment variable.")
        raise SettingsError("\n".join(problems))
    return resolve_paths(settings, base_dir)


def _read_file(file: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The settings file through the one YAML loader of the sources (same errors, same line
    numbers, same limits), plus the line of every dotted key."""
    from gateproof.errors import ConfigError
    from gateproof.schema.yamlsrc import load_yaml

    try:
        doc = load_yaml(file, allow_empty=True)
    except ConfigError as exc:
        raise SettingsError("\n".join(exc.findings)) from None
    # a copy: the environment and the command line are layered onto it, and the parsed file is
    # cached (shared with the next load of the same content in this process)
    data: dict[str, Any] = copy.deepcopy(doc.data)
    lines = {key: doc.line(key.split(".")) for key in _dotted_keys(data)}
    return data, lines


def _dotted_keys(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for name, value in data.items():
        dotted = f"{prefix}{name}"
        keys.append(dotted)
        if isinstance(value, Mapping):
            keys.extend(_dotted_keys(value, f"{dotted}."))
    return keys


def _overlay_env(layered: _Layered, env: Mapping[str, str], keys: dict[str, Any]) -> list[str]:
    by_env = {env_name(key): key for key in keys}
    chosen = {by_env[name]: value for name, value in env.items() if name in by_env}
    problems = [
        f"{name}: unknown gateproof setting in the environment{_did_you_mean(name, by_env)}; "
        "unset it or fix its name"
        for name in env
        if name.startswith("GATEPROOF_")
        and name not in by_env
        and name not in _NON_KEY_ENV
        and not name.startswith("GATEPROOF_SELFTEST_")
    ]
    return problems + _overlay(layered, chosen, keys, env_name)


# Environment variables of gateproof that are not settings keys (GATEPROOF_SELFTEST_* belong
# to gateproof's own tests; GATEPROOF_LOAD_API_KEY is the key a load worker on another machine
# reads, and may be exported in the same shell when that worker runs here).
_NON_KEY_ENV = {"GATEPROOF_CONFIG", "GATEPROOF_RECORD", "GATEPROOF_LOAD_API_KEY"}


def _overlay(
    layered: _Layered, values: Mapping[str, str], keys: dict[str, Any], source: Any
) -> list[str]:
    problems = []
    for key, raw in values.items():
        try:
            value = _parse(raw, keys[key])
        except yaml.YAMLError:
            problems.append(f"{source(key)}: value is not valid YAML/JSON for {key}")
            continue
        _set(layered.data, key.split("."), value)
        layered.origin[key] = source(key)
    return problems


def _parse(raw: str, annotation: Any) -> Any:
    """Strings from CLI/env: lists as 'a,b' (or YAML), mappings as YAML, scalars as-is."""
    origin = get_origin(annotation)
    if origin is list and not raw.lstrip().startswith("["):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if origin in (list, dict) or _is_mapping(annotation):
        return yaml.safe_load(raw)
    return raw


def _is_mapping(annotation: Any) -> bool:
    return any(get_origin(arg) is dict for arg in get_args(annotation))


def _set(data: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        nxt = data.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            data[part] = nxt
        data = nxt
    data[path[-1]] = value


def _explain(exc: ValidationError, layered: _Layered, file: Path) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc)
        where = _origin_of(key, layered, file)
        if error["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            hint = _did_you_mean(loc[-1], list(parent.model_fields) if parent else [])
            problems.append(f"{where}: {key}: unknown key{hint}; remove it or fix its name")
        else:
            got = error.get("input")
            # A whole section (e.g. a missing url) may hold a literal secret: show scalars only.
            masked = any(word in key for word in _SECRET_KEY_WORDS)
            value = "" if masked or isinstance(got, (dict, list)) else f" (got {got!r})"
            problems.append(f"{where}: {key}: {error['msg']}{value}")
    return problems


# Keys whose values are never echoed in an error, even when they are not valid references.
_SECRET_KEY_WORDS = ("master_key", "password", "token")


def _origin_of(key: str, layered: _Layered, file: Path) -> str:
    parts = key.split(".")
    while parts:
        found = layered.origin.get(".".join(parts))
        if found:
            return found
        parts.pop()
    return str(file)


def _model_at(path: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Settings
    for part in path:
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        candidates = get_args(annotation) or (annotation,)
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return model


def _did_you_mean(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def resolve_paths(settings: Settings, base: Path) -> Settings:
    """Make every relative path of ``settings`` absolute against ``base``."""

    def fix(path: Path | None) -> Path | None:
        return None if path is None else (path if path.is_absolute() else base / path)

    update: dict[str, Any] = {
        "config_dir": fix(settings.config_dir),
        "secrets_file": fix(settings.secrets_file),
        "source_repo": fix(settings.source_repo),
        "ssh_config": fix(settings.ssh_config),
        "paths": settings.paths.model_copy(
            update={"backups": fix(settings.paths.backups), "records": fix(settings.paths.records)}
        ),
    }
    update["postdeploy"] = settings.postdeploy.model_copy(
        update={"baseline_file": fix(settings.postdeploy.baseline_file)}
    )
    if settings.gateway is not None:
        update["gateway"] = settings.gateway.model_copy(
            update={
                "deployed_config": fix(settings.gateway.deployed_config),
                "log_path": fix(settings.gateway.log_path),
            }
        )
    return settings.model_copy(update=update)
