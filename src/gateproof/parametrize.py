"""Tests parametrized over the deployment: one case per provider, host, model or chain.

A test that asks for one of these fixtures runs once per value, with readable ids:
    provider         every active provider of the sources (ids ``provider=NAME``)
    deployment_host  a testinfra host per ``--hosts`` or the ``hosts`` setting (``host=SPEC``)
    gateway_host     the same, for the hosts the gateway runs on only (``gateway_hosts``;
                     default: the first of ``hosts``)
    replica_host     (not parametrized) the gateway host of this test's ``replica``: the one
                     whose address is the replica URL's host (see ``replica_host_spec``)
    routed_model     every model the sources route (``model=NAME``): a ``RoutedModel``
    fallback_chain   every chain of the generated config (``chain=NAME``): a FallbackChain
    stoppable_chain  the first chain whose first fallback survives stopping the primary's
                     provider (``chain=NAME``)
Sources that do not load give one erroring case that shows their findings.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pytest

from gateproof import hostspec
from gateproof.errors import ConfigError
from gateproof.probes.hosts import SSH_SCHEMES, shown_spec
from gateproof.settings import Settings
from gateproof.stashkeys import SETTINGS_KEY


@dataclass(frozen=True)
class FallbackChain:
    """A chain of the generated config: ``primary`` fails, ``targets`` answer in order."""

    name: str  # the fallback_chains key (a model name, or "default")
    primary: str
    targets: tuple[str, ...]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    settings = metafunc.config.stash[SETTINGS_KEY]
    for name in ("deployment_host", "gateway_host"):
        if name in names:
            specs = _host_specs(metafunc.config)
            if name == "gateway_host":
                specs = _gateway_specs(specs, settings)
            ids = [f"host={shown_spec(s)}" for s in specs]
            metafunc.parametrize(name, specs, ids=ids, indirect=True)
    if "provider" in names:
        _parametrize(metafunc, "provider", "provider", lambda: _providers(metafunc.config))
    if "routed_model" in names:
        _parametrize(metafunc, "routed_model", "model", lambda: _routed(settings))
    if "fallback_chain" in names:
        _parametrize(metafunc, "fallback_chain", "chain", lambda: _chains(settings, False))
    if "stoppable_chain" in names:
        _parametrize(metafunc, "stoppable_chain", "chain", lambda: _chains(settings, True)[:1])


def _parametrize(metafunc: pytest.Metafunc, name: str, kind: str, build: Any) -> None:
    """Parametrize ``name`` indirectly; sources that do not load give one erroring case."""
    from gateproof.errors import GateproofError

    try:
        named: dict[str, Any] = dict(build())
        params, ids = list(named.values()), [f"{kind}={key}" for key in named]
    except GateproofError as exc:
        invalid = "sources invalid" if kind == "provider" else "config invalid"
        params, ids = [exc], [f"{kind}=<{invalid}>"]
    if not params:
        params, ids = [None], [f"{kind}=<none>"]
    metafunc.parametrize(name, params, ids=ids, indirect=True)


def _host_specs(config: pytest.Config) -> list[str]:
    given = config.getoption("hosts", default=None)
    if not given:
        return list(config.stash[SETTINGS_KEY].hosts)
    specs = [h.strip() for h in str(given).split(",") if h.strip()]
    if any(hostspec.password(s) for s in specs):  # as the hosts setting refuses it
        raise pytest.UsageError(
            "--hosts: a spec carries a password: use a key instead (IdentityFile in the file "
            "named by ssh_config); testinfra would put the password on sshpass's command line"
        )
    return specs


def check_host_specs(config: pytest.Config) -> None:
    """At start-up, not at collection: ``--hosts`` without passwords, ``gateway_hosts`` among
    the hosts checked (a clean usage error instead of a collection traceback)."""
    _gateway_specs(_host_specs(config), config.stash[SETTINGS_KEY])


def gateway_specs(config: pytest.Config) -> list[str]:
    """The specs of the hosts the gateway runs on, as ``gateway_host`` is parametrized."""
    return _gateway_specs(_host_specs(config), config.stash[SETTINGS_KEY])


def _spec_address(spec: str) -> str | None:
    """The address a spec reaches (``local`` for ``local://``); None for other backends."""
    scheme, _sep, rest = spec.partition("://")
    if scheme == "local":
        return "local"
    if scheme not in SSH_SCHEMES:
        return None
    where = rest.split("?", 1)[0].rpartition("@")[2]
    if where.startswith("["):  # [::1]:22
        return where[1:].split("]", 1)[0].lower()
    return where.split(":", 1)[0].lower()


def _loopback(address: str) -> bool:
    if address in ("local", "localhost"):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def replica_host_spec(url: str, specs: list[str]) -> str | None:
    """The gateway host a replica URL runs on: the spec whose host is the URL's host, written
    the same way (name or IP); else, for a loopback URL (the machine gateproof runs on), the
    first spec that is that machine (``local://`` or a loopback address); a URL naming this
    machine by its own name or IP: ``local://``. None: no match."""
    from gateproof.probes.endpoint import endpoint

    wanted = endpoint(url).host.strip("[]").lower()
    addresses = [(s, _spec_address(s)) for s in specs]
    exact = [s for s, a in addresses if a == wanted]
    if exact:
        return exact[0]
    if _loopback(wanted):
        return next((s for s, a in addresses if a is not None and _loopback(a)), None)
    if "local" in [a for _s, a in addresses] and _this_machine(wanted):
        return next(s for s, a in addresses if a == "local")
    return None


def _this_machine(address: str) -> bool:
    """``address`` is this machine's name or one of its IPs (one it can bind to): a replica
    URL written with the gateway machine's own LAN address runs on ``local://``."""
    import socket

    if address in (socket.gethostname().lower(), socket.getfqdn().lower()):
        return True
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    except ValueError:
        return False
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))  # local, no packet sent
        except OSError:
            return False
    return True


