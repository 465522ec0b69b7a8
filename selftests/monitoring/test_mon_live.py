"""tests/monitoring against the running reference stack: GREEN when healthy (with and
without the destructive MON-07), and each fault of the issue turns its item red with the
message an operator needs. Every fault is undone before the next test."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from mon_live import (
    edited,
    free_port,
    reload_prometheus,
    replaced,
    run_monitoring,
    second_alertmanager,
)

from gateproof.stack.suite_run import SuiteRun
from gateproof.stack.testing import ReferenceStack

NON_DESTRUCTIVE = {"MON-01", "MON-02", "MON-03", "MON-05", "MON-06", "MON-08"}
_runs = itertools.count()


@pytest.fixture
def run(reference_stack: ReferenceStack, tmp_path_factory: pytest.TempPathFactory) -> Any:
    def go(*args: str, env: dict[str, str] | None = None) -> SuiteRun:
        out = tmp_path_factory.mktemp(f"monrecord{next(_runs)}")
        return run_monitoring(reference_stack.settings_path, out, *args, env=env)

    return go


def _red_only(record: SuiteRun, expected: set[str], fragments: dict[str, str]) -> None:
    assert record.red() == expected, record.explain()
    assert record.returncode != 0, record.explain()
    for item, fragment in fragments.items():
        assert fragment in record.messages(item), record.explain()


def test_healthy_stack_is_green(run: Any) -> None:
    record = run()
    assert {i for i in NON_DESTRUCTIVE if record.outcome(i) == "passed"} == NON_DESTRUCTIVE, (
        record.explain()
    )
    assert record.outcome("MON-07") != "passed", record.explain()  # not allowed: not run
    assert not record.red(), record.explain()


def test_healthy_stack_is_green_with_destructive(run: Any) -> None:
    record = run("--gateproof-allow-destructive")
    assert all(v["outcome"] == "passed" for v in record.items.values()), record.explain()
    assert set(record.items) == NON_DESTRUCTIVE | {"MON-07"}
    assert record.returncode == 0, record.explain()


def test_exporter_stopped(run: Any, reference_stack: ReferenceStack) -> None:
    with replaced(reference_stack, "redis-exporter", None):
        record = run()
    assert "MON-01" in record.red(), record.explain()
    assert record.red() <= {"MON-01", "MON-02", "MON-03", "MON-05"}, record.explain()
    message = record.messages("MON-01")
    assert "job redis" in message and "lastError" in message, message
    assert "connection refused" in message, message


def test_rule_on_a_metric_litellm_does_not_expose(
    run: Any, reference_stack: ReferenceStack
) -> None:
    bogus = {"groups": [{"name": "bogus", "rules": [{
        "alert": "RequestsVanished", "expr": "sum(rate(litellm_requests_total[5m])) == 0",
        "annotations": {"description": "uses the name many dashboards use, which LiteLLM lacks"},
    }]}]}  # fmt: skip
    path = reference_stack.run.data("prometheus") / "rules" / "zz-bogus.yml"
    with edited(path, lambda _: json.dumps(bogus)):
        reload_prometheus(reference_stack)
        record = run()
    reload_prometheus(reference_stack)
    _red_only(record, {"MON-03"}, {"MON-03": "RequestsVanished"})
    assert "litellm_requests_total" in record.messages("MON-03")


def test_required_alert_removed(run: Any, reference_stack: ReferenceStack) -> None:
    path = reference_stack.run.data("prometheus") / "rules" / "litellm.yml"

    def drop_high_latency(text: str) -> str:
        data = __import__("yaml").safe_load(text)
        for group in data["groups"]:
            group["rules"] = [r for r in group["rules"] if r.get("alert") != "HighLatency"]
        return str(__import__("yaml").safe_dump(data))

    with edited(path, drop_high_latency):
        reload_prometheus(reference_stack)
        record = run()
    reload_prometheus(reference_stack)
    _red_only(record, {"MON-03"}, {"MON-03": "HighLatency"})
    assert "not loaded" in record.messages("MON-03")


def test_dashboard_panel_on_a_missing_metric(run: Any, reference_stack: ReferenceStack) -> None:
    path = reference_stack.run.data("grafana") / "dashboards" / "litellm-dashboard.json"
    old = "sum by (requested_model) (rate(litellm_proxy_total_requests_metric_total[5m]))"
    new = "sum by (requested_model) (rate(litellm_requests_total[5m]))"

    def rename(text: str) -> str:
        assert old in text
        return text.replace(old, new)

    with edited(path, rename):
        record = run()
    _red_only(record, {"MON-05"}, {"MON-05": "Request rate by model"})
    assert "litellm_requests_total" in record.messages("MON-05")


def test_log_shipper_stopped(run: Any, reference_stack: ReferenceStack) -> None:
    with replaced(reference_stack, "log-shipper", None):
        record = run()
    _red_only(record, {"MON-06"}, {"MON-06": "was not found in loki"})


def test_correlation_id_absent_from_the_logs(run: Any, reference_stack: ReferenceStack) -> None:
    # A drop stage that discards the gateway's request lines (a shipper misconfiguration):
    # Loki still gets lines, but not the tagged request's.
    with replaced(reference_stack, "log-shipper", ("--drop-matching", "chat/completions")):
        record = run()
    _red_only(record, {"MON-06"}, {"MON-06": "was not found in loki"})
    message = record.messages("MON-06")
    assert "loki: no line matches" in message and "gateway: status" not in message, message


AM_BASE = {"route": {"receiver": "sink", "group_wait": "0s", "group_interval": "1s"}}
SYNTHETIC = ("--gateproof-allow-destructive", "-k", "alert_fires",
             "--gateproof-alerts-test-mode", "synthetic", "--gateproof-alerts-test-alert",
             "GateproofSelftestAlert", "--gateproof-alerts-test-timeout-s", "8")  # fmt: skip


def test_synthetic_alert_delivered_on_the_healthy_stack(run: Any) -> None:
    record = run(*SYNTHETIC)
    assert record.outcome("MON-07") == "passed", record.explain()


def test_alert_receiver_down(run: Any, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/alerts"
    config = {**AM_BASE, "receivers": [{"name": "sink", "webhook_configs": [{"url": dead}]}]}
    with second_alertmanager(tmp_path, config) as url:
        record = run(*SYNTHETIC, "--gateproof-alertmanager-url", url)
    _red_only(record, {"MON-07"}, {"MON-07": "was not delivered to a receiver"})
    assert "attempt(s) failed" in record.messages("MON-07")


def test_alertmanager_without_receivers(run: Any, tmp_path: Path) -> None:
    config = {**AM_BASE, "receivers": [{"name": "sink"}]}  # a receiver with no integration
    with second_alertmanager(tmp_path, config) as url:
        record = run("-k", "alertmanager_configured", "--gateproof-alertmanager-url", url)
    _red_only(record, {"MON-08"}, {"MON-08": "no receiver that delivers anywhere"})


def test_prometheus_down_is_red_naming_the_url(run: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    record = run("--gateproof-prometheus-url", dead)
    assert {"MON-01", "MON-02", "MON-03"} <= record.red(), record.explain()
    assert dead in record.messages("MON-01") and "prometheus.url" in record.messages("MON-01")


def test_renamed_metric_is_named_as_missing(run: Any) -> None:
    # The settings still list the name many dashboards use; LiteLLM 1.108.7 exposes another.
    record = run("--gateproof-prometheus-critical-series", "litellm_requests_total,up")
    _red_only(record, {"MON-02"}, {"MON-02": "litellm_requests_total"})
    assert "no target exposes this name" in record.messages("MON-02")
    assert "did you mean litellm_requests_metric" in record.messages("MON-02")


def test_absent_components_are_not_applicable(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    data = yaml.safe_load(reference_stack.settings_path.read_text(encoding="utf-8"))
    for section in ("grafana", "loki", "alertmanager"):
        del data[section]
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump(data), encoding="utf-8")
    record = run_monitoring(settings, tmp_path / "rec", "--gateproof-allow-destructive")
    outcomes = {item: record.outcome(item) for item in ("MON-05", "MON-06", "MON-07", "MON-08")}
    assert set(outcomes.values()) == {"not_applicable"}, record.explain()
    assert record.outcome("MON-01") == "passed", record.explain()


def test_wrong_grafana_token_is_an_error_naming_the_setting(run: Any) -> None:
    record = run("-k", "dashboard", env={"GRAFANA_TOKEN": "glsa_not_the_right_one_000"})
    assert record.outcome("MON-05") == "error", record.explain()
    message = record.messages("MON-05")
    assert "refused the configured token" in message and "api-key.invalid" in message, message
    assert "grafana.token" in message and "glsa_not_the_right_one_000" not in message, message


def test_dashboard_found_by_title(run: Any) -> None:
    by_title = ("-k", "dashboard", "--gateproof-grafana-dashboard-uid", "")
    found = run(*by_title, "--gateproof-grafana-dashboard-title", "LLM Gateway (gateproof)")
    assert found.outcome("MON-05") == "passed", found.explain()
    missing = run(*by_title, "--gateproof-grafana-dashboard-title", "No Such Board")
    _red_only(missing, {"MON-05"}, {"MON-05": "no dashboard titled 'No Such Board'"})
