"""Faults the gateway used to hide or the suite used to misread (issues 8 and 10), each against
the shared reference stack, undone afterwards: an impostor on the gateway port, a plain-text
traceback in the gateway log, a log rotated without reopen, a hung Redis (SIGSTOP), a provider
that works only because the gateway retries, a slow model, a provider port serving an HTML
page, a missing master key, PRE-INF-04 over its limit, and the billed /health opt-out.
(A gateway on another config file: ``test_live_checks.py::test_cache_disabled``; client
errors in the log of a healthy stack: ``test_healthy_stack_is_green_smoke``.)
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from live_suite import check_red

from gateproof.stack.faults import inject as fx
from gateproof.stack.faults.model import Scene
from gateproof.stack.impostor import impostor
from gateproof.stack.testing import ReferenceStack

DEP03 = ("-k", "test_gateway_service_restarted_and_clean")
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/opt/litellm/proxy/proxy_server.py", line 42, in startup\n'
    "    raise RuntimeError('gateproof selftest: worker crashed')\n"
    "RuntimeError: gateproof selftest: worker crashed\n"
)


def _gateway_log(stack: ReferenceStack) -> str:
    return str(stack.run.log("litellm").relative_to(stack.run.root))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_impostor_on_the_gateway_port(run: Any) -> None:
    with impostor(_free_port()) as url:
        record = run(
            "--gateproof-gateway-url", url, "-k", "restarted_and_clean or test_gateway_health",
            marker="smoke",
        )  # fmt: skip
    check_red(
        record,
        {"DEP-03", "SMK-01"},
        {
            "DEP-03": "is not served by the LiteLLM gateway",
            "SMK-01": "the gateway's readiness answer is not LiteLLM's",
        },
    )
    assert "http.server" in record.messages("DEP-03")  # what runs instead, by command line


def test_plain_text_traceback_in_the_log(
    run: Any, reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    lines = fx.appended(_gateway_log(reference_stack), TRACEBACK + "ERROR: plain line\n")
    with lines(Scene(reference_stack, tmp_path)):
        record = run(*DEP03, marker="smoke")
    check_red(
        record,
        {"DEP-03"},
        {"DEP-03": "traceback: RuntimeError: gateproof selftest: worker crashed"},
    )
    assert "ERROR ERROR: plain line" in record.messages("DEP-03")


def test_log_rotated_without_reopen(
    run: Any, reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    with fx.rotated_without_reopen(_gateway_log(reference_stack))(Scene(reference_stack, tmp_path)):
        record = run(*DEP03, marker="smoke")
    check_red(
        record, {"DEP-03"}, {"DEP-03": "is not the live log: this run's own request is not in it"}
    )


def test_hung_redis_is_reported_as_hung(
    run: Any, reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    with fx.sigstop("redis")(Scene(reference_stack, tmp_path)):
        record = run(
            "--gateproof-redis-timeout-s", "2", "-k", "redis_ping or redis_password",
            marker="predeploy",
        )  # fmt: skip
    port = reference_stack.port("redis")
    hung = "accepted the connection but did not answer"
    check_red(
        record,
        {"PRE-INF-03", "PRE-SEC-04"},
        {"PRE-INF-03": hung, "PRE-SEC-04": hung},
    )
    assert f"redis-cli -h 127.0.0.1 -p {port} --askpass PING" in record.messages("PRE-INF-03")
    assert "within 2 s (waited 2 s): it is up but not answering" in record.messages("PRE-INF-03")
    assert record.elapsed_s < 30, f"a hung Redis took {record.elapsed_s:.0f} s to report"


def test_provider_needing_retries(run: Any, standin: Any) -> None:
    standin("vllm-qwen", "qwen-coder-vllm", retry_needed=True)
    record = run()
    needed = "the provider needed 1 retry (x-litellm-attempted-retries: 1)"
    check_red(
        record,
        {"PRE-TST-02", "PRE-TST-03", "SMK-03"},
        {"PRE-TST-02": "answered 500", "PRE-TST-03": needed, "SMK-03": needed},
    )
    allowed = run("--gateproof-gateway-allow-retries", "true", "-k", "routed_to_its_provider",
                  marker="predeploy")  # fmt: skip
    check_red(allowed, set(), {})
    assert "passed with warning: the provider needed 1 retry" in allowed.messages("PRE-TST-03")


def test_slow_model(run: Any, standin: Any) -> None:
    standin("lmstudio", "mistral-7b-instruct", latency_ms=2500)
    record = run(
        "--gateproof-thresholds-slow-answer-s", "1.5",
        "-k", "routed_to_its_provider or routing_to_each_provider",
    )  # fmt: skip
    slow = "far over the 1.5 s a minimal completion may take (thresholds.slow_answer_s)"
    check_red(record, {"PRE-TST-03", "SMK-03"}, {"PRE-TST-03": slow, "SMK-03": slow})


def test_provider_port_serving_html(run: Any, standin: Any) -> None:
    standin("llama-cpp", "llama-cpp-default", html=True)
    record = run()
    check_red(
        record,
        {"PRE-TST-02", "PRE-TST-03", "PRE-INF-01", "SMK-03"},
        {
            "PRE-INF-01": "answered /v1/models with a body that is not JSON",
            "PRE-TST-02": "with a body that is not JSON",
        },
    )
    # Reachable and wrong: a failure of the item, not "could not check".
    assert record.outcome("PRE-INF-01") == "failed"
    assert record.outcome("PRE-TST-02") == "failed"
    assert "text/html" in record.messages("PRE-INF-01")


def test_missing_master_key_spares_checks_that_need_none(run: Any) -> None:
    record = run("--gateproof-gateway-master-key", "os.environ/GATEPROOF_SELFTEST_NO_SUCH_KEY")
    needs_key = {"PRE-TST-03", "PRE-INF-02", "SMK-02", "SMK-03", "SMK-04", "SMK-05"}
    check_red(record, needs_key, {i: "GATEPROOF_SELFTEST_NO_SUCH_KEY" for i in needs_key})
    for item in ("SMK-01", "PRE-SEC-01", "DEP-03"):
        assert record.outcome(item) == "passed", record.messages(item)


def test_cpu_over_its_limit(run: Any) -> None:
    """PRE-INF-04 goes red with the measured 5-minute figure when the limit is below it."""
    record = run("--gateproof-thresholds-cpu-percent", "0.01", "-k", "resources",
                 marker="predeploy")  # fmt: skip
    check_red(record, {"PRE-INF-04"}, {"PRE-INF-04": "host local is short of resources"})
    message = record.messages("PRE-INF-04")
    assert "> 0.01%" in message, message
    # The node exporter's figure once its series span the 5 minutes; a stack younger than
    # that is measured by the load average, and the evidence says why.
    through_prometheus = "5-minute average through Prometheus" in message
    assert through_prometheus or "load average 5m" in message, message


def test_billed_health_opt_out_is_not_applicable(run: Any) -> None:
    record = run("-k", "billed_health", marker="predeploy")
    (test,) = [t for t in record.items["PRE-INF-02"]["tests"] if "billed_health" in t["nodeid"]]
    assert test["outcome"] == "not_applicable", test
    assert "billed /health disabled by setting gateway.billed_health" in test["message"]
