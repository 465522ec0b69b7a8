"""PRE-CFG-02: does the committed LiteLLM config mean what the sources generate?

Compared by meaning, not bytes, so a file another tool generated (other key order, quoting,
comments) is judged on what LiteLLM would do with it: the models (by ``model_name``: route,
``api_base``, key reference, limits, any other parameter), the router's fallbacks and settings,
``litellm_settings`` and ``general_settings``. A gateproof-generated file (our header) is also
compared as text, so a hand edit that changes only formatting or comments is still caught.

Secret values are never shown: keys named like a secret show ``***`` unless they hold a
reference or a placeholder, and credentials inside URLs are masked everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from gateproof.generate import ENV_REF, UNSTAMPED, header
from gateproof.schema import NO_KEY, Sources
from gateproof.schema.yamlsrc import gc_paused
from gateproof.url_credentials import mask_url_credentials
from gateproof.yamlemit import iter_emit

_SECRET_KEY = re.compile(r"key|password|secret|token", re.IGNORECASE)
# The two header lines that differ between renders of sources with the same meaning.
_HEADER_STAMPS = re.compile(r"^# (version|sources-sha256): .*$", re.MULTILINE)


def shown(key: str, value: Any) -> str:
    """``value`` as a message may show it (masked when it could be a secret)."""
    if isinstance(value, str):
        if _SECRET_KEY.search(key) and not value.startswith(("os.environ/", NO_KEY)):
            return "***"
        return repr(mask_url_credentials(value))
    return mask_url_credentials(repr(value))


def _leaves(data: Any, prefix: str) -> dict[str, Any]:
    """Nested mappings flattened to dotted keys; lists are compared whole."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _compare(label: str, committed: Any, expected: Any) -> list[str]:
    have, want = _leaves(committed, label), _leaves(expected, label)
    out = []
    for key in sorted(set(have) | set(want)):
        leaf = key.rsplit(".", 1)[-1]
        if key not in want:
            out.append(
                f"{key}: {shown(leaf, have[key])} is in the file, not in what the sources generate"
            )
        elif key not in have:
            out.append(f"{key}: missing; the sources generate {shown(leaf, want[key])}")
        elif have[key] != want[key]:
            out.append(f"{key}: {shown(leaf, have[key])} in the file, the sources generate "
                       f"{shown(leaf, want[key])}")  # fmt: skip
    return out


def _by_name(entries: Any, key: str) -> dict[str, Any]:
    if not isinstance(entries, list):
        return {}
    return {str(e.get(key)): e for e in entries if isinstance(e, dict)}


def _chains(entries: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            out.update({str(k): v for k, v in entry.items()})
    return out


def meaning_differences(
    committed: Any, expected: dict[str, Any], skip: Iterable[str] = ()
) -> list[str]:
    """Each way ``committed`` (parsed YAML) means something else than ``expected`` (a render);
    models and chains named in ``skip`` (source entries PRE-CFG-01 rejected) are not compared."""
    skipped = set(skip)
    have = committed if isinstance(committed, dict) else {}
    out: list[str] = []
    models_have = _by_name(have.get("model_list"), "model_name")
    models_want = _by_name(expected.get("model_list"), "model_name")
    for name in sorted(set(models_have) | set(models_want)):
        if name in skipped:
            continue
        if name not in models_want:
            out.append(f"model {name!r}: in the file, but the sources do not route it")
        elif name not in models_have:
            out.append(f"model {name!r}: missing from the file")
        else:
            out += _compare(f"model {name!r}", models_have[name].get("litellm_params"),
                            models_want[name]["litellm_params"])  # fmt: skip
    router_have = dict(have.get("router_settings") or {})
    router_want = dict(expected["router_settings"])
    chains_have = _chains(router_have.pop("fallbacks", []))
    chains_want = _chains(router_want.pop("fallbacks", []))
    for name in sorted(set(chains_have) | set(chains_want)):
        if name in skipped or skipped & set(chains_have.get(name) or []):
            continue
        if chains_have.get(name) != chains_want.get(name):
            out.append(f"router fallbacks for {name!r}: {chains_have.get(name) or 'none'} in the "
                       f"file, the sources generate {chains_want.get(name) or 'none'}")  # fmt: skip
    out += _compare("router_settings", router_have, router_want)
    for section in ("litellm_settings", "general_settings"):
        out += _compare(section, have.get(section) or {}, expected[section])
    for section in sorted(set(have) - set(expected)):
        out.append(f"{section}: a section the sources do not generate")
    return out


def same_text(committed: str, rendered: str) -> bool:
    """Equal apart from the version stamp and the sources hash (comments in the sources)."""
    return _HEADER_STAMPS.sub("", committed) == _HEADER_STAMPS.sub("", rendered)


def same_as_render(committed: str, sources: Sources, rendered: dict[str, Any]) -> bool:
    """``same_text(committed, render(sources))`` without building the render's text (20 MB
    of lines for 10,000 models). ``rendered``: ``config_dict(sources)``, already built.

    Usually one pass: the body of a current file starts after its first blank line (the
    header's lines are never blank), and a match there plus a header ``same_text`` accepts
    is the same verdict. Otherwise the exact way: the header first (its line count depends
    on the body's references), then the body line by line."""
    with gc_paused():
        cut = committed.find("\n\n") + 2
        env = _body_env(committed, cut, rendered) if cut > 1 else None
        if env is not None and same_text(committed[:cut], _head(sources, env)):
            return True
        env = set()
        for line in iter_emit(rendered):
            env.update(ENV_REF.findall(line))  # (a reference never spans lines)
        head = _head(sources, env)
        cut = 0
        for _ in range(head.count("\n")):
            cut = committed.find("\n", cut) + 1
            if cut == 0:
                return False
        return same_text(committed[:cut], head) and _body_env(committed, cut, rendered) is not None


def _head(sources: Sources, env: set[str]) -> str:
    """The header ``render`` writes before the body, with the blank line after it."""
    return header(UNSTAMPED, sources.sha256, sorted(env)) + "\n"


def _body_env(committed: str, cut: int, rendered: dict[str, Any]) -> set[str] | None:
    """The references of the rendered body when ``committed[cut:]`` is exactly that body,
    else None."""
    env: set[str] = set()
    count = 0
    for line in iter_emit(rendered):
        end = cut + len(line)
        if not committed.startswith(line, cut) or committed[end : end + 1] != "\n":
            return None
        env.update(ENV_REF.findall(line))
        cut, count = end + 1, count + 1
    if count == 0:  # the body of nothing is one newline
        return env if committed[cut:] == "\n" else None
    return env if cut == len(committed) else None
