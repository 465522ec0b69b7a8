"""The catalogue: every fault of the matrix, what it breaks and which items must go red.

Each fault is injected from outside gateproof's code (see ``inject``) and the inner run
selects only the phases it needs. The expected set is every item of those phases that the
fault should turn red (failed or error), and no other: an extra red item fails the row.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateproof.stack.faults import inject as fx
from gateproof.stack.faults.model import Fault, Scene, fault

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "configs"
CONFIG_TESTS = ("tests/unit/test_config_sources.py", "tests/unit/test_config_security.py")
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/opt/litellm/proxy/proxy_server.py", line 42, in startup\n'
    "    raise RuntimeError('fault matrix: worker crashed')\n"
    "RuntimeError: fault matrix: worker crashed\n"
)
PRE_SMOKE = "predeploy or smoke"
# MON-07 waits up to alerts.test_timeout_s (120 s) for a delivery that these faults prevent;
# on the healthy stack the alert is delivered in ~12 s, so 45 s still leaves it ample time.
ALERT_WAIT = ("--gateproof-alerts-test-timeout-s", "45")


class FixtureCase:
    """The broken source set of ``fixtures/configs/CASE`` as the config folder (static checks
    only: its URLs are not the stack's). ``case`` names the fixture, whose expect.yaml the
    catalogue selftest compares with the fault's expected items."""

    def __init__(self, case: str) -> None:
        self.case = case

    @contextmanager
    def __call__(self, scene: Scene) -> Iterator[None]:
        def put(folder: Path) -> None:
            shutil.rmtree(folder)
            shutil.copytree(
                FIXTURES / self.case, folder, ignore=shutil.ignore_patterns("expect.yaml")
            )

        with fx.config_copy(put)(scene):
            yield


def _config(
    name: str, case: str, expected: set[str], about: str, category: str = "config"
) -> Fault:
    return fault(name, category, expected, "predeploy", FixtureCase(case), about,
                 paths=CONFIG_TESTS)  # fmt: skip


def _no_pre_call_checks(data: dict[str, Any]) -> None:
    data["router_settings"].pop("optional_pre_call_checks", None)


def _probe_rpm_raised(data: dict[str, Any]) -> None:
    for entry in data["model_list"]:
        if entry["model_name"] == "ratelimit-probe":
            entry["litellm_params"]["rpm"] = 100000


def _cache_off(data: dict[str, Any]) -> None:
    data["litellm_settings"]["cache"] = False


def _model_dropped(data: dict[str, Any]) -> None:
    data["model_list"] = [m for m in data["model_list"] if m["model_name"] != "mistral-7b-instruct"]


def _without_alert(name: str) -> Any:
    def change(text: str) -> str:
        import yaml

        data = yaml.safe_load(text)
        for group in data["groups"]:
            group["rules"] = [r for r in group["rules"] if r.get("alert") != name]
        return str(yaml.safe_dump(data))

    return change


def _dead_ssh_host(data: dict[str, Any], scene: Scene) -> None:
    data["hosts"] = [
        *data.get("hosts", ["local://"]),
        f"ssh://gateproof@127.0.0.1:{fx.free_port()}",
    ]


BOGUS_RULE = json.dumps({"groups": [{"name": "bogus", "rules": [{
    "alert": "RequestsVanished", "expr": "sum(rate(litellm_requests_total[5m])) == 0",
}]}]})  # fmt: skip
PANEL_OLD = "sum by (requested_model) (rate(litellm_proxy_total_requests_metric_total[5m]))"
PANEL_NEW = "sum by (requested_model) (rate(litellm_requests_total[5m]))"
DEAD_WEBHOOK = "http://127.0.0.1:9/alerts"  # discard port: nothing listens


def _dead_receiver(text: str) -> str:
    import re

    return re.sub(r"url: http://127\.0\.0\.1:\d+/alerts", f"url: {DEAD_WEBHOOK}", text)


def _no_receivers(text: str) -> str:
    import yaml

    data = yaml.safe_load(text)
    data["receivers"] = [{"name": data["route"]["receiver"]}]
    return str(yaml.safe_dump(data))


def _no_alertmanagers(text: str) -> str:
    import yaml

    data = yaml.safe_load(text)
    data.pop("alerting", None)
    return str(yaml.safe_dump(data, sort_keys=False))


CATALOGUE: tuple[Fault, ...] = (
    # config: a copy of the source of truth with one mistake, through the static checks
    _config("config-fallback-cycle", "cycle-two", {"PRE-CFG-05"}, "fallback chain a -> b -> a"),
    _config(
        "config-dangling-fallback",
        "dangling-target",
        {"PRE-CFG-05"},
        "a fallback names a model nobody serves",
    ),
    _config(
        "config-unknown-provider-type",
        "unknown-provider-type",
        {"PRE-CFG-01"},
        "provider type misspelt",
    ),
    _config(
        "config-mapping-provider-typo",
        "mapping-provider-typo",
        {"PRE-CFG-04", "PRE-CFG-05"},
        "a mapping names a provider that does not exist",
    ),
    _config(
        "config-stale-generated",
        "stale-generated",
        {"PRE-CFG-02"},
        "sources changed, generated file not regenerated",
    ),
    _config(
        "config-malformed-yaml",
        "malformed-yaml",
        {"PRE-CFG-01", "PRE-CFG-02", "PRE-CFG-03", "PRE-CFG-04", "PRE-CFG-05", "PRE-SEC-02"},
        "a source file that is not YAML (the others cannot be checked)",
    ),
    _config(
        "config-literal-api-key",
        "literal-api-key",
        {"PRE-CFG-01", "PRE-SEC-05"},
        "a provider key pasted into providers.yaml",
    ),
    _config(
        "config-mock-testing-switch",
        "mock-testing-switch",
        {"PRE-SEC-06", "PRE-CFG-02"},
        "the mock-fallback test switch left on",
    ),
    # rate limits
    _config(
        "ratelimit-model-without-limit",
        "model-without-rate-limit",
        {"PRE-SEC-02"},
        "a model with neither rpm nor tpm",
        "rate limits",
    ),
    _config(
        "ratelimit-not-enforced-config",
        "rate-limits-not-enforced",
        {"PRE-SEC-02", "PRE-CFG-02"},
        "rpm/tpm present, router would not enforce them",
        "rate limits",
    ),
    _config(
        "ratelimit-rpm-tpm-swapped",
        "rpm-tpm-swapped",
        {"PRE-SEC-02"},
        "rpm and tpm values swapped",
        "rate limits",
    ),
    fault(
        "ratelimit-gateway-not-enforcing",
        "rate limits",
        {"PST-01", "PST-04"},
        "postdeploy",
        fx.restarted("litellm", fx.gateway_config(_no_pre_call_checks)),
        "gateway restarted on a config without enforce_model_rate_limits",
    ),
    fault(
        "ratelimit-probe-rpm-raised",
        "rate limits",
        {"PST-01", "PST-04"},
        "postdeploy",
        fx.restarted("litellm", fx.gateway_config(_probe_rpm_raised)),
        "the probe model's rpm raised on the running gateway",
    ),
    # providers: the stand-ins' fault switches over their control API
    fault(
        "provider-needs-retries",
        "providers",
        {"PRE-TST-02", "PRE-TST-03", "SMK-03"},
        PRE_SMOKE,
        fx.standin("vllm-qwen", retry_needed=True),
        "vLLM answers 500 to the first try of each request",
    ),
    fault(
        "provider-serves-html",
        "providers",
        {"PRE-TST-02", "PRE-TST-03", "PRE-INF-01", "SMK-03"},
        PRE_SMOKE,
        fx.standin("llama-cpp", html=True),
        "llama.cpp port serves an HTML page",
    ),
    fault(
        "provider-slow",
        "providers",
        {"PRE-TST-03", "SMK-03"},
        PRE_SMOKE,
        fx.standin("lmstudio", latency_ms=2500),
        "LM Studio answers after 2.5 s",
        args=("--gateproof-thresholds-slow-answer-s", "1.5"),
    ),
    fault(
        "provider-refuses",
        "providers",
        {"PRE-TST-02", "PRE-TST-03", "PRE-INF-01", "PRE-INF-05", "SMK-03"},
        PRE_SMOKE,
        fx.standin("ollama", refuse=True),
        "Ollama refuses connections",
    ),
    fault(
        "provider-malformed-json",
        "providers",
        {"PRE-INF-01", "PRE-TST-02", "PRE-TST-03", "SMK-03"},
        PRE_SMOKE,
        fx.standin("lmstudio", malformed=True),
        "LM Studio answers with broken JSON (its model list too)",
    ),
    fault(
        "provider-rate-limited",
        "providers",
        {"PRE-INF-01", "PRE-TST-02", "PRE-TST-03", "SMK-03"},
        PRE_SMOKE,
        fx.standin("vllm-qwen", status_429=True),
        "vLLM answers 429 to every request (its model list too)",
    ),
    fault(
        "provider-failing-all",
        "providers",
        {"PST-07"},
        "postdeploy",
        fx.together(
            fx.standins(("ollama", "vllm-qwen", "llama-cpp", "lmstudio"), error_rate=1.0),
            fx.redis_config("maxmemory", "0", flush=True),  # no cached answer dilutes the rate
        ),
        "every provider fails every request (error rate); cache emptied",
        # the whole phase against failing providers takes 10+ minutes of retries: PST-07 only
        args=("-k", "error_rate"),
    ),
    fault(
        "provider-fallback-down",
        "providers",
        {"SMK-03", "SMK-06"},
        "smoke",
        fx.standin("ollama", refuse=True),
        "Ollama, every fallback of the chain SMK-06 forces, refuses",
        destructive=True,
    ),
    # gateway
    fault(
        "gateway-impostor",
        "gateway",
        {"DEP-03", "SMK-01", "SMK-02", "SMK-03", "SMK-04", "SMK-05", "SMK-06"},
        "smoke",
        fx.impostor_gateway,
        "a plain HTTP server where the gateway should be",
        destructive=True,
    ),
    fault(
        "gateway-traceback-in-log",
        "gateway",
        {"DEP-03"},
        "smoke",
        fx.appended("logs/litellm.log", TRACEBACK),
        "a traceback in the gateway log",
    ),
    fault(
        "gateway-log-rotated",
        "gateway",
        {"DEP-03"},
        "smoke",
        fx.rotated_without_reopen("logs/litellm.log"),
        "gateway log rotated without reopen",
    ),
    fault(
        "gateway-stopped",
        "gateway",
        {"DEP-03", "SMK-01", "SMK-02", "SMK-03", "SMK-04", "SMK-05", "SMK-06"},
        "smoke",
        fx.restarted("litellm", None),
        "gateway process stopped",
        destructive=True,
    ),
    fault(
        "gateway-cors-wildcard",
        "gateway",
        {"PRE-SEC-01"},
        "predeploy",
        fx.restarted("litellm", fx.gateway_env(LITELLM_CORS_ORIGINS="*")),
        "gateway restarted with CORS open to every origin",
    ),
    fault(
        "gateway-model-dropped",
        "gateway",
        {"DEP-03", "SMK-02", "SMK-03"},
        "smoke",
        fx.restarted("litellm", fx.gateway_config(_model_dropped)),
        "gateway restarted on a config without one model",
    ),
    # cache
    fault(
        "cache-redis-hung",
        "cache",
        {"PRE-INF-03", "PRE-SEC-04", "PRE-TST-03"},
        "predeploy",
        fx.sigstop("redis"),
        "Redis stopped with SIGSTOP (accepts, never answers): the gateway's cache lookups "
        "hang too, so its answers come late",
        args=("--gateproof-redis-timeout-s", "2"),
    ),
    fault(
        "cache-redis-no-password",
        "cache",
        {"PRE-SEC-04"},
        "predeploy",
        fx.redis_config("requirepass", ""),
        "Redis password removed (CONFIG SET)",
    ),
    fault(
        "cache-writes-refused",
        "cache",
        {"SMK-05"},
        "smoke",
        fx.redis_config("maxmemory", "1", flush=True),
        "Redis refuses every write (maxmemory 1, noeviction)",
    ),
    fault(
        "cache-disabled-on-gateway",
        "cache",
        {"DEP-03", "SMK-05"},
        "smoke",
        fx.restarted("litellm", fx.gateway_config(_cache_off)),
        "gateway restarted with the cache off",
    ),
    fault(
        "cache-hit-rate-low",
        "cache",
        {"PST-01", "PST-06"},
        "postdeploy",
        fx.redis_config("maxmemory", "1", flush=True),
        "nothing cached after the warm-up",
    ),
    # deploy steps
    fault(
        "deploy-config-hand-edited",
        "deploy steps",
        {"DEP-02"},
        "smoke",
        fx.run_file(
            "deployed/litellm-unified.yaml",
            lambda t: t + "\n# edited on the host\n",
            keep_mtime=True,
        ),
        "deployed config edited on the host, its timestamp kept (so no restart is due)",
    ),
    fault(
        "deploy-backup-missing",
        "deploy steps",
        {"DEP-01"},
        "predeploy",
        fx.moved_aside("backups"),
        "no backup taken before the deploy",
    ),
    fault(
        "deploy-generated-edited",
        "deploy steps",
        {"PRE-CFG-02", "DEP-01", "DEP-02"},
        PRE_SMOKE,
        fx.run_file("config/litellm-unified.yaml", lambda t: t.replace("rpm: 120", "rpm: 121")),
        "generated config hand-edited in the source folder (after the backup was taken)",
    ),
    fault(
        "deploy-not-restarted",
        "deploy steps",
        {"DEP-03"},
        "smoke",
        fx.touched("deployed/litellm-unified.yaml"),
        "config deployed after the gateway started (no restart)",
    ),
    # monitoring
    fault(
        "monitoring-exporter-stopped",
        "monitoring",
        {"MON-01", "MON-05"},
        "monitoring",
        fx.restarted("redis-exporter", None),
        "redis exporter stopped (its dashboard panel goes empty too)",
    ),
    fault(
        "monitoring-bogus-rule",
        "monitoring",
        {"MON-03"},
        "monitoring",
        fx.new_run_file("prometheus/rules/zz-bogus.yml", BOGUS_RULE, "prometheus"),
        "a rule on a metric LiteLLM does not expose",
    ),
    fault(
        "monitoring-required-alert-removed",
        "monitoring",
        {"MON-03"},
        "monitoring",
        fx.run_file("prometheus/rules/litellm.yml", _without_alert("HighLatency"), "prometheus"),
        "HighLatency removed from the loaded rules",
    ),
    fault(
        "monitoring-dashboard-panel-broken",
        "monitoring",
        {"MON-05"},
        "monitoring",
        fx.run_file(
            "grafana/dashboards/litellm-dashboard.json", lambda t: t.replace(PANEL_OLD, PANEL_NEW)
        ),
        "a dashboard panel on a metric that does not exist",
    ),
    fault(
        "monitoring-log-shipper-stopped",
        "monitoring",
        {"MON-06"},
        "monitoring",
        fx.restarted("log-shipper", None),
        "log shipper stopped",
    ),
    fault(
        "monitoring-log-lines-dropped",
        "monitoring",
        {"MON-06"},
        "monitoring",
        fx.restarted("log-shipper", fx.extra_args("--drop-matching", "chat/completions")),
        "log shipper drops the request lines",
    ),
    fault(
        "monitoring-prometheus-stopped",
        "monitoring",
        {"MON-01", "MON-02", "MON-03", "MON-05", "MON-06", "MON-07", "MON-08"},
        "monitoring",
        fx.restarted("prometheus", None),
        "Prometheus stopped (every monitoring item queries it: each is an error naming it)",
        destructive=True,
    ),
    # alerting
    fault(
        "alerting-receiver-dead",
        "alerting",
        {"MON-07"},
        "monitoring",
        fx.run_file("alertmanager/alertmanager.yml", _dead_receiver, "alertmanager"),
        "Alertmanager's webhook points at a dead URL",
        destructive=True,
        args=ALERT_WAIT,
    ),
    fault(
        "alerting-no-receivers",
        "alerting",
        {"MON-07", "MON-08"},
        "monitoring",
        fx.run_file("alertmanager/alertmanager.yml", _no_receivers, "alertmanager"),
        "Alertmanager's receiver has no integration",
        destructive=True,
        args=ALERT_WAIT,
    ),
    fault(
        "alerting-alertmanager-stopped",
        "alerting",
        {"MON-01", "MON-07", "MON-08"},
        "monitoring",
        fx.restarted("alertmanager", None),
        "Alertmanager stopped (Prometheus scrapes it too: MON-01)",
        destructive=True,
        args=ALERT_WAIT,
    ),
    fault(
        "alerting-webhook-stopped",
        "alerting",
        {"MON-07"},
        "monitoring",
        fx.restarted("webhook", None),
        "the alert receiver stopped",
        destructive=True,
        args=ALERT_WAIT,
    ),
    fault(
        "alerting-prometheus-not-sending",
        "alerting",
        {"MON-07"},
        "monitoring",
        fx.run_file("prometheus/prometheus.yml", _no_alertmanagers, "prometheus"),
        "Prometheus sends its alerts to no Alertmanager",
        destructive=True,
        args=ALERT_WAIT,
    ),
    fault(
        "alerting-outage-rule-removed",
        "alerting",
        {"MON-07"},
        "monitoring",
        fx.run_file(
            "prometheus/rules/providers.yml",
            _without_alert("ProviderDeploymentOutage"),
            "prometheus",
        ),
        "the alert MON-07 waits for is not loaded (not one MON-03 requires)",
        destructive=True,
        args=ALERT_WAIT,
    ),
    # hosts
    fault(
        "hosts-ssh-refused",
        "hosts",
        {"PRE-INF-04"},  # the gateway's own checks stay on gateway_hosts (the first host)
        "predeploy",
        fx.settings_copy(_dead_ssh_host),
        "a second host in the list whose SSH port refuses (its resource check: could not check)",
    ),
    fault(
        "hosts-node-exporter-stopped",
        "hosts",
        {"PST-08"},  # PRE-INF-04 (and its PST-01 re-run) fall back to the load average
        "postdeploy",
        fx.restarted("node-exporter", None),
        "node exporter of the gateway host stopped",
    ),
    fault(
        "hosts-no-filesystem-metrics",
        "hosts",
        {"PST-08"},
        "postdeploy",
        fx.restarted("node-exporter", fx.extra_args("--no-collector.filesystem")),
        "node exporter without its filesystem collector (PRE-INF-04's disk figure is df's)",
    ),
)


def by_name() -> dict[str, Fault]:
    return {f.name: f for f in CATALOGUE}
