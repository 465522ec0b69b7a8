"""The fallback graph."""

from __future__ import annotations

from pathlib import Path

from gateproof import routing
from gateproof.schema import load_sources

REFERENCE = Path(__file__).resolve().parents[2] / "config"


def test_cycles_are_reported_once_as_paths() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "x": ["y"], "y": ["x"]}
    cycles = routing.find_cycles(graph)
    assert ["a", "b", "c", "a"] in cycles and ["x", "y", "x"] in cycles
    assert len(cycles) == 2


def test_no_cycle_in_a_dag_and_depths_count_hops() -> None:
    graph = {"a": ["b", "c"], "b": ["c"], "c": ["d"], "d": []}
    assert routing.find_cycles(graph) == []
    assert routing.depths(graph) == {"a": 3, "b": 2, "c": 1, "d": 0}


def test_long_chain_graph_is_handled_without_recursion() -> None:
    graph = {f"m{i}": [f"m{i + 1}"] for i in range(20000)}
    assert routing.find_cycles(graph) == []
    assert routing.depths(graph)["m0"] == 20000
    graph["m19999"] = ["m0"]
    cycle = routing.find_cycles(graph)[0]
    assert cycle[0] == cycle[-1] and len(cycle) == 20001


def test_reference_graph_is_clean_and_its_depth_is_known() -> None:
    sources = load_sources(REFERENCE)
    assert routing.check_source_fallbacks(sources) == []
    assert routing.depths(routing.chains(sources))["qwen-coder-vllm"] == 4
