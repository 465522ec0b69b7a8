"""What "good" means for one deployment: the gateproof settings, one strict pydantic model.

Every key has one dotted name (``gateway.url``), and from it one command-line option
(``--gateproof-gateway-url``) and one environment variable (``GATEPROOF_GATEWAY_URL``).
Precedence, highest first::

    command line  >  environment  >  settings file  >  default

A section left out (``grafana:`` absent, or ``null``) means that component is not part of
this deployment: its checks are not applicable. Secrets are never values in this file, only
references ``os.environ/NAME``, resolved when a probe needs them (from the environment,
then from ``secrets_file``, a 0600 ``NAME=value`` file such as the reference stack writes).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from gateproof import hostspec

SECRET_REF = re.compile(r"^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$")
DEFAULT_REQUIRED_ALERTS = [
    "LiteLLMDown",
    "AllProvidersDown",
    "FallbackChainExhausted",
    "HighErrorRate",
    "HighLatency",
    "RateLimitViolations",
    "RateLimitNearThreshold",
    "FallbacksFrequent",
]
# MON-02: one live series each for request rate, errors, latency histogram, deployment state,
# cache hits and misses, node CPU, memory and disk (LiteLLM 1.108.7 and node exporter names).
DEFAULT_CRITICAL_SERIES = [
    "litellm_proxy_total_requests_metric_total",
    "litellm_proxy_failed_requests_metric_total",
    "litellm_request_total_latency_metric_bucket",
    "litellm_deployment_state",
    "litellm_cache_hits_metric_total",
    "litellm_cache_misses_metric_total",
    "node_cpu_seconds_total",
    "node_memory_MemAvailable_bytes",
    "node_filesystem_avail_bytes",
]


def _check_secret_ref(value: str | None) -> str | None:
    if value is None or SECRET_REF.match(value):
        return value
    # Never echo the value: it may be the secret itself.
    raise ValueError(
        "must be a reference 'os.environ/NAME', not a literal secret "
        "(put the value in the environment or in secrets_file and reference it)"
    )


SecretRef = Annotated[str, Field(description="os.environ/NAME reference")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deployment(_Strict):
    name: str = "unnamed"
    environment: Literal["production", "staging"] = "production"
    exposure: Literal["local", "shared"] = "local"
    version: str | None = None


class Gateway(_Strict):
    url: str
    master_key: SecretRef | None = None
    deployed_config: Path | None = None
    service_name: str | None = None
    service_manager: Literal["auto", "systemd", "process"] = "auto"
    log_path: Path | None = None
    cors_origins: list[str] = []
    billed_health: bool = False
    allow_retries: bool = False  # a provider that needed a retry: a warning, not a failure
    # Each replica's own URL when several gateway processes serve `url` (behind a balancer,
    # or `url` is one of them): checks of "which process answered" run on every one.
    replicas: list[str] = []

    _ref = field_validator("master_key")(_check_secret_ref)

    @field_validator("replicas")
    @classmethod
    def _distinct_urls(cls, urls: list[str]) -> list[str]:
        cleaned = [u.strip().rstrip("/") for u in urls if u.strip()]
        bad = [u for u in cleaned if not u.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an http(s) URL (one URL per replica)")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a replica is listed twice")
        return cleaned


class Redis(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(6379, ge=1, le=65535)
    password: SecretRef | None = None
    db: int = 0
    timeout_s: float = Field(
        5.0, gt=0, le=120
    )  # per operation: a hung Redis costs this, not timeouts.read_s

    _ref = field_validator("password")(_check_secret_ref)


class Prometheus(_Strict):
    url: str
    gateway_job: str = "litellm"
    # MON-01: jobs that must have an active target (the gateway job always must).
    expected_jobs: list[str] = []
    # MON-02: metric names (or selectors) that must each have a live series.
    critical_series: list[str] = Field(default_factory=lambda: list(DEFAULT_CRITICAL_SERIES))


class Alertmanager(_Strict):
    url: str


class Grafana(_Strict):
    url: str
    token: SecretRef | None = None
    dashboard_uid: str | None = None
    dashboard_title: str | None = None

    _ref = field_validator("token")(_check_secret_ref)


class Loki(_Strict):
    url: str
    job: str = "litellm"
    org_id: str | None = None


class ProviderControl(_Strict):
    """Shell commands that stop and start one provider (for `destructive` checks)."""

    stop: str
    start: str


class Baseline(_Strict):
    p95_increase_pct: float = 20.0
    p95_increase_min_s: float = Field(0.25, ge=0)  # below this, a p95 rise is noise
    error_rate_increase: float = 0.005
    cache_hit_rate_drop: float = 0.10


class Thresholds(_Strict):
    p95_latency_s: float = Field(2.0, gt=0)
    error_rate: float = Field(0.01, ge=0, le=1)
    cache_hit_rate: float = Field(0.5, ge=0, le=1)
    cpu_percent: float = Field(80.0, gt=0, le=100)
    memory_percent: float = Field(85.0, gt=0, le=100)
    disk_percent: float = Field(85.0, gt=0, le=100)
    slow_answer_s: float = Field(10.0, gt=0)  # one minimal completion slower than this: reported
    baseline: Baseline = Baseline()


class Gate(_Strict):
    """One metric gate (PST-05..08): a PromQL query over a window, compared with a limit.

    ``{window}`` in the query is replaced by the window. ``series`` are the metric names the
    query needs; they are looked up first, so a renamed metric reads "could not measure"
    instead of an empty result that could pass. ``threshold`` left out: the matching
    ``thresholds.*`` key. ``on_empty``: what an empty result means (a missing series is
    never a pass: ``pass`` then reads as ``inconclusive``)."""

    query: str
    series: list[str] = []
    comparison: Literal["<", "<=", ">", ">="] = "<"
    threshold: float | None = None
    window: str | None = None
    on_empty: Literal["fail", "pass", "inconclusive"] = "fail"
    unit: str = ""


class Warmup(_Strict):
    """Bounded traffic the postdeploy phase sends before it checks (through Locust)."""

    rate_rps: float = Field(6.0, gt=0, le=10_000)
    duration_s: float = Field(15.0, gt=0, le=3600)
    users: int = Field(4, ge=1, le=10_000)
    models: list[str] = []  # empty: every routed model but postdeploy.rate_limit_model
    repeat_share: float = Field(0.8, ge=0, le=1)  # share of requests that repeat a prompt
    settle_s: float = Field(3.0, ge=0, le=300)  # wait for Prometheus to scrape the end


class Postdeploy(_Strict):
    warmup: Warmup = Warmup()
    window: str = "auto"  # PromQL range of the gates; auto: warm-up + settle time
    gates: dict[str, Gate] = {}  # added to (or replacing by name) the built-in gates
    rate_limit_model: str | None = "ratelimit-probe"
    baseline_file: Path | None = None  # default: paths.records / baseline.json
    baseline_required: bool = False  # no snapshot: not run (False) or a failure (True)
    max_generator_cpu_percent: float = Field(90.0, gt=0, le=100)


class Load(_Strict):
    """The sustained load test PRE-TST-05 (``load`` marker, ``--gateproof-load``)."""

    rate_rps: float = Field(20.0, gt=0, le=100_000)
    duration_s: float = Field(60.0, gt=0, le=86_400)
    users: int = Field(8, ge=1, le=100_000)
    models: list[str] = []
    repeat_share: float = Field(0.5, ge=0, le=1)
    min_rate_share: float = Field(0.9, gt=0, le=1)  # achieved / asked rate at least this
    # Distributed load (docs/postdeploy.md): 0 and 0 run one headless Locust process; else a
    # Locust master with ``workers`` local worker processes and ``remote_workers`` started by
    # hand on other machines, every worker connected within ``worker_wait_s``.
    workers: int = Field(0, ge=0, le=256)
    remote_workers: int = Field(0, ge=0, le=1000)
    master_bind_host: str | None = None  # default: 127.0.0.1, every interface with remote ones
    master_port: int = Field(0, ge=0, le=65535)  # 0: a free port, printed when the run starts
    worker_wait_s: float = Field(30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _a_user_per_worker(self) -> Load:
        workers = self.workers + self.remote_workers
        if workers > self.users:
            raise ValueError(
                f"load.users ({self.users}) is below load.workers + load.remote_workers "
                f"({workers}): a worker without a user would send nothing"
            )
        return self


class Alerts(_Strict):
    required: list[str] = Field(default_factory=lambda: list(DEFAULT_REQUIRED_ALERTS))
    rule_files: list[str] = ["monitoring/prometheus/rules/*.yml"]
    rule_tests: list[str] = ["monitoring/prometheus/tests/*.yml"]
    promtool: str = "promtool"
    # MON-07: "provider" stops a provider (provider_controls) and waits for test_alert;
    # "synthetic" posts test_alert to Alertmanager itself (no Prometheus rule involved).
    test_mode: Literal["provider", "synthetic"] = "provider"
    test_alert: str = "ProviderDeploymentOutage"
    test_provider: str | None = None  # default: the first of provider_controls
    test_timeout_s: float = Field(120.0, gt=0, le=3600)


class UnitTests(_Strict):
    """PRE-TST-01: the deployment repo's own unit tests. With ``command`` they are run here;
    without it, the reports CI's unit-test step wrote are read (and must be newer than what
    they cover). Relative paths resolve against ``workdir``, itself against where pytest runs."""

    command: str | None = None
    workdir: Path = Path(".")
    junit_xml: Path | None = None
    coverage_report: Path  # coverage.py JSON (`coverage json`) or XML (`coverage xml`)
    min_coverage: float = Field(0.9, ge=0, le=1)
    timeout_s: float = Field(300.0, gt=0)


class Paths(_Strict):
    backups: Path = Path("backups")
    records: Path = Path("records")


class Timeouts(_Strict):
    connect_s: float = Field(3.0, gt=0, le=120)
    read_s: float = Field(30.0, gt=0, le=600)


class Signoff(_Strict):
    deployer: str | None = None
    verifier: str | None = None


class Settings(_Strict):
    config_dir: Path = Path("config")
    # The git work tree whose history holds the sources (PRE-SEC-05); default: the one that
    # contains config_dir. Set it when config_dir is a copy (the reference stack's run dir).
    source_repo: Path | None = None
    secrets_file: Path | None = None
    deployment: Deployment = Deployment()
    gateway: Gateway | None = None
    redis: Redis | None = None
    prometheus: Prometheus | None = None
    alertmanager: Alertmanager | None = None
    grafana: Grafana | None = None
    loki: Loki | None = None
    hosts: list[str] = ["local://"]
    # The entries of hosts the gateway runs on (its port owner, deployed file, log, reach to
    # the components); empty: the first of hosts. The others get the resource check only.
    gateway_hosts: list[str] = []
    # An ssh_config(5) file for every ssh:// host that names none (?ssh_config=): identity,
    # known_hosts, StrictHostKeyChecking. None: ssh's defaults (~/.ssh/config).
    ssh_config: Path | None = None
    provider_controls: dict[str, ProviderControl] = {}
    thresholds: Thresholds = Thresholds()
    alerts: Alerts = Alerts()
    paths: Paths = Paths()
    timeouts: Timeouts = Timeouts()
    signoff: Signoff = Signoff()
    unit_tests: UnitTests | None = None
    postdeploy: Postdeploy = Postdeploy()
    load: Load = Load()

    @field_validator("hosts", "gateway_hosts")
    @classmethod
    def _no_password_in_host_specs(cls, value: list[str]) -> list[str]:
        # testinfra's ssh backend hands a spec's password to sshpass on its command line,
        # where every user of the machine can read it: keys only (ssh_config).
        for spec in value:
            if hostspec.password(spec):
                raise ValueError(
                    f"{hostspec.shown(spec)!r} carries a password: use a key instead "
                    "(IdentityFile in the file named by ssh_config); testinfra would put the "
                    "password on sshpass's command line"
                )
        return value

    @property
    def baseline_path(self) -> Path:
        """Where the predeploy run saves the PST-09 snapshot and postdeploy reads it."""
        return self.postdeploy.baseline_file or self.paths.records / "baseline.json"

    def secret_refs(self) -> dict[str, str]:
        """Every secret reference in these settings: dotted key -> reference."""
        found: dict[str, str] = {}
        for key, section, field in (
            ("gateway.master_key", self.gateway, "master_key"),
            ("redis.password", self.redis, "password"),
            ("grafana.token", self.grafana, "token"),
        ):
            ref = getattr(section, field, None) if section is not None else None
            if ref:
                found[key] = ref
        return found

    def resolve_secret(self, ref: str, key: str) -> str:
        """The value behind ``os.environ/NAME``, from the environment or ``secrets_file``."""
        match = SECRET_REF.match(ref)
        if not match:
            raise ValueError(f"{key}: not a secret reference")
        name = match.group(1)
        value = os.environ.get(name) or read_secrets_file(self.secrets_file).get(name)
        if not value:
            where = f" or {self.secrets_file}" if self.secrets_file else ""
            raise LookupError(
                f"{key} references {ref}, but {name} is not set in the environment{where}: "
                f"export {name}=... before the run"
            )
        return value


def read_secrets_file(path: Path | None) -> dict[str, str]:
    """``NAME=value`` lines of a secrets file; missing file -> empty."""
    if path is None or not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def flat_keys(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, Any]:
    """Every settable dotted key -> its annotation, walking nested sections."""
    keys: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = _section_model(annotation)
        dotted = f"{prefix}{name}"
        if inner is not None:
            keys.update(flat_keys(inner, f"{dotted}."))
        else:
            keys[dotted] = annotation
    return keys


def _section_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a section (``X`` or ``X | None``); a mapping of models is a plain key."""
    if get_origin(annotation) in (dict, list):
        return None
    candidates = getattr(annotation, "__args__", None) or (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def option_name(key: str) -> str:
    return "--gateproof-" + key.replace(".", "-").replace("_", "-")


def env_name(key: str) -> str:
    return "GATEPROOF_" + key.replace(".", "_").upper()
