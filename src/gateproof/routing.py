"""The fallback graph: what answers when a model fails, checked for dangling, inactive, self and
duplicate targets, provider names used as models, cycles and depth.

Edges come from ``fallback_chains`` (``default`` feeds LiteLLM's ``default_fallbacks`` and is
checked for its targets, not as graph edges: it applies to every model without a chain),
capability fallbacks, pattern and provider fallbacks (these name providers), and the router
fallbacks of the generated LiteLLM config.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from gateproof.schema import MAPPINGS_FILE, PROVIDERS_FILE, Sources
from gateproof.schema.findings import did_you_mean, dotted
from gateproof.schema.litellm import LiteLLMConfig
from gateproof.schema.yamlsrc import YamlDoc, without_gc

DEFAULT_CHAIN = "default"


def model_problem(sources: Sources, name: str) -> str:
    """Why ``name`` is not a routable model, with a suggestion."""
    routable = sources.routable_models()
    providers = sources.providers
    if name in providers:
        served = [m.name for m in routable.values() if m.provider == name]
        hint = f" (did you mean {served[0]!r}?)" if served else did_you_mean(name, routable)
        return f"{name!r} is a provider, not a model{hint}"
    match = sources.mappings.exact_matches.get(name)
    if match is not None:
        provider = providers.get(match.provider)
        state = "unknown" if provider is None else provider.status
        return (
            f"{name!r} is mapped to provider {match.provider!r}, which is {state}, so it is not "
            "in the generated model list; point it at an active model"
        )
    return _unmapped_problem(sources, name) or (
        f"{name!r} is not a model of this deployment{did_you_mean(name, routable)}"
    )


def _unmapped_problem(sources: Sources, name: str) -> str | None:
    """A provider's own model id used where a public name belongs, if that is the case."""
    public = [p for p, m in sources.mappings.exact_matches.items() if m.backend_model == name]
    if public:
        return f"{name!r} is a backend model id; name the public model {public[0]!r} instead"
    providers = sources.providers
    listed_by = [p for p, provider in providers.items() if name in provider.model_set]
    if not listed_by:
        return None
    states = ", ".join(f"{p!r} ({providers[p].status})" for p in listed_by)
    fix = (
        "map it in exact_matches"
        if any(providers[p].active for p in listed_by)
        else "name a model of an active provider"
    )
    return (
        f"{name!r} is listed by provider {states} but has no exact match, so it is not in "
        f"the generated model list; {fix}"
    )


def _check_targets(
    sources: Sources, owner: str, targets: Sequence[str], path: Sequence[Hashable]
) -> list[str]:
    routable = sources.routable_models()
    out = []
    seen: dict[str, int] = {}
    for index, target in enumerate(targets):
        if target in routable and target != owner and target not in seen:
            seen[target] = index
            continue  # the common case: no finding, no line lookup
        label = f"{sources.where(MAPPINGS_FILE, [*path, index])}: {dotted([*path, index])}"
        if target == owner:
            out.append(f"{label}: {target!r} falls back to itself; remove it")
        elif target in seen:
            out.append(f"{label}: {target!r} is listed twice (first at [{seen[target]}])")
        elif target not in routable:
            out.append(f"{label}: {model_problem(sources, target)}")
        seen.setdefault(target, index)
    return out


def chains(sources: Sources) -> dict[str, list[str]]:
    """Model -> fallback targets, from fallback_chains (without ``default``)."""
    return {
        name: list(chain.chain)
        for name, chain in sources.mappings.fallback_chains.items()
        if name != DEFAULT_CHAIN
    }


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every elementary cycle reachable by DFS, each once, as ``[a, b, c, a]``."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    for root in graph:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, next_index = stack[-1]
            targets = graph.get(node, [])
            if next_index >= len(targets):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, next_index + 1)
            target = targets[next_index]
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                key = frozenset(cycle)
                if key not in seen_sets and len(cycle) > 2:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif not state.get(target):
                state[target] = 1
                stack.append((target, 0))
                path.append(target)
    return cycles


def depths(graph: dict[str, list[str]]) -> dict[str, int]:
    """Longest fallback path from each model (cycles cut), in hops."""
    memo: dict[str, int] = {}
    for root in graph:
        if root in memo:
            continue
        # iterative post-order; a node met again while open is part of a cycle: counts 0
        stack: list[tuple[str, bool]] = [(root, False)]
        open_nodes: set[str] = set()
        while stack:
            node, expanded = stack.pop()
            if expanded:
                open_nodes.discard(node)
                best = 0
                for target in graph.get(node, []):
                    best = max(best, 1 + memo.get(target, 0))
                memo[node] = best
                continue
            if node in memo or node in open_nodes:
                continue
            open_nodes.add(node)
            stack.append((node, True))
            for target in graph.get(node, []):
                if target not in memo and target not in open_nodes:
                    stack.append((target, False))
    return memo


