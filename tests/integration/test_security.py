"""PRE-SEC-01 CORS, PRE-SEC-03 authentication per exposure mode, PRE-SEC-04 Redis password.

LiteLLM reads its CORS origins only from its environment (``LITELLM_CORS_ORIGINS``), so the
settings say what the gateway runs with and the live preflight shows what it really does.
A wrong key gets 400 "No connected db." from LiteLLM without a database: refused all the same.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.fixtures import not_applicable
from gateproof.probes import hosts, redis_probe
from gateproof.probes.endpoint import endpoint
from gateproof.probes.gateway import GatewayProbe
from gateproof.schema import GENERATED_FILE
from gateproof.settings import SECRET_REF, Settings

FOREIGN_ORIGIN = "https://gateproof-foreign-origin.invalid"
# LiteLLM's own refusals (measured on 1.108.7): no key -> 401 {"error": {"type": "auth_error",
# "message": "Authentication Error, No api key passed in."}}; a wrong key -> 401 auth_error
# with a database, and without one 400 {"error": {"type": "no_db_connection", "message":
# "No connected db."}} (it looks the unknown key up as a virtual key). Any other 400 (a bad
# request, a broken route) is not an auth refusal.
AUTH_TYPES = {401: ("auth_error",), 403: ("auth_error",), 400: ("no_db_connection",)}
AUTH_MESSAGES = ("Authentication Error", "No connected db.", "Invalid proxy server token")


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-01")
def test_cors_origins_hold_no_wildcard(
    gateway_host: Any, gateproof_settings: Settings, gateproof_settings_file: str, check: Check
) -> None:
    """The origins the gateway really runs with: ``LITELLM_CORS_ORIGINS`` in the environment
    of the process that owns the gateway port, read on the gateway host; the settings only
    when that process cannot be seen (another host, another user)."""
    gateway = gateproof_settings.gateway
    if gateway is None:
        not_applicable("the gateway", "gateway.url")
    port = endpoint(gateway.url).port
    origins, source = _running_cors_origins(gateway_host, port)
    if origins is None:
        origins = gateway.cors_origins
        source = f"gateway.cors_origins in {gateproof_settings_file} ({source})"
    elif set(origins) != set(gateway.cors_origins):
        check.evidence.add("settings", f"gateway.cors_origins {gateway.cors_origins} differ")
    check.evidence.add("cors", f"{origins} from {source}")
    wild = [o for o in origins if o.strip() in ("*", "null") or "*" in o]
    if not origins or wild:
        check.fail(
            "CORS origins allow any site" if wild else "no CORS origins are set",
            target=f"{source}",
            expected="an explicit list of trusted origins, no '*'",
            actual=f"{origins}"
            + ("" if origins else " (LiteLLM then answers any origin with '*')"),
            details=[("fix", "set LITELLM_CORS_ORIGINS in the gateway's environment")],
            reproduce=hosts.on_host(
                gateway_host,
                f"pid=$(ss -Hltnp 'sport = :{port}' | grep -o 'pid=[0-9]*' | head -1 | "
                "cut -d= -f2); tr '\\0' '\\n' < /proc/$pid/environ | grep LITELLM_CORS",
            ),
        )


def _running_cors_origins(host: Any, port: int) -> tuple[list[str] | None, str]:
    """(origins, where they came from); (None, why not) when no process could be read."""
    from gateproof.probes import deploy

    _listening, pids = hosts.port_owners(host, port)
    if not pids:
        return None, f"no process on {hosts.host_name(host)} owns port {port}"
    # Only LiteLLM's environment says anything (a container proxy's does not); what else
    # serves the port is DEP-03's business.
    gateway = next((p for p in pids if deploy.is_litellm(hosts.command_argv(host, p))), None)
    if gateway is None:
        return None, f"port {port} is not served by a LiteLLM process (pids {pids})"
    environ = hosts.process_environ(host, gateway)
    if environ is None:
        return None, f"the environment of pid {gateway} is not readable"
    raw = environ.get("LITELLM_CORS_ORIGINS", "")
    where = f"LITELLM_CORS_ORIGINS of pid {gateway} on {hosts.host_name(host)} (port {port})"
    return [o.strip() for o in raw.split(",") if o.strip()], where


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-01")
def test_cors_preflight_refuses_foreign_origin(gateway: GatewayProbe, check: Check) -> None:
    exchange = check.see(gateway.preflight(FOREIGN_ORIGIN))
    allowed = exchange.header("access-control-allow-origin")
    if allowed is not None and allowed.strip() in ("*", FOREIGN_ORIGIN):
        check.fail(
            f"the gateway allows cross-site requests from a foreign origin ({allowed!r})",
            target=f"{gateway.url}/v1/chat/completions (from gateway.url), OPTIONS preflight",
            expected=f"Origin {FOREIGN_ORIGIN} refused (no access-control-allow-origin)",
            actual=f"status {exchange.status}, access-control-allow-origin: {allowed}",
            details=[("fix", "set LITELLM_CORS_ORIGINS in the gateway's environment")],
            exchange=exchange,
        )


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-03")
def test_shared_gateway_refuses_missing_and_wrong_keys(
    request: pytest.FixtureRequest,
    gateproof_settings: Settings,
    gateproof_settings_file: str,
    generated: Any,
    check: Check,
) -> None:
    if gateproof_settings.deployment.exposure != "shared":
        pytest.skip("N/A: deployment.exposure is local; the loopback check applies instead")
    # Asked for only now: in local mode a dead gateway must not make this N/A check red.
    gateway: GatewayProbe = request.getfixturevalue("gateway")
    assert gateproof_settings.gateway is not None
    ref = gateproof_settings.gateway.master_key
    config_ref = generated.general_settings.master_key
    if not ref or not config_ref or not SECRET_REF.match(str(config_ref)):
        check.fail(
            "a shared gateway without a master key reference",
            target="gateway.master_key (settings) and general_settings.master_key (generated)",
            expected="both set, the config one as os.environ/NAME",
            actual=f"settings: {_shown(ref)}; config: {_shown(config_ref)}",
            reproduce=f"grep -n master_key {gateproof_settings.config_dir / GENERATED_FILE} "
            f"{gateproof_settings_file}",
        )
    missing, wrong = gateway.without_key(), gateway.with_wrong_key()
    check.see(missing)
    check.see(wrong)
    for exchange, what in ((missing, "no key"), (wrong, "a wrong key")):
        refusal = _auth_refusal(exchange)
        if refusal is None:
            check.fail(
                f"the gateway did not refuse a request with {what} as an authentication error",
                target=f"{exchange.url} (from gateway.url)",
                expected="LiteLLM's auth refusal: 401 (or 403) error.type auth_error, or without "
                "a database 400 error.type no_db_connection 'No connected db.'",
                actual=f"status {exchange.status}: {exchange.excerpt(200)}",
                exchange=exchange,
            )
        check.evidence.add("refused", f"{what}: {refusal}")


def _auth_refusal(exchange: Any) -> str | None:
    """LiteLLM's error type and message when ``exchange`` is its auth refusal, else None."""
    import json

    try:
        body = json.loads(exchange.text)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    kind, message = str(error.get("type") or ""), str(error.get("message") or "")
    if kind in AUTH_TYPES.get(exchange.status, ()) and any(m in message for m in AUTH_MESSAGES):
        return f"{exchange.status} {kind}: {message[:120]}"
    return None


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-03")
def test_local_gateway_listens_on_loopback_only(
    gateway_host: Any, gateproof_settings: Settings, check: Check
) -> None:
    if gateproof_settings.deployment.exposure != "local":
        pytest.skip("N/A: deployment.exposure is shared; the key checks apply instead")
    assert gateproof_settings.gateway is not None
    port = endpoint(gateproof_settings.gateway.url).port
    listening = hosts.listeners(gateway_host, port)
    exposed = [s for s in listening if not s.loopback_only]
    if not listening or exposed:
        shown = ", ".join(f"{s.address}:{s.port}" for s in listening) or "nothing"
        check.fail(
            f"gateway port {port} is reachable beyond this host"
            if exposed
            else f"nothing listens on gateway port {port}",
            target=f"{hosts.host_name(gateway_host)} port {port} (from gateway.url); "
            "deployment.exposure is local",
            expected="listening on loopback only (127.0.0.1 or ::1)",
            actual=f"listening on {shown}",
            details=[("fix", "start the gateway with --host 127.0.0.1")] if exposed else [],
            reproduce=hosts.on_host(gateway_host, f"ss -ltnp 'sport = :{port}'"),
        )


