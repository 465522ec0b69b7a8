"""The per-replica checks on a stack with two gateway replicas: green when both run the
deployed config on the shared Redis, and red naming replica 2 when it is made to differ from
outside (restarted on another config file, pointed at another Redis, stopped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from replica_suite import config_copy, own_redis, restart_replica, run_suite

from gateproof.stack import process
from gateproof.stack.layout import replica_port
from gateproof.stack.state import StackState
from gateproof.stack.testing import ReferenceStack

# The per-replica tests (not their PST-01 re-runs), less the rate-limit probe model's
# routing: it would use up the probe's rpm before PST-04's burst (which then waits for the
# next minute), and a burst of another test may have used it (a 429 there is the shared
# limit working, not the fault injected).
PER_REPLICA = "replica and not again and not ratelimit"
ITEMS = ("PRE-TST-03", "DEP-03", "SMK-05", "PST-04")


def _second(stack: ReferenceStack) -> str:
    return f"http://127.0.0.1:{replica_port(stack.base_port, 2)}"


def _per_replica(record: Any, item: str) -> list[dict[str, Any]]:
    """The item's per-replica tests that the selection ran (the record lists deselected ones)."""
    chosen = [t for t in record.tests(item) if "replica" in t["nodeid"]]
    return [t for t in chosen if "ratelimit" not in t["nodeid"] and "again" not in t["nodeid"]]


def test_both_replicas_pass_when_alike(replica_stack: ReferenceStack, tmp_path: Path) -> None:
    record = run_suite(replica_stack, tmp_path / "rec", "predeploy or smoke or postdeploy",
                       PER_REPLICA)  # fmt: skip
    assert record.red() == set(), record.output[-3000:]
    first, second = replica_stack.gateway_url, _second(replica_stack)
    for item in ITEMS:
        tests = _per_replica(record, item)
        assert tests and all(t["outcome"] == "passed" for t in tests), (item, tests)
    ids = " ".join(t["nodeid"] for t in _per_replica(record, "DEP-03"))
    assert f"replica={first}" in ids and f"replica={second}" in ids
    routed = " ".join(t["nodeid"] for t in _per_replica(record, "PRE-TST-03"))
    assert f"replica={second}" in routed


def _move_mistral(data: dict[str, Any]) -> None:
    """One model changed: mistral-7b-instruct sent to the llama-cpp provider."""
    entries = {e["model_name"]: e["litellm_params"] for e in data["model_list"]}
    entries["mistral-7b-instruct"]["api_base"] = entries["llama-cpp-default"]["api_base"]


def test_replica_on_another_config_is_named(replica_stack: ReferenceStack, tmp_path: Path) -> None:
    other = config_copy(replica_stack, tmp_path / "litellm-edited.yaml", _move_mistral)
    restart_replica(replica_stack, 2, other)
    try:
        record = run_suite(replica_stack, tmp_path / "rec", "predeploy or smoke", PER_REPLICA)
    finally:
        restart_replica(replica_stack, 2)
    second, port = _second(replica_stack), replica_port(replica_stack.base_port, 2)
    assert record.red() == {"PRE-TST-03", "DEP-03"}, record.output[-3000:]
    bad = record.bad_tests("DEP-03")
    assert [t["outcome"] for t in bad] == ["failed"] and f"replica={second}" in bad[0]["nodeid"]
    assert "runs another config than the deployed one" in bad[0]["message"]
    assert f"port {port} (replica 2 of 2 {second}" in bad[0]["message"]
    assert f"started with {other} (--config" in bad[0]["message"]
    bad = record.bad_tests("PRE-TST-03")
    assert [t["nodeid"].split("[")[1] for t in bad] == [
        f"model=mistral-7b-instruct-replica={second}]"
    ]
    assert (
        f"replica 2 of 2 {second} did not route model 'mistral-7b-instruct'" in (bad[0]["message"])
    )


def test_replica_on_another_redis_is_named(replica_stack: ReferenceStack, tmp_path: Path) -> None:
    port = replica_stack.base_port + 140  # clear of the stack's own ports

    def elsewhere(data: dict[str, Any]) -> None:
        data["litellm_settings"]["cache_params"]["port"] = port
        data["router_settings"]["redis_port"] = port

    with own_redis(tmp_path, port, replica_stack.redis_password):
        restart_replica(replica_stack, 2, config_copy(replica_stack, tmp_path / "r.yaml",
                                                      elsewhere))  # fmt: skip
        try:
            record = run_suite(replica_stack, tmp_path / "rec", "smoke or postdeploy",
                               "shared_by_replicas and not again")  # fmt: skip
        finally:
            restart_replica(replica_stack, 2)
    second = _second(replica_stack)
    assert record.red() == {"SMK-05", "PST-04"}, record.output[-3000:]
    cache = record.bad_tests("SMK-05")
    assert len(cache) == 1 and f"replica={second}" in cache[0]["nodeid"]
    assert (
        f"cached through replica 1 was not a cache hit through replica 2 of 2 {second}"
        in (cache[0]["message"])
    )
    limit = record.bad_tests("PST-04")
    assert (
        len(limit) == 1 and "the rate limit is not shared by the replicas" in (limit[0]["message"])
    )
    assert f"replica 2 ({second})" in limit[0]["message"]


def test_stopped_replica_errors_naming_it(replica_stack: ReferenceStack, tmp_path: Path) -> None:
    state = StackState.load(replica_stack.run)
    assert state is not None
    gone = next(c for c in state.components if c.name == "litellm-2")
    process.terminate({gone.pid: gone.start_time}, 10.0)
    try:
        record = run_suite(replica_stack, tmp_path / "rec", "predeploy or smoke", PER_REPLICA)
    finally:
        restart_replica(replica_stack, 2)
    second = _second(replica_stack)
    assert record.red() == {"PRE-TST-03", "DEP-03", "SMK-05"}, record.output[-3000:]
    for item in ("PRE-TST-03", "DEP-03", "SMK-05"):
        bad = record.bad_tests(item)
        assert bad and all(t["outcome"] == "error" for t in bad), (item, bad)
        assert all(f"replica={second}" in t["nodeid"] for t in bad), (item, bad)
        assert all(second in t["message"] and "gateway.replicas" in t["message"] for t in bad)
