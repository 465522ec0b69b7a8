"""Session fixtures of the acceptance suite: settings, sources and one client per component.

A component absent from the settings makes its fixture skip as N/A ("not part of this
deployment"). A configured component gets a client with a short connect timeout and no
retries, so a dead one costs one timeout and the test fails or errors naming URL and setting.
Heavy client libraries are imported inside the fixtures, only when a test needs them.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from gateproof.errors import ConfigError, ProbeError, UnreachableError
from gateproof.evidence import Evidence
from gateproof.settings import Settings
from gateproof.stashkeys import EVIDENCE_KEY, REDACTOR_KEY, SETTINGS_FILE_KEY, SETTINGS_KEY

if TYPE_CHECKING:
    import httpx
    import redis


def not_applicable(component: str, key: str) -> NoReturn:
    """Skip as N/A: the settings leave this component out of the deployment."""
    pytest.skip(f"N/A: {component} is not part of this deployment ({key} is not set)")


def resolve_secret_or_error(settings: Settings, ref: str | None, key: str) -> str | None:
    if ref is None:
        return None
    try:
        return settings.resolve_secret(ref, key)
    except LookupError as exc:
        raise ProbeError(str(exc), setting=key, hint="set the variable, then run again") from None


def transport_naming_errors(setting: str, connect_s: float) -> httpx.BaseTransport:
    """An httpx transport (no retries) whose connect failures name the URL and the setting."""
    import httpx

    class _Transport(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return super().handle_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise UnreachableError(
                    f"could not connect to {request.url.scheme}://{request.url.netloc.decode()}"
                    f" within {connect_s:g} s: {exc}",
                    target=str(request.url),
                    setting=setting,
                    hint="start the component, or fix the setting (timeouts.connect_s sets the "
                    "wait)",
                ) from None

    return _Transport(retries=0)


@pytest.fixture(scope="session")
def gateproof_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings: session, :class:`gateproof.settings.Settings`, every path absolute."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def gateproof_settings_file(pytestconfig: pytest.Config) -> str:
    """The settings file this run read: session, ``str``, shell-quoted (for messages and
    reproducers that must work when pasted), or a note that there was none."""
    shown = pytestconfig.stash[SETTINGS_FILE_KEY]
    return shown if shown.startswith("(") else shlex.quote(shown)


@pytest.fixture(scope="session")
def config_dir(gateproof_settings: Settings) -> Path:
    """Source-of-truth directory: session, ``Path`` (``config_dir`` setting)."""
    return gateproof_settings.config_dir


def register_source_secrets(config: pytest.Config, sources: Any) -> None:
    """Mask the provider API keys the sources reference, in this process's reports."""
    settings = config.stash[SETTINGS_KEY]
    redactor = config.stash[REDACTOR_KEY]
    for name, provider in sources.providers.items():
        ref = getattr(provider, "api_key", None)
        if ref:
            with contextlib.suppress(LookupError, ValueError):
                redactor.add(settings.resolve_secret(ref, f"providers.{name}.api_key"))


