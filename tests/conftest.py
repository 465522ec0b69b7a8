"""What the acceptance suite needs on top of the gateproof plugin.

Fixtures (scope, type):
    gateway         session, GatewayProbe: the gateway answered once (else every test that
                    needs it errors at once with the same cause: one timeout per run)
    gateway_authed  session, GatewayProbe: ... and it accepted the configured master key
    generated       session, LiteLLMConfig: config_dir/litellm-unified.yaml
    gateway_host    testinfra host, parametrized over ``--hosts`` or the ``hosts`` setting
    check           per test, Check: builds the failure message (item, target, expected vs
                    actual, evidence, reproducer) and records the evidence
Parametrization: ``routed_model`` over every model the sources route (ids ``model=NAME``);
``fallback_chain`` over every chain of the generated config, ``stoppable_chain`` over the first
chain whose fallback survives stopping the primary's provider (ids ``chain=NAME``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateproof.evidence import Evidence
from gateproof.failure import Check
from gateproof.probes.gateway import GatewayProbe
from gateproof.settings import Settings
from gateproof.stashkeys import SETTINGS_KEY


@pytest.fixture
def check(request: pytest.FixtureRequest, evidence: Evidence) -> Check:
    """Per test, :class:`Check` bound to the test's first checklist ID."""
    marker = request.node.get_closest_marker("checklist")
    item_id = str(marker.args[0]) if marker and marker.args else "?"
    return Check(item_id, evidence)


@pytest.fixture(scope="session", autouse=True)
def _fresh_probe_memory() -> Iterator[None]:
    """Targets found dead are remembered for one run only (pytester runs share a process)."""
    from gateproof.probes.http import forget_dead_targets

    forget_dead_targets()
    yield
    forget_dead_targets()


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


def _host_specs(config: pytest.Config) -> list[str]:
    given = config.getoption("hosts", default=None)
    if given:
        return [h.strip() for h in str(given).split(",") if h.strip()]
    return list(config.stash[SETTINGS_KEY].hosts)


@pytest.fixture(scope="session")
def _host_cache() -> dict[str, Any]:
    return {}


@pytest.fixture
def gateway_host(request: pytest.FixtureRequest, _host_cache: dict[str, Any]) -> Any:
    """A testinfra host (``local://`` unless ``--hosts`` or the ``hosts`` setting say else)."""
    from gateproof.probes.hosts import get_host

    spec = str(request.param)
    if spec not in _host_cache:
        _host_cache[spec] = get_host(spec)
    return _host_cache[spec]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "gateway_host" in metafunc.fixturenames:
        specs = _host_specs(metafunc.config)
        metafunc.parametrize("gateway_host", specs, ids=[f"host={s}" for s in specs], indirect=True)
    settings = metafunc.config.stash[SETTINGS_KEY]
    if "routed_model" in metafunc.fixturenames:
        _parametrize(metafunc, "routed_model", "model", lambda: _routed(settings))
    if "fallback_chain" in metafunc.fixturenames:
        _parametrize(metafunc, "fallback_chain", "chain", lambda: _chains(settings, False))
    if "stoppable_chain" in metafunc.fixturenames:
        _parametrize(metafunc, "stoppable_chain", "chain", lambda: _chains(settings, True)[:1])


def _parametrize(metafunc: pytest.Metafunc, name: str, kind: str, build: Any) -> None:
    """Parametrize ``name`` indirectly; sources that do not load give one erroring case."""
    from gateproof.errors import GateproofError

    try:
        named: dict[str, Any] = dict(build())
        params, ids = list(named.values()), [f"{kind}={key}" for key in named]
    except GateproofError as exc:
        params, ids = [exc], [f"{kind}=<config invalid>"]
    if not params:
        params, ids = [None], [f"{kind}=<none>"]
    metafunc.parametrize(name, params, ids=ids, indirect=True)


def _routed(settings: Settings) -> list[tuple[str, Any]]:
    from gateproof.schema import load_sources

    return list(load_sources(settings.config_dir).routable_models().items())


@dataclass(frozen=True)
class FallbackChain:
    """A chain of the generated config: ``primary`` fails, ``targets`` answer in order."""

    name: str  # the fallback_chains key (a model name, or "default")
    primary: str
    targets: tuple[str, ...]


def _chains(settings: Settings, stoppable: bool) -> list[tuple[str, FallbackChain]]:
    """Chains in config order; ``stoppable``: only those whose first fallback is served by
    another provider than the primary (stopping the primary leaves the fallback up)."""
    from gateproof.schema import GENERATED_FILE, load_litellm_config, load_sources

    routed = load_sources(settings.config_dir).routable_models()
    config, _doc = load_litellm_config(settings.config_dir / GENERATED_FILE)
    router = config.router_settings
    chains = [(p, tuple(t)) for entry in router.fallbacks for p, t in entry.items() if t]
    found = [(p, FallbackChain(p, p, t)) for p, t in chains]
    unchained = [m for m in routed if m not in dict(chains)]
    if router.default_fallbacks and unchained:
        found.append(
            ("default", FallbackChain("default", unchained[0], tuple(router.default_fallbacks)))
        )
    if stoppable:
        found = [
            (name, chain)
            for name, chain in found
            if chain.primary in routed
            and chain.targets[0] in routed
            and routed[chain.primary].provider != routed[chain.targets[0]].provider
        ]
    return found


def _param(request: pytest.FixtureRequest, what: str) -> Any:
    from gateproof.errors import GateproofError, ProbeError

    if isinstance(request.param, GateproofError):
        raise request.param
    if request.param is None:
        raise ProbeError(f"the configuration has no {what}", setting="config_dir")
    return request.param


@pytest.fixture
def routed_model(request: pytest.FixtureRequest) -> Any:
    """A ``RoutedModel``; a broken source set errors here with its findings."""
    return _param(request, "routed model")


@pytest.fixture
def fallback_chain(request: pytest.FixtureRequest) -> FallbackChain:
    """A :class:`FallbackChain` of the generated config."""
    chain: FallbackChain = _param(request, "fallback chain")
    return chain


@pytest.fixture
def stoppable_chain(request: pytest.FixtureRequest) -> FallbackChain:
    """The first chain whose first fallback runs on another provider than its primary."""
    chain: FallbackChain = _param(
        request, "fallback chain whose fallback runs on another provider than its primary"
    )
    return chain
