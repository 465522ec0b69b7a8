"""Every component of the running reference stack answers for real."""

from __future__ import annotations

import hashlib
import json
import stat
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from gateproof.settings_loader import load_settings
from gateproof.stack.component_files import JOBS
from gateproof.stack.testing import ReferenceStack

TIMEOUT = httpx.Timeout(5.0, connect=1.0)


def test_completion_through_the_gateway_reaches_the_right_standin(
    clean_standins: ReferenceStack,
) -> None:
    stack = clean_standins
    wrong = []
    with stack.openai_client() as client:
        for name, plan in stack.providers.items():
            model = _public_model_of(stack, name)
            raw = client.chat.completions.with_raw_response.create(
                model=model,
                messages=[{"role": "user", "content": f"route check {uuid.uuid4().hex}"}],
                max_tokens=8,
            )
            api_base = raw.headers.get("x-litellm-model-api-base", "")
            answer = raw.parse().choices[0].message.content or ""
            counted = stack.control(name).counters()["total"]
            if f":{plan.port}" not in api_base or f"[{name}]" not in answer or counted < 1:
                wrong.append(f"{model}: api_base {api_base!r}, answer {answer!r}, count {counted}")
    assert not wrong, "routed to the wrong stand-in:\n" + "\n".join(wrong)


def _public_model_of(stack: ReferenceStack, provider: str) -> str:
    """A public model name the generated config routes to ``provider``."""
    from gateproof.schema import load_sources

    routes = load_sources(stack.run.config).routable_models()
    return next(name for name, route in routes.items() if route.provider == provider)


def test_gateway_refuses_a_request_without_key(reference_stack: ReferenceStack) -> None:
    answer = httpx.get(f"{reference_stack.gateway_url}/v1/models", timeout=TIMEOUT)
    assert answer.status_code == 401, answer.text[:200]


def test_redis_refuses_an_unauthenticated_ping(reference_stack: ReferenceStack) -> None:
    port = reference_stack.port("redis")
    no_retry = Retry(NoBackoff(), 0)  # redis-py 8 would retry the refusal for ~4 s
    anonymous = redis.Redis(port=port, protocol=2, socket_timeout=2.0, retry=no_retry)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    anonymous.close()
    with redis.Redis(
        port=port, password=reference_stack.redis_password, socket_timeout=2.0
    ) as client:
        assert client.ping() is True


def test_prometheus_has_every_target_up(reference_stack: ReferenceStack) -> None:
    answer = httpx.get(f"{reference_stack.url('prometheus')}/api/v1/targets", timeout=TIMEOUT)
    targets = answer.json()["data"]["activeTargets"]
    health = {t["labels"]["job"]: (t["health"], t["lastError"]) for t in targets}
    assert set(health) == set(JOBS)
    assert all(state == "up" for state, _ in health.values()), health


def test_prometheus_loaded_the_repo_alert_rules(reference_stack: ReferenceStack) -> None:
    """A copy of each repo rule file (``for:`` cut short) in RUN/prometheus/rules."""
    rules_dir = Path(reference_stack.state.source_dir).parent / "monitoring/prometheus/rules"
    copies = reference_stack.run.data("prometheus") / "rules"
    wanted = sorted(str(copies / p.name) for p in rules_dir.glob("*.yml"))
    answer = httpx.get(f"{reference_stack.url('prometheus')}/api/v1/rules", timeout=TIMEOUT)
    groups = answer.json()["data"]["groups"]
    loaded = sorted({g["file"] for g in groups})
    assert loaded == wanted
    assert wanted, f"no rule files in {rules_dir}"
    durations = {r.get("duration") for g in groups for r in g["rules"] if r["type"] == "alerting"}
    assert durations <= {0, 5}, durations


def test_alert_posted_to_alertmanager_reaches_the_webhook_file(
    reference_stack: ReferenceStack,
) -> None:
    nonce = uuid.uuid4().hex
    alert = {
        "labels": {"alertname": "GateproofSelftest", "nonce": nonce, "severity": "info"},
        "annotations": {"summary": "synthetic alert from the stack selftests"},
        "startsAt": datetime.now(timezone.utc).isoformat(),
    }
    url = f"{reference_stack.url('alertmanager')}/api/v2/alerts"
    assert httpx.post(url, json=[alert], timeout=TIMEOUT).status_code == 200
    deadline = time.monotonic() + 15.0
    delivered: list[dict[str, object]] = []
    while time.monotonic() < deadline and not delivered:
        lines = reference_stack.run.alerts.read_text(encoding="utf-8").splitlines()
        delivered = [json.loads(x) for x in lines if nonce in x]
        time.sleep(0.2)
    assert delivered, f"alert {nonce} not in {reference_stack.run.alerts} after 15 s"
    assert delivered[0]["status"] == "firing"
    assert delivered[0]["receiver"] == "webhook"


def test_settings_file_points_at_the_stack_without_secrets(
    reference_stack: ReferenceStack,
) -> None:
    stack = reference_stack
    settings = load_settings(stack.settings_path, explicit=True, env={}, cli={}, base_dir=Path("/"))
    assert settings.gateway is not None and settings.redis is not None
    assert settings.gateway.url == stack.gateway_url
    assert settings.redis.port == stack.port("redis")
    assert settings.grafana is not None and settings.loki is not None  # the stand-ins
    assert settings.grafana.url == stack.url("grafana") and settings.loki.url == stack.url("loki")
    token = settings.resolve_secret(settings.grafana.token or "", "grafana.token")
    assert token not in stack.settings_path.read_text(encoding="utf-8")
    assert settings.resolve_secret(settings.gateway.master_key or "", "k") == stack.master_key
    text = stack.settings_path.read_text(encoding="utf-8")
    assert stack.master_key not in text and stack.redis_password not in text
    for private in (stack.run.secrets, stack.run.data("redis") / "redis.conf"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    deployed = settings.gateway.deployed_config
    assert deployed is not None
    assert _sha256(deployed) == _sha256(stack.run.generated_config)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gateway_writes_json_logs(reference_stack: ReferenceStack) -> None:
    lines = reference_stack.run.log("litellm").read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines if x.startswith("{")]
    assert records, "no JSON record in the gateway log"
    assert all("level" in r and "message" in r for r in records)
    assert reference_stack.master_key not in "\n".join(lines)


def test_up_took_a_complete_pre_deployment_backup(reference_stack: ReferenceStack) -> None:
    backups = sorted(reference_stack.run.backups.glob("pre-deployment-*"))
    assert len(backups) == 1, backups
    manifest = json.loads((backups[0] / "manifest.json").read_text(encoding="utf-8"))
    held = {Path(f["source"]).resolve() for f in manifest["files"]}
    assert reference_stack.run.deployed_config in held
    assert reference_stack.run.generated_config in held
