"""The fallback graph and config coverage."""

from __future__ import annotations

from pathlib import Path

from gateproof import routing, suite_coverage
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


def test_coverage_counts_providers_through_their_models() -> None:
    sources = load_sources(REFERENCE)
    result = routing.coverage(sources, models=["qwen-coder-vllm"], chain_names=["default"])
    assert result.models["qwen-coder-vllm"] and not result.models["llama3.1:latest"]
    assert result.providers["vllm-qwen"] and not result.providers["ollama"]
    assert result.chains["default"]
    assert "openai-cloud" not in result.providers  # disabled: not part of the measure
    assert result.total == 6 + 4 + 5 and result.covered == 3  # 6 models with ratelimit-probe
    assert "provider ollama" in result.missing()


def test_node_ids_name_what_they_exercise() -> None:
    seen = suite_coverage.from_node_ids(
        [
            "tests/smoke/test_routing.py::test_routes[provider=llama-cpp]",
            "tests/post/test_models.py::test_answers[model=llama3.1:latest-provider=ollama]",
            "tests/post/test_fb.py::test_chain[chain=qwen-coder-vllm]",
            "tests/unit/test_x.py::test_plain",
            "tests/unit/test_x.py::test_other[ollama]",
        ]
    )
    assert seen.providers == {"llama-cpp", "ollama"}
    assert seen.models == {"llama3.1:latest"}
    assert seen.chains == {"qwen-coder-vllm"}
    assert seen.tests == 3


def test_passthrough_keeps_gateproof_options_but_not_the_record() -> None:
    args = [
        "-m",
        "predeploy",
        "--gateproof-config",
        "x.yaml",
        "--gateproof-record=out",
        "--gateproof-record",
        "dir",
        "tests/unit",
        "--gateproof-redis-port=1",
    ]
    assert suite_coverage.passthrough_args(args) == [
        "--gateproof-config",
        "x.yaml",
        "--gateproof-redis-port=1",
    ]