def _gateway_specs(specs: list[str], settings: Settings) -> list[str]:
    """The hosts the gateway runs on: those of ``gateway_hosts``, else the first host."""
    if not settings.gateway_hosts:
        return specs[:1]
    strangers = [g for g in settings.gateway_hosts if g not in specs]
    if strangers:
        raise pytest.UsageError(
            f"gateway_hosts {[shown_spec(s) for s in strangers]} not among the hosts checked "
            f"{[shown_spec(s) for s in specs]} (--hosts or hosts): list the gateway's hosts "
            "among them"
        )
    return [s for s in specs if s in settings.gateway_hosts]


def _providers(config: pytest.Config) -> list[tuple[str, str]]:
    from gateproof.fixtures import register_source_secrets
    from gateproof.schema import load_sources

    sources = load_sources(config.stash[SETTINGS_KEY].config_dir)
    register_source_secrets(config, sources)
    return [(name, name) for name in sorted(sources.active_providers())]


def _routed(settings: Settings) -> list[tuple[str, Any]]:
    from gateproof.schema import load_sources

    return list(load_sources(settings.config_dir).routable_models().items())


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


@pytest.fixture(scope="session")
def _host_cache() -> dict[str, Any]:
    return {}


def _host(request: pytest.FixtureRequest, cache: dict[str, Any]) -> Any:
    return host_of(request.config, str(request.param), cache)


def host_of(config: pytest.Config, spec: str, cache: dict[str, Any]) -> Any:
    """The testinfra host of ``spec``, one per spec in the session (``cache``)."""
    from gateproof.probes.hosts import get_host

    settings: Settings = config.stash[SETTINGS_KEY]
    if spec not in cache:
        cache[spec] = get_host(spec, settings.ssh_config, settings.timeouts.connect_s)
    return cache[spec]


@pytest.fixture
def deployment_host(request: pytest.FixtureRequest, _host_cache: dict[str, Any]) -> Any:
    """A testinfra host of the deployment (``local://`` unless ``--hosts`` or ``hosts`` say
    else; ``ssh://`` hosts use the ``ssh_config`` setting and ``timeouts.connect_s``)."""
    return _host(request, _host_cache)


@pytest.fixture
def gateway_host(request: pytest.FixtureRequest, _host_cache: dict[str, Any]) -> Any:
    """A testinfra host the gateway runs on (``gateway_hosts``; default the first host)."""
    return _host(request, _host_cache)


@pytest.fixture
def replica_host(request: pytest.FixtureRequest, _host_cache: dict[str, Any]) -> Any:
    """The testinfra host of the gateway host that runs this test's ``replica`` (its address
    is the replica URL's host); no such host among the gateway hosts is an error naming the
    settings, decided before the replica is called."""
    from gateproof.errors import ProbeError

    replica = request.getfixturevalue("replica")
    specs = gateway_specs(request.config)
    spec = replica_host_spec(replica.url, specs)
    if spec is None:
        raise ProbeError(
            f"{replica.label} runs on none of the gateway hosts "
            f"{[shown_spec(s) for s in specs]}: its URL's host names none of them",
            target=f"{replica.url} (from {replica.source})",
            setting="gateway.replicas, gateway_hosts",
            hint="list the host each replica runs on in hosts and gateway_hosts, written as "
            "in the replica's URL (the same name or IP; a loopback URL: local:// or a "
            "loopback address)",
        )
    return host_of(request.config, spec, _host_cache)


@pytest.fixture
def provider(request: pytest.FixtureRequest, sources: Any) -> Any:
    """One active provider of the sources (a ``Provider``)."""
    name = request.param
    if isinstance(name, ConfigError):
        pytest.fail(f"the sources are invalid, no provider to check:\n{name}", pytrace=False)
    if name is None:
        pytest.fail("the sources have no active provider to check", pytrace=False)
    return sources.active_providers()[name]


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
