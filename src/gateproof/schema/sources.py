"""The two hand-kept source files, loaded together, and what they route."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel

from gateproof.errors import ConfigError
from gateproof.schema.findings import dotted
from gateproof.schema.loading import Dropped, validate_leniently
from gateproof.schema.mappings import ExactMatch, MappingsFile
from gateproof.schema.providers import LITELLM_ROUTE, Provider, ProvidersFile
from gateproof.schema.yamlsrc import MAX_SOURCE_BYTES, YamlDoc, load_yaml

PROVIDERS_FILE = "providers.yaml"
MAPPINGS_FILE = "model-mappings.yaml"
GENERATED_FILE = "litellm-unified.yaml"
SOURCE_FILES = (PROVIDERS_FILE, MAPPINGS_FILE)
# What an OpenAI-style route sends when the local server wants no key (LiteLLM needs some value).
NO_KEY = "no-key-required"


@dataclass(frozen=True)
class RoutedModel:
    """One public model name the generated config serves."""

    name: str
    provider: str
    provider_type: str
    backend_model: str
    litellm_model: str
    api_base: str | None
    api_key: str | None
    rpm: int | None
    tpm: int | None
    priority: str


@dataclass
class Sources:
    config_dir: Path
    providers_doc: YamlDoc
    mappings_doc: YamlDoc
    providers_file: ProvidersFile
    mappings: MappingsFile
    sha256: str

    @property
    def providers(self) -> dict[str, Provider]:
        return self.providers_file.providers

    def active_providers(self) -> dict[str, Provider]:
        return {name: p for name, p in self.providers.items() if p.active}

    def where(self, file: str, path: Sequence[Hashable]) -> str:
        """``config/model-mappings.yaml:42`` for a dotted path into one of the two files."""
        doc = self.providers_doc if file == PROVIDERS_FILE else self.mappings_doc
        return doc.where(path)

    @cached_property
    def _routable(self) -> dict[str, RoutedModel]:
        active = self.active_providers()
        default_limit = self.mappings.generator.default_rate_limit
        routed: dict[str, RoutedModel] = {}
        for public, match in self.mappings.exact_matches.items():
            provider = active.get(match.provider)
            if provider is None or provider.base_url is None:
                continue
            limit = match.rate_limit or default_limit
            routed[public] = _route(
                public, match, provider, limit.rpm if limit else None, limit.tpm if limit else None
            )
        return routed

    def routable_models(self) -> dict[str, RoutedModel]:
        """Public model name -> route, for every exact match on an active provider.

        Computed once and shared: treat it as read-only."""
        return self._routable


def _route(
    public: str, match: ExactMatch, provider: Provider, rpm: int | None, tpm: int | None
) -> RoutedModel:
    prefix, wants_v1, wants_key = LITELLM_ROUTE[provider.type]
    backend = match.backend_model or public
    base = provider.base_url
    if base is not None and wants_v1 and not base.endswith("/v1"):
        base = f"{base}/v1"
    key = provider.api_key or (NO_KEY if wants_key else None)
    return RoutedModel(
        name=public,
        provider=match.provider,
        provider_type=provider.type,
        backend_model=backend,
        litellm_model=f"{prefix}/{backend}",
        api_base=base,
        api_key=key,
        rpm=rpm,
        tpm=tpm,
        priority=match.priority,
    )


@dataclass
class CheckedSources:
    """What parsed, for checks that must not wait for a clean schema (issue: one finding
    hides the rest). ``sources`` is None only when a file did not parse at all (``blocked``
    names it); otherwise it holds every entry that validated, the invalid ones left out
    (``dropped``), and ``findings`` lists every schema finding."""

    sources: Sources | None
    findings: list[str]
    blocked: list[str]
    dropped: list[tuple[str, Dropped]]  # (file, (path, why))

    @property
    def metadata_keys(self) -> list[str]:
        """Unknown keys read as the team's own metadata (no finding)."""
        return [f"{file}: {dotted(path)}" for file, (path, why) in self.dropped if why == "unknown"]

    @property
    def invalid_entries(self) -> list[str]:
        """What was left out besides plain unknown keys: a render of the rest lacks it."""
        return [f"{file}: {dotted(path)}" for file, (path, why) in self.dropped if why != "unknown"]

    def invalid_names(self) -> set[str]:
        """Providers, exact matches and chains with something left out (a bad field, a
        misspelt key, the whole entry), and the models routed to such a provider: findings
        about them are consequences of PRE-CFG-01's finding, not news."""
        sections = ("providers", "exact_matches", "fallback_chains")
        names = {
            str(path[1])
            for _file, (path, why) in self.dropped
            if why != "unknown" and len(path) >= 2 and path[0] in sections
        }
        if self.sources is not None:
            matches = self.sources.mappings.exact_matches
            names |= {name for name, match in matches.items() if match.provider in names}
        return names


def check_sources(config_dir: Path, max_bytes: int = MAX_SOURCE_BYTES) -> CheckedSources:
    """Load both files leniently: all findings, plus the sources minus what is invalid."""
    docs: dict[str, YamlDoc] = {}
    findings: list[str] = []
    blocked: list[str] = []
    for name in SOURCE_FILES:
        try:
            docs[name] = load_yaml(config_dir / name, max_bytes)
        except ConfigError as exc:
            findings.extend(exc.findings)
            blocked.append(name)
    models: dict[str, BaseModel] = {}
    dropped: list[tuple[str, Dropped]] = []
    for name, root in ((PROVIDERS_FILE, ProvidersFile), (MAPPINGS_FILE, MappingsFile)):
        if name not in docs:
            continue
        model, found, gone = validate_leniently(docs[name], root, metadata_ok=True)
        findings += found
        dropped += [(name, d) for d in gone]
        if model is None:
            blocked.append(name)
        else:
            models[name] = model
    if blocked:
        return CheckedSources(None, findings, blocked, dropped)
    return CheckedSources(_assemble(config_dir, docs, models), findings, blocked, dropped)


def _assemble(config_dir: Path, docs: dict[str, YamlDoc], models: dict[str, BaseModel]) -> Sources:
    digest = hashlib.sha256()
    for name in SOURCE_FILES:
        digest.update(f"{name}\0{docs[name].digest}\0".encode())
    providers = models[PROVIDERS_FILE]
    mappings = models[MAPPINGS_FILE]
    assert isinstance(providers, ProvidersFile) and isinstance(mappings, MappingsFile)
    return Sources(
        config_dir=config_dir,
        providers_doc=docs[PROVIDERS_FILE],
        mappings_doc=docs[MAPPINGS_FILE],
        providers_file=providers,
        mappings=mappings,
        sha256=digest.hexdigest(),
    )


def load_sources(config_dir: Path, max_bytes: int = MAX_SOURCE_BYTES) -> Sources:
    """Load and validate providers.yaml and model-mappings.yaml of ``config_dir`` (the team's
    own metadata keys allowed, see ``check_sources``).

    Raises ConfigError carrying every finding of both files (not just the first).
    """
    checked = check_sources(config_dir, max_bytes)
    if checked.findings or checked.sources is None:
        raise ConfigError(checked.findings or [f"{config_dir}: the sources do not validate"])
    return checked.sources