@pytest.fixture(scope="session")
def sources(pytestconfig: pytest.Config, config_dir: Path) -> Any:
    """The loaded sources of ``config_dir``: session, ``gateproof.schema.Sources``.

    A broken source set raises ConfigError here, so every test that needs it errors with
    the file:line findings instead of running on half a config.
    """
    from gateproof.schema import load_sources

    try:
        loaded = load_sources(config_dir)
    except ConfigError as exc:
        problem = str(exc)
    else:
        register_source_secrets(pytestconfig, loaded)
        return loaded
    # Outside the except block, so no "during handling of the above exception" chain: the
    # findings (file:line: field: message) are the whole story.
    pytest.fail(f"the sources in {config_dir} are invalid:\n{problem}", pytrace=False)


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Per test: what the test saw; attached to the report when the test fails."""
    record = Evidence()
    request.node.stash[EVIDENCE_KEY] = record
    return record


@pytest.fixture(scope="session")
def gateway_client(gateproof_settings: Settings) -> Iterator[httpx.Client]:
    """Authenticated gateway client: session, ``httpx.Client`` with base URL and key."""
    import httpx

    gateway = gateproof_settings.gateway
    if gateway is None:
        not_applicable("the gateway", "gateway.url")
    try:  # checks that need no key (health, CORS) must not depend on it: gateway_authed does
        key = resolve_secret_or_error(gateproof_settings, gateway.master_key, "gateway.master_key")
    except ProbeError:
        key = None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    timeouts = gateproof_settings.timeouts
    with httpx.Client(
        base_url=gateway.url,
        headers=headers,
        timeout=httpx.Timeout(timeouts.read_s, connect=timeouts.connect_s),
        transport=transport_naming_errors("gateway.url", timeouts.connect_s),
    ) as client:
        yield client


@pytest.fixture(scope="session")
def redis_client(gateproof_settings: Settings) -> Iterator[redis.Redis]:
    """Authenticated Redis client: session, ``redis.Redis``; no retries, each operation waits
    at most ``redis.timeout_s`` (a hung Redis is reported as up but not answering)."""
    from gateproof.probes import redis_probe

    settings = gateproof_settings.redis
    if settings is None:
        not_applicable("Redis", "redis.host")
    password = resolve_secret_or_error(gateproof_settings, settings.password, "redis.password")
    client = redis_probe.connect(gateproof_settings, password)
    yield client
    client.close()


@pytest.fixture(scope="session")
def prometheus(gateproof_settings: Settings) -> Any:
    """Prometheus: session, :class:`gateproof.probes.prometheus.PrometheusProbe` (no retries)."""
    from gateproof.probes.prometheus import PrometheusProbe

    settings = gateproof_settings.prometheus
    if settings is None:
        not_applicable("Prometheus", "prometheus.url")
    timeouts = gateproof_settings.timeouts
    return PrometheusProbe.connect(
        settings.url, connect_s=timeouts.connect_s, read_s=timeouts.read_s
    )


def _plain_client(settings: Settings, setting: str, headers: dict[str, str] | None = None) -> Any:
    import httpx

    timeouts = settings.timeouts
    return httpx.Client(
        headers=headers or {},
        timeout=httpx.Timeout(timeouts.read_s, connect=timeouts.connect_s),
        transport=transport_naming_errors(setting, timeouts.connect_s),
    )


@pytest.fixture(scope="session")
def alertmanager(gateproof_settings: Settings) -> Iterator[Any]:
    """Alertmanager: session, :class:`gateproof.probes.alertmanager.AlertmanagerProbe`."""
    from gateproof.probes.alertmanager import AlertmanagerProbe

    settings = gateproof_settings.alertmanager
    if settings is None:
        not_applicable("Alertmanager", "alertmanager.url")
    with _plain_client(gateproof_settings, "alertmanager.url") as client:
        yield AlertmanagerProbe(client, settings.url)


@pytest.fixture(scope="session")
def grafana(gateproof_settings: Settings) -> Iterator[Any]:
    """Grafana: session, :class:`gateproof.probes.grafana.GrafanaProbe` with the API token."""
    from gateproof.probes.grafana import GrafanaProbe

    settings = gateproof_settings.grafana
    if settings is None:
        not_applicable("Grafana", "grafana.url")
    token = resolve_secret_or_error(gateproof_settings, settings.token, "grafana.token")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with _plain_client(gateproof_settings, "grafana.url", headers) as client:
        yield GrafanaProbe(client, settings.url)


@pytest.fixture(scope="session")
def loki(gateproof_settings: Settings) -> Iterator[Any]:
    """Loki: session, :class:`gateproof.probes.loki.LokiProbe` (tenant from ``loki.org_id``)."""
    from gateproof.probes.loki import LokiProbe

    settings = gateproof_settings.loki
    if settings is None:
        not_applicable("Loki", "loki.url")
    with _plain_client(gateproof_settings, "loki.url") as client:
        yield LokiProbe(client, settings.url, settings.org_id)


@pytest.fixture(scope="session")
def monitoring_traffic(gateway_authed: Any, sources: Any) -> Any:
    """Session, :class:`gateproof.probes.correlation.Traffic`: bounded traffic so that the
    gateway's request, error, latency, deployment-state and cache series exist. Four
    requests, once per run: one completion twice (the second a cache hit), one streamed
    (LiteLLM's only path that counts a cache miss), one with a wrong key (a failure)."""
    from gateproof.probes.correlation import Traffic
    from gateproof.probes.gateway import chat_body, nonce

    models = list(sources.routable_models())
    if not models:
        pytest.fail("the sources route no model: no traffic to observe", pytrace=False)
    model = models[0]
    body = chat_body(model, f"gateproof monitoring traffic {nonce()}: reply ok")
    sent = [gateway_authed.chat_exact(body), gateway_authed.chat_exact(body)]
    # LiteLLM 1.108.7 counts a cache miss only for streamed calls (a plain miss reports
    # cache_hit None, which its Prometheus logger skips).
    sent.append(gateway_authed.stream(model))
    # A refused key is counted as a failed request, and LiteLLM's ERROR record of it is one
    # DEP-03 knows to be client-caused (an unknown model would be an ERROR it counts).
    sent.append(gateway_authed.with_wrong_key())
    return Traffic(model, tuple(sent))