def _shown(value: object) -> str:
    """A secret reference as it is; a literal value never (it may be the secret)."""
    if not value:
        return "unset"
    return str(value) if SECRET_REF.match(str(value)) else "a literal value (not shown)"


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-SEC-04")
def test_redis_password_set_and_enforced(
    gateproof_settings: Settings, generated: Any, check: Check
) -> None:
    from gateproof.fixtures import not_applicable

    if gateproof_settings.redis is None:
        not_applicable("Redis", "redis.host")
    cache = generated.litellm_settings.cache_params
    config_ref = cache.password if cache is not None else None
    if not gateproof_settings.redis.password or (
        cache is not None and not (config_ref and SECRET_REF.match(str(config_ref)))
    ):
        check.fail(
            "the Redis cache has no password reference",
            target="redis.password (settings), litellm_settings.cache_params.password (config)",
            expected="both set as os.environ/NAME",
            actual=f"settings: {_shown(gateproof_settings.redis.password)}; "
            f"config: {_shown(config_ref)}",
        )
    ping = redis_probe.unauthenticated_ping(gateproof_settings)
    check.evidence.add("redis", f"PING without password -> {ping.reply}")
    if not ping.refused:
        check.fail(
            "Redis answers clients that send no password",
            target=f"redis://{ping.target} (from redis.host / redis.port)",
            expected="NOAUTH Authentication required",
            actual=f"PING -> {ping.reply}",
            details=[("fix", "set requirepass in redis.conf (and the gateway's REDIS_PASSWORD)")],
            reproduce=ping.redis_cli(),
        )
