"""Fixtures a check of the gateway needs, served by the plugin to any opted-in suite.

Fixtures (scope, type):
    gateway         session, GatewayProbe: the gateway answered once (else every test that
                    needs it errors at once with the same cause: one timeout per run)
    gateway_authed  session, GatewayProbe: ... and it accepted the configured master key
    generated       session, LiteLLMConfig: config_dir/litellm-unified.yaml
    check           per test, Check: builds the failure message (item, target, expected vs
                    actual, evidence, reproducer) and records the evidence
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateproof.evidence import Evidence
from gateproof.failure import Check
from gateproof.probes.gateway import GatewayProbe
from gateproof.settings import Settings


@pytest.fixture
def check(request: pytest.FixtureRequest, evidence: Evidence) -> Check:
    """Per test, :class:`Check` bound to the test's first checklist ID."""
    marker = request.node.get_closest_marker("checklist")
    item_id = str(marker.args[0]) if marker and marker.args else "?"
    return Check(item_id, evidence)


@pytest.fixture(scope="session", autouse=True)
def _fresh_probe_memory() -> Iterator[None]:
    """Targets found dead are remembered for one run only (pytester runs share a process)."""
    from gateproof.probes.hosts import forget_down_hosts
    from gateproof.probes.http import forget_dead_targets

    forget_dead_targets()
    forget_down_hosts()
    yield
    forget_dead_targets()
    forget_down_hosts()


@pytest.fixture(scope="session")
def gateway(gateway_client: Any, gateproof_settings: Settings) -> GatewayProbe:
    """Session, GatewayProbe, after one liveliness call with a short timeout.

    pytest keeps a session fixture's exception: a dead or hung gateway costs one connect
    timeout, and every later test that needs it errors at once with the same message."""
    from gateproof.errors import ProbeError
    from gateproof.fixtures import resolve_secret_or_error

    assert gateproof_settings.gateway is not None
    key_error: ProbeError | None = None
    try:  # health and CORS need no key: a missing one is gateway_authed's error
        key = resolve_secret_or_error(
            gateproof_settings, gateproof_settings.gateway.master_key, "gateway.master_key"
        )
    except ProbeError as exc:
        key, key_error = None, exc
    probe = GatewayProbe(gateway_client, gateproof_settings, key)
    probe.key_error = key_error
    probe.reach()
    return probe


@pytest.fixture(scope="session")
def gateway_authed(gateway: GatewayProbe, gateproof_settings: Settings) -> GatewayProbe:
    """Session, GatewayProbe whose configured key the gateway accepted (GET /v1/models)."""
    from gateproof.errors import ProbeError

    if gateway.key_error is not None:
        raise gateway.key_error
    models = gateway.models()
    if models.status in (400, 401, 403):
        assert gateproof_settings.gateway is not None
        ref = gateproof_settings.gateway.master_key
        problem = (
            "the gateway refused the configured master key (gateway.master_key)"
            if ref
            else "the gateway wants a key, but gateway.master_key is not set"
        )
        raise ProbeError(
            f"{problem}: {models.summary()}: {models.excerpt(200)}",
            target=models.url,
            setting="gateway.master_key",
            hint="set gateway.master_key to os.environ/NAME, NAME holding the gateway's "
            f"LITELLM_MASTER_KEY (environment or secrets_file). Reproduce with:\n    {models.curl}",
        )
    return gateway


@pytest.fixture(scope="session")
def generated(config_dir: Any) -> Any:
    """Session, ``LiteLLMConfig`` of the generated file in the config dir."""
    from gateproof.schema import GENERATED_FILE, load_litellm_config

    config, _doc = load_litellm_config(config_dir / GENERATED_FILE)
    return config
