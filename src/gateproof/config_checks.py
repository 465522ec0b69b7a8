"""The predeploy configuration checks as functions: each returns findings (empty = holds).

The acceptance tests in ``tests/unit`` assert that these return nothing; the selftests run
them over ``fixtures/configs``. Each finding names ``file:line`` and what to do.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Hashable, Sequence
from pathlib import Path

from gateproof import routing
from gateproof.errors import ConfigError
from gateproof.generate import RATE_LIMIT_CHECK, check
from gateproof.probes.endpoint import endpoint
from gateproof.schema import (
    GENERATED_FILE,
    MAPPINGS_FILE,
    NO_KEY,
    PROVIDERS_FILE,
    SOURCE_FILES,
    LiteLLMConfig,
    Sources,
    YamlDoc,
    load_litellm_config,
    load_sources,
)
from gateproof.schema.base import SECRET_REF
from gateproof.schema.findings import did_you_mean, dotted
from gateproof.schema.yamlsrc import load_yaml, without_gc
from gateproof.secretscan import mask

CHECK_IDS = (
    "PRE-CFG-01",
    "PRE-CFG-02",
    "PRE-CFG-03",
    "PRE-CFG-04",
    "PRE-CFG-05",
    "PRE-SEC-02",
    "PRE-SEC-05",
    "PRE-SEC-06",
)
# Switches meant for tests or debugging only: (section, key, value that is dangerous)
TEST_SWITCHES: tuple[tuple[str, str, object], ...] = (
    ("general_settings", "dangerously_allow_mock_testing_request_params", True),
    ("litellm_settings", "set_verbose", True),
    ("general_settings", "allow_requests_on_db_unavailable", True),
)
DANGEROUS_ENV = re.compile(r"^LITELLM_DANGEROUSLY_|^DETAILED_DEBUG$|^LITELLM_LOG$|^DEBUG$")
_SECRET_KEY = re.compile(r"(^|_)(key|password|secret|token)$|^database_url$", re.IGNORECASE)


def generated(config_dir: Path) -> tuple[LiteLLMConfig, YamlDoc]:
    """The committed generated config (ConfigError when missing or invalid)."""
    return load_litellm_config(config_dir / GENERATED_FILE)


def schema_findings(config_dir: Path, settings_file: Path | None = None) -> list[str]:
    """PRE-CFG-01: both sources, the generated config and the settings file load strictly."""
    out: list[str] = []
    for load in (lambda: load_sources(config_dir), lambda: generated(config_dir)):
        try:
            load()
        except ConfigError as exc:
            out += exc.findings
    if settings_file is not None and settings_file.is_file():
        from gateproof.schema.loading import load_model
        from gateproof.settings import Settings

        try:
            load_model(settings_file, Settings)
        except ConfigError as exc:
            out += exc.findings
    return out


def drift_findings(config_dir: Path) -> list[str]:
    """PRE-CFG-02: the committed file equals a fresh render apart from the version stamp."""
    diff = check(config_dir)
    if not diff:
        return []
    target = config_dir / GENERATED_FILE
    return [
        f"{target}:1: differs from what providers.yaml + model-mappings.yaml generate (stale or "
        f"edited by hand); regenerate with "
        f"`gateproof generate --config-dir {shlex.quote(str(config_dir))}`\n" + diff
    ]


def _server(url: str) -> tuple[tuple[str, int], str]:
    """(host, port) identifying the server behind ``url`` (loopback spellings are one host),
    and ``host:port`` as written."""
    where = endpoint(url)
    host, port = where.host, where.port
    key = "loopback" if host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.") else host
    return (key, port), f"{host}:{port}"


@without_gc
def registry_findings(sources: Sources) -> list[str]:
    """PRE-CFG-03: active providers have a base URL and models; no shared host:port."""
    out: list[str] = []
    active = sources.active_providers()
    if not active:
        where = sources.where(PROVIDERS_FILE, ["providers"])
        out.append(f"{where}: providers: no provider is active; set status: active on one")
    seen: dict[tuple[str, int], tuple[str, str]] = {}
    for name, provider in active.items():
        base: list[Hashable] = ["providers", name]
        where = sources.where(PROVIDERS_FILE, base)
        if provider.base_url is None:
            out.append(f"{where}: providers.{name}: active but has no base_url")
        else:
            addr, shown = _server(provider.base_url)
            if addr in seen:
                other, other_shown = seen[addr]
                same = "" if shown == other_shown else f" ({other_shown}: the same server)"
                out.append(
                    f"{sources.where(PROVIDERS_FILE, [*base, 'base_url'])}: providers.{name}."
                    f"base_url: {shown} is already the address of provider {other!r}{same}; "
                    "two providers cannot be the same server"
                )
            seen.setdefault(addr, (name, shown))
        if not provider.models:
            out.append(f"{where}: providers.{name}: active but lists no models")
        listed: set[str] = set()
        for index, model in enumerate(provider.model_names()):
            if model not in listed:
                listed.add(model)
            else:
                path = [*base, "models", index]
                out.append(
                    f"{sources.where(PROVIDERS_FILE, path)}: {dotted(path)}: "
                    f"model {model!r} listed twice"
                )
        if provider.type in ("openai", "anthropic") and provider.api_key is None:
            out.append(
                f"{where}: providers.{name}: type {provider.type} needs api_key: os.environ/NAME"
            )
    return out


@without_gc
def mapping_findings(sources: Sources) -> list[str]:
    """PRE-CFG-04: exact matches for every active model; mappings, patterns and capabilities
    refer to things that exist and are active."""
    out: list[str] = []
    providers = sources.providers
    matches = sources.mappings.exact_matches
    served = {(m.provider, m.backend_model or name) for name, m in matches.items()}
    for pname, provider in sources.active_providers().items():
        for index, model in enumerate(provider.models):
            if (pname, model.name) not in served:
                model_path: list[Hashable] = ["providers", pname, "models", index]
                out.append(
                    f"{sources.where(PROVIDERS_FILE, model_path)}: {dotted(model_path)}: model "
                    f"{model.name!r} of active provider {pname!r} has no exact match; add it "
                    f"to exact_matches in {MAPPINGS_FILE}"
                )
    for name, match in matches.items():
        target = providers.get(match.provider)
        if (
            target is not None
            and target.active
            and (match.backend_model or name) in target.model_set
        ):
            continue  # the common case: no finding, no line lookup
        path: list[Hashable] = ["exact_matches", name, "provider"]
        label = f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}"
        if target is None:
            out.append(
                f"{label}: unknown provider {match.provider!r}"
                f"{did_you_mean(match.provider, providers)}"
            )
        elif not target.active:
            out.append(
                f"{label}: provider {match.provider!r} is {target.status}; map the "
                "model to an active provider or remove the mapping"
            )
        else:
            field = "backend_model" if match.backend_model else "name"
            backend = match.backend_model or name
            hint = did_you_mean(backend, target.model_names())
            out.append(
                f"{label}: provider {match.provider!r} does not list model {backend!r} "
                f"({field}); add it to its models in {PROVIDERS_FILE}{hint}"
            )
    out += _pattern_findings(sources)
    out += _capability_findings(sources)
    return out


def _provider_ref(sources: Sources, name: str, path: Sequence[Hashable]) -> str | None:
    provider = sources.providers.get(name)
    label = f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}"
    if provider is None:
        return f"{label}: unknown provider {name!r}{did_you_mean(name, sources.providers)}"
    if not provider.active:
        return f"{label}: provider {name!r} is {provider.status}; name an active provider"
    return None


def _pattern_findings(sources: Sources) -> list[str]:
    out = []
    for index, pattern in enumerate(sources.mappings.patterns):
        try:
            re.compile(pattern.pattern)
        except re.error as exc:
            path = ["patterns", index, "pattern"]
            out.append(
                f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}: "
                f"{pattern.pattern!r} is not a valid regex: {exc}"
            )
        problem = _provider_ref(sources, pattern.provider, ["patterns", index, "provider"])
        out += [problem] if problem else []
    return out


def _capability_findings(sources: Sources) -> list[str]:
    out = []
    routable = sources.routable_models()
    for name, cap in sources.mappings.capabilities.items():
        for index, model in enumerate(cap.preferred_models):
            path: list[Hashable] = ["capabilities", name, "preferred_models", index]
            if model not in routable:
                out.append(
                    f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}: "
                    f"{routing.model_problem(sources, model)}"
                )
        refs: list[tuple[str, list[Hashable]]] = []
        if cap.provider:
            refs.append((cap.provider, ["capabilities", name, "provider"]))
        refs += [(p, ["capabilities", name, "providers", i]) for i, p in enumerate(cap.providers)]
        for provider, ref_path in refs:
            problem = _provider_ref(sources, provider, ref_path)
            out += [problem] if problem else []
    for group, lb in sources.mappings.load_balancing.items():
        for index, item in enumerate(lb.providers):
            problem = _provider_ref(
                sources, item.provider, ["load_balancing", group, "providers", index]
            )
            out += [problem] if problem else []
    return out


@without_gc
def fallback_findings(sources: Sources, config_dir: Path) -> list[str]:
    """PRE-CFG-05: the graph of the sources and the router fallbacks of the committed file."""
    out = routing.check_source_fallbacks(sources)
    try:
        config, doc = generated(config_dir)
    except ConfigError:
        return out  # PRE-CFG-01 reports an unloadable generated file
    in_file = routing.check_generated_fallbacks(config, doc)
    if out and in_file and not check(config_dir):
        return out  # the file is current: its findings repeat the sources' (fix those)
    return out + in_file


@without_gc
def rate_limit_findings(config: LiteLLMConfig, doc: YamlDoc, sources: Sources | None) -> list[str]:
    """PRE-SEC-02 (static): every model has rpm/tpm and the router enforces them."""
    out = []
    for index, entry in enumerate(config.model_list):
        params = entry.litellm_params
        if params.rpm is None and params.tpm is None:
            path = ["model_list", index, "litellm_params"]
            where = f"{doc.where(path)}: {dotted(path)}"
            source = ""
            if sources is not None and entry.model_name in sources.mappings.exact_matches:
                src = sources.where(MAPPINGS_FILE, ["exact_matches", entry.model_name])
                source = f" (source: {src})"
            out.append(
                f"{where}: model {entry.model_name!r} has no rpm/tpm; add rate_limit: "
                f"{{rpm: N, tpm: N}} to its exact match{source} or generator.default_rate_limit"
                ", then `gateproof generate`"
            )
    checks = config.router_settings.optional_pre_call_checks
    if RATE_LIMIT_CHECK not in checks:
        path = ["router_settings", "optional_pre_call_checks"]
        out.append(
            f"{doc.where(path)}: {dotted(path)}: {checks!r} lacks {RATE_LIMIT_CHECK!r}; without "
            "it LiteLLM ignores rpm/tpm (regenerate with `gateproof generate`)"
        )
    return out


@without_gc
def source_rate_limit_findings(sources: Sources) -> list[str]:
    """PRE-SEC-02 on the sources: every model that would be generated has rpm/tpm (the
    committed file may still carry limits the sources no longer give)."""
    out = []
    for name, model in sources.routable_models().items():
        if model.rpm is None and model.tpm is None:
            path = ["exact_matches", name]
            out.append(
                f"{sources.where(MAPPINGS_FILE, path)}: {dotted(path)}: no rate_limit and no "
                "generator.default_rate_limit; add rate_limit: {rpm: N, tpm: N}"
            )
    return out


@without_gc
def literal_secret_findings(doc: YamlDoc) -> list[str]:
    """PRE-SEC-05 (static part): secret-looking values of a config file are references."""
    out = []
    data = doc.data if isinstance(doc.data, dict) else {}
    for path, key, value in _walk(data, []):
        if not isinstance(value, str) or not _SECRET_KEY.search(str(key)):
            continue
        if SECRET_REF.match(value) or (key == "api_key" and value == NO_KEY):
            continue
        out.append(
            f"{doc.where(path)}: {dotted(path)}: literal value (masked: {mask(value)}); write "
            "os.environ/NAME and keep the value in the gateway's environment"
        )
    return out


def source_secret_findings(config_dir: Path) -> list[str]:
    """PRE-SEC-05 on the sources as they are now, committed or not (a key pasted a minute ago
    is not in the history yet)."""
    out: list[str] = []
    for name in SOURCE_FILES:
        try:
            doc = load_yaml(config_dir / name)
        except ConfigError:
            continue  # PRE-CFG-01 reports a file that does not parse
        out += literal_secret_findings(doc)
    return out


def _walk(node: object, path: list[Hashable]) -> list[tuple[list[Hashable], Hashable, object]]:
    found: list[tuple[list[Hashable], Hashable, object]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                found += _walk(value, [*path, key])
            else:
                found.append(([*path, key], key, value))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, [*path, index])
    return found


@without_gc
def switch_findings(config: LiteLLMConfig, doc: YamlDoc) -> list[str]:
    """PRE-SEC-06: switches meant for tests are off; no model answers with a canned mock."""
    out = []
    for section, key, bad in TEST_SWITCHES:
        if getattr(getattr(config, section), key) == bad:
            path: list[Hashable] = [section, key]
            out.append(
                f"{doc.where(path)}: {dotted(path)}: {bad!r} is a test/debug switch; "
                "remove it for production (or waive it for staging)"
            )
    for index, entry in enumerate(config.model_list):
        if entry.litellm_params.mock_response is not None:
            path = ["model_list", index, "litellm_params", "mock_response"]
            out.append(
                f"{doc.where(path)}: {dotted(path)}: model {entry.model_name!r} answers "
                "with a canned mock_response; remove it"
            )
    for name, value in config.environment_variables.items():
        if DANGEROUS_ENV.search(name) and value.lower() not in ("", "false", "0", "info"):
            path = ["environment_variables", name]
            out.append(f"{doc.where(path)}: {dotted(path)}: debug/danger switch set; remove it")
    return out


def run_all(config_dir: Path, settings_file: Path | None = None) -> dict[str, list[str]]:
    """Every check above on one config dir: checklist ID -> findings. Checks that need the
    sources (or the generated file) do not run when it does not load; PRE-CFG-01 says why."""
    results: dict[str, list[str]] = {item: [] for item in CHECK_IDS}
    results["PRE-CFG-01"] = schema_findings(config_dir, settings_file)
    results["PRE-SEC-05"] = source_secret_findings(config_dir)
    try:
        sources: Sources | None = load_sources(config_dir)
    except ConfigError:
        sources = None
    if sources is not None:
        results["PRE-CFG-02"] = drift_findings(config_dir)
        results["PRE-CFG-03"] = registry_findings(sources)
        results["PRE-CFG-04"] = mapping_findings(sources)
        results["PRE-CFG-05"] = fallback_findings(sources, config_dir)
    try:
        config, doc = generated(config_dir)
    except ConfigError:
        return results
    results["PRE-SEC-02"] = rate_limit_findings(config, doc, sources)
    if sources is not None:
        results["PRE-SEC-02"] += source_rate_limit_findings(sources)
    results["PRE-SEC-05"] += literal_secret_findings(doc)
    results["PRE-SEC-06"] = switch_findings(config, doc)
    return results


def report(item: str, what: str, findings: list[str]) -> str:
    """The failure text of one checklist item: a headline, then every finding."""
    lines = [f"{item} {what}: {len(findings)} problem(s)"]
    lines += [f"  {finding}" for finding in findings]
    return "\n".join(lines)
