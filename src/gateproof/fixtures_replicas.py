"""Fixtures for replicated gateways: several gateway processes behind one ``gateway.url``,
each reachable at its own URL (``gateway.replicas``). Checks whose answer depends on which
process answered (routing, cache, rate limits, the deployed config) run on every replica and
name the one that differs.

Fixtures (scope, type):
    replica          per test, Replica: every entry of gateway.replicas (ids ``replica=URL``);
                     N/A when the list is empty (one gateway: the other checks cover it)
    other_replica    per test, Replica: every replica but the first, which is the reference
                     it is compared with (an answer cached through the first, a hit here)
    replica_gateway  per test, GatewayProbe on ``replica`` (or ``other_replica``), after one
                     liveliness call: a dead replica errors naming its URL and gateway.replicas
    replica_gateways session, list[GatewayProbe]: one per replica, in order (none answered yet)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from gateproof.settings import Settings
from gateproof.stashkeys import SETTINGS_KEY

if TYPE_CHECKING:
    from gateproof.probes.gateway import GatewayProbe

SETTING = "gateway.replicas"


@dataclass(frozen=True)
class Replica:
    """One gateway replica: its place in ``gateway.replicas`` (1-based) and its own URL."""

    index: int
    url: str
    count: int

    @property
    def label(self) -> str:
        return f"replica {self.index} of {self.count} {self.url}"

    @property
    def source(self) -> str:
        """Where the URL came from, for failure messages."""
        return f"{SETTING}[{self.index - 1}]"


def replicas_of(settings: Settings) -> list[Replica]:
    urls = settings.gateway.replicas if settings.gateway is not None else []
    return [Replica(i, url, len(urls)) for i, url in enumerate(urls, start=1)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if "replica" not in names and "other_replica" not in names:
        return
    replicas = replicas_of(metafunc.config.stash[SETTINGS_KEY])
    name = "replica" if "replica" in names else "other_replica"
    chosen: list[Replica | None] = list(replicas if name == "replica" else replicas[1:])
    ids = [f"replica={r.url}" for r in chosen if r is not None]
    if not chosen:
        chosen, ids = [None], ["replica=<none>"]
    metafunc.parametrize(name, chosen, ids=ids, indirect=True)


def _replica_param(request: pytest.FixtureRequest) -> Replica:
    from gateproof.fixtures import not_applicable

    if request.param is None:
        if request.fixturename == "other_replica":
            pytest.skip(
                "N/A: one gateway replica (gateway.replicas lists fewer than two): nothing "
                "to compare with"
            )
        not_applicable("a replicated gateway", SETTING)
    replica: Replica = request.param
    return replica


@pytest.fixture
def replica(request: pytest.FixtureRequest) -> Replica:
    """One replica of ``gateway.replicas``."""
    return _replica_param(request)


@pytest.fixture
def other_replica(request: pytest.FixtureRequest) -> Replica:
    """A replica other than the first (the reference it is compared with)."""
    return _replica_param(request)


@pytest.fixture(scope="session")
def replica_gateways(gateproof_settings: Settings) -> Iterator[list[GatewayProbe]]:
    """Session, one GatewayProbe per replica (own client, master key, errors naming
    ``gateway.replicas``); probes only, nothing sent yet."""
    import httpx

    from gateproof.errors import ProbeError
    from gateproof.fixtures import resolve_secret_or_error, transport_naming_errors
    from gateproof.probes.gateway import GatewayProbe

    gateway = gateproof_settings.gateway
    assert gateway is not None
    key_error: ProbeError | None = None
    try:
        key = resolve_secret_or_error(gateproof_settings, gateway.master_key, "gateway.master_key")
    except ProbeError as exc:
        key, key_error = None, exc
    timeouts = gateproof_settings.timeouts
    clients = [
        httpx.Client(
            base_url=r.url,
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=httpx.Timeout(timeouts.read_s, connect=timeouts.connect_s),
            transport=transport_naming_errors(SETTING, timeouts.connect_s),
        )
        for r in replicas_of(gateproof_settings)
    ]
    probes = []
    for client, r in zip(clients, replicas_of(gateproof_settings), strict=True):
        probe = GatewayProbe(client, gateproof_settings, key, url=r.url, setting=SETTING)
        probe.key_error = key_error
        probes.append(probe)
    try:
        yield probes
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def replica_gateway(
    request: pytest.FixtureRequest, replica_gateways: list[GatewayProbe]
) -> GatewayProbe:
    """GatewayProbe on this test's replica, which answered liveliness (else: an error naming
    the replica's URL and ``gateway.replicas``)."""
    name = "replica" if "replica" in request.fixturenames else "other_replica"
    chosen: Replica = request.getfixturevalue(name)
    probe = replica_gateways[chosen.index - 1]
    if probe.key_error is not None:
        raise probe.key_error
    probe.reach()
    return probe