@without_gc
def check_source_fallbacks(sources: Sources) -> list[str]:
    """PRE-CFG-05 on the sources: every finding, each with file:line and what to do."""
    out: list[str] = []
    routable = sources.routable_models()
    limit = sources.mappings.generator.max_fallbacks
    for name, chain in sources.mappings.fallback_chains.items():
        path: list[Hashable] = ["fallback_chains", name, "chain"]
        if name != DEFAULT_CHAIN and name not in routable:
            where = sources.where(MAPPINGS_FILE, ["fallback_chains", name])
            out.append(f"{where}: fallback_chains.{name}: chain for {model_problem(sources, name)}")
        out += _check_targets(sources, name, chain.chain, path)
        if len(chain.chain) > limit:
            where = sources.where(MAPPINGS_FILE, [*path, limit])
            out.append(
                f"{where}: {dotted(path)}: {len(chain.chain)} targets, but LiteLLM tries at most "
                f"max_fallbacks={limit}; targets after [{limit - 1}] are never tried"
            )
    graph = chains(sources)
    for cycle in find_cycles(graph):
        where = sources.where(MAPPINGS_FILE, ["fallback_chains", cycle[0]])
        out.append(
            f"{where}: fallback_chains: cycle {' -> '.join(cycle)}; break it by removing one "
            "of these targets"
        )
    for name, depth in depths(graph).items():
        if depth > limit and name in graph:
            where = sources.where(MAPPINGS_FILE, ["fallback_chains", name])
            out.append(
                f"{where}: fallback_chains.{name}: falls back {depth} levels deep "
                f"(more than max_fallbacks={limit}); shorten the chains"
            )
    for name, cap in sources.mappings.capabilities.items():
        out += _check_targets(sources, "", cap.fallback, ["capabilities", name, "fallback"])
    for name, match in sources.mappings.exact_matches.items():
        if match.fallback:
            out += _check_targets(
                sources, name, match.fallback, ["exact_matches", name, "fallback"]
            )
    out += _provider_fallbacks(sources)
    return out


def _provider_fallbacks(sources: Sources) -> list[str]:
    """Pattern and provider fallbacks name providers: they must exist and be active."""
    out = []
    providers = sources.providers
    refs: list[tuple[str, str, list[Hashable]]] = []
    for index, pattern in enumerate(sources.mappings.patterns):
        if pattern.fallback is not None:
            refs.append((MAPPINGS_FILE, pattern.fallback, ["patterns", index, "fallback"]))
    for name, provider in providers.items():
        if provider.fallback is not None:
            if provider.fallback == name:
                where = sources.where(PROVIDERS_FILE, ["providers", name, "fallback"])
                out.append(f"{where}: providers.{name}.fallback: falls back to itself")
                continue
            refs.append((PROVIDERS_FILE, provider.fallback, ["providers", name, "fallback"]))
    for file, target, path in refs:
        if target in providers and providers[target].active:
            continue  # fine: the place is looked up only for a finding
        where = f"{sources.where(file, path)}: {dotted(path)}"
        if target not in providers:
            hint = did_you_mean(target, providers)
            what = "a model, not a provider" if target in sources.routable_models() else "unknown"
            out.append(f"{where}: provider {target!r} is {what}{hint}")
        elif not providers[target].active:
            out.append(
                f"{where}: provider {target!r} is {providers[target].status}; name an active one"
            )
    return out


@without_gc
def check_generated_fallbacks(config: LiteLLMConfig, doc: YamlDoc) -> list[str]:
    """PRE-CFG-05 on the generated config: router fallbacks name model groups it defines."""
    out = []
    names = {entry.model_name for entry in config.model_list}
    router = config.router_settings
    graph: dict[str, list[str]] = {}
    for index, item in enumerate(router.fallbacks):
        for source, targets in item.items():
            graph.setdefault(source, []).extend(targets)
            base: list[Hashable] = ["router_settings", "fallbacks", index, source]
            for pos, target in enumerate(targets):
                if target != source and target in names:
                    continue  # the common case: the place is only looked up for a finding
                label = f"{doc.where([*base, pos])}: {dotted([*base, pos])}"
                if target == source:
                    out.append(f"{label}: {target!r} falls back to itself")
                else:
                    out.append(
                        f"{label}: {target!r} is not a model_name of this config"
                        f"{did_you_mean(target, names)}; regenerate with `gateproof generate`"
                    )
    for pos, target in enumerate(router.default_fallbacks):
        if target not in names:
            path: list[Hashable] = ["router_settings", "default_fallbacks", pos]
            out.append(
                f"{doc.where(path)}: {dotted(path)}: {target!r} is not a model_name of this "
                f"config{did_you_mean(target, names)}"
            )
    for cycle in find_cycles(graph):
        out.append(
            f"{doc.where(['router_settings', 'fallbacks'])}: router_settings.fallbacks: "
            f"cycle {' -> '.join(cycle)}"
        )
    return out
