"""Mistakes a schema cannot see: each config file valid on its own, the deployment still wrong.

Each function returns findings (``file:line: path: what is wrong; what to do``) for the
checklist item an operator would look at:

    PRE-CFG-03  url_path_findings          an Ollama base_url ending /v1, an OpenAI-style one
                                           ending /api (both 404 at run time)
    PRE-CFG-03  max_model_len_findings     a model claiming more context than its server's
                                           max_model_len allows
    PRE-CFG-04  capability_context_findings  a capability with min_context listing a model
                                           whose context is smaller
    PRE-CFG-05  chain_context_findings     a fallback holding under a quarter of its primary's
                                           context window (long prompts fail there)
    PRE-SEC-02  swapped_limit_findings     rpm above tpm: rpm and tpm swapped
    PRE-CFG-02  header_env_findings        an os.environ/NAME the generated file uses but its
                                           header does not list for the gateway's environment
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from urllib.parse import urlsplit

from gateproof.schema import GENERATED_FILE, MAPPINGS_FILE, PROVIDERS_FILE, Sources, YamlDoc
from gateproof.schema.findings import dotted
from gateproof.schema.providers import LITELLM_ROUTE

# A fallback with less than this share of its primary's context window is a trap.
CONTEXT_RATIO = 4
_ENV_REF = re.compile(r"os\.environ/([A-Za-z_][A-Za-z0-9_]*)")
_HEADER_ENV = re.compile(r"^# Needs in the gateway's environment:(.*?)(?=^# \w+:|^$)", re.M | re.S)


def contexts(sources: Sources) -> dict[str, int]:
    """Public model name -> context_length its provider lists for it (when it says)."""
    sizes = {
        (pname, model.name): model.context_length
        for pname, provider in sources.providers.items()
        for model in provider.models
        if model.context_length
    }
    out: dict[str, int] = {}
    for name, match in sources.mappings.exact_matches.items():
        size = sizes.get((match.provider, match.backend_model or name))
        if size:
            out[name] = size
    return out


def url_path_findings(sources: Sources) -> list[str]:
    out = []
    for name, provider in sources.active_providers().items():
        if provider.base_url is None:
            continue
        path = urlsplit(provider.base_url).path.rstrip("/")
        wants_v1 = LITELLM_ROUTE[provider.type][1]
        if not path.endswith(("/v1", "/api")):
            continue  # the place is looked up only for a finding
        where = f"{sources.where(PROVIDERS_FILE, ['providers', name, 'base_url'])}: " + dotted(
            ["providers", name, "base_url"]
        )
        if provider.type == "ollama" and path.endswith("/v1"):
            out.append(
                f"{where}: ends in /v1, but LiteLLM's Ollama route calls <base_url>/api/chat "
                "(/v1/api/chat answers 404); remove /v1"
            )
        elif wants_v1 and path.endswith("/api"):
            out.append(
                f"{where}: ends in /api, but a {provider.type} server speaks the OpenAI API "
                "under /v1 (the generator adds it; /api/v1/... answers 404); remove /api"
            )
    return out


def max_model_len_findings(sources: Sources) -> list[str]:
    out = []
    for name, provider in sources.active_providers().items():
        cap = provider.max_model_len
        for index, model in enumerate(provider.models):
            if cap and model.context_length and model.context_length > cap:
                path: list[Hashable] = ["providers", name, "models", index, "context_length"]
                out.append(
                    f"{sources.where(PROVIDERS_FILE, path)}: {dotted(path)}: {model.name!r} "
                    f"claims {model.context_length} tokens, but the server's max_model_len is "
                    f"{cap}: longer prompts are refused; lower context_length or raise "
                    "max_model_len"
                )
    return out


def capability_context_findings(sources: Sources) -> list[str]:
    out = []
    known = contexts(sources)
    for name, cap in sources.mappings.capabilities.items():
        if not cap.min_context:
            continue
        for index, model in enumerate(cap.preferred_models):
            size = known.get(model)
            if size is not None and size < cap.min_context:
                path: list[Hashable] = ["capabilities", name, "preferred_models", index]
                out.append(
                    f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}: {model!r} has a "
                    f"{size}-token context, below this capability's min_context "
                    f"{cap.min_context}; list a model with enough context or lower min_context"
                )
    return out


def chain_context_findings(sources: Sources) -> list[str]:
    out = []
    known = contexts(sources)
    for name, chain in sources.mappings.fallback_chains.items():
        primary = known.get(name)
        for index, target in enumerate(chain.chain):
            size = known.get(target)
            if primary and size and size * CONTEXT_RATIO < primary:
                path: list[Hashable] = ["fallback_chains", name, "chain", index]
                out.append(
                    f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}: {name!r} "
                    f"({primary} tokens) falls back to {target!r} ({size} tokens): a long "
                    "prompt the primary accepts fails there; put a model with a comparable "
                    "context first"
                )
    return out


def swapped_limit_findings(sources: Sources) -> list[str]:
    out = []
    default = sources.mappings.generator.default_rate_limit
    limits = [(["exact_matches", n, "rate_limit"], m.rate_limit)
              for n, m in sources.mappings.exact_matches.items()]  # fmt: skip
    limits.append((["generator", "default_rate_limit"], default))
    for path, limit in limits:
        if limit and limit.rpm and limit.tpm and limit.rpm > limit.tpm:
            out.append(
                f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}: rpm {limit.rpm} is "
                f"above tpm {limit.tpm} (every request would have to be under one token): "
                "rpm and tpm look swapped"
            )
    return out


def header_env_findings(config_dir: Path, doc: YamlDoc, text: str | None = None) -> list[str]:
    """Only for a gateproof-generated file (it has the header). ``text``: the file's, when
    already read."""
    if text is None:
        text = (config_dir / GENERATED_FILE).read_text(encoding="utf-8")
    header = _HEADER_ENV.search(text)
    if header is None:
        return []
    listed = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", header.group(1).replace("#", " ")))
    used = sorted(set(_ENV_REF.findall(text.split("\n\n", 1)[-1])))
    missing = [name for name in used if name not in listed]
    if not missing:
        return []
    return [
        f"{doc.name}:{text[: header.start()].count(chr(10)) + 1}: header: uses "
        f"{', '.join('os.environ/' + n for n in missing)} but does not list "
        f"{', '.join(missing)} among what the gateway's environment needs; regenerate with "
        "`gateproof generate` (the gateway would start without it)"
    ]
