"""config/model-mappings.yaml: which public model name is served where, and what answers instead."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from gateproof.schema.base import Name, Strict, as_list

Priority = Literal["primary", "secondary", "tertiary"]


class RateLimit(Strict):
    rpm: int | None = Field(None, gt=0)
    tpm: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_of(self) -> RateLimit:
        if self.rpm is None and self.tpm is None:
            raise ValueError("give rpm and/or tpm, e.g. {rpm: 60, tpm: 100000}")
        return self


class ExactMatch(Strict):
    provider: str
    priority: Priority = "primary"
    description: str | None = None
    backend_model: str | None = None
    rate_limit: RateLimit | None = None
    fallback: list[str] = Field(default_factory=list)  # model names (reference-checked)
    notes: Any = None

    _lists = field_validator("fallback", mode="before")(as_list)


class Pattern(Strict):
    pattern: str
    provider: str
    fallback: str | None = None  # a provider name
    priority: Priority | None = None
    description: str | None = None
    notes: Any = None


class Capability(Strict):
    description: str | None = None
    preferred_models: list[str] = Field(default_factory=list)
    routing_strategy: str | None = None
    fallback: list[str] = Field(default_factory=list)  # model names
    provider: str | None = None
    providers: list[str] = Field(default_factory=list)
    min_context: int | None = Field(None, gt=0)
    min_model_size: Any = None
    complexity_thresholds: Any = None
    context_thresholds: Any = None
    notes: Any = None

    _lists = field_validator("fallback", "providers", mode="before")(as_list)


class Chain(Strict):
    chain: list[str] = Field(default_factory=list)  # [] = end of chain: no fallback
    description: str | None = None
    notes: Any = None
    tier: Any = None


class WeightedProvider(Strict):
    provider: str
    weight: float = Field(1.0, ge=0)


class LoadBalancing(Strict):
    strategy: str | None = None
    providers: list[WeightedProvider] = Field(default_factory=list)
    parameters: Any = None
    description: str | None = None
    conditions: Any = None
    preferred_model: str | None = None  # a model name (reference-checked)

    @field_validator("providers", mode="before")
    @classmethod
    def _shapes(cls, value: Any) -> Any:
        # {name: weight} and bare names are common short forms
        if isinstance(value, dict):
            return [{"provider": name, "weight": weight} for name, weight in value.items()]
        if isinstance(value, list):
            return [{"provider": item} if isinstance(item, str) else item for item in value]
        return value


class Generator(Strict):
    """gateproof's own knobs for the generated LiteLLM config (all optional)."""

    num_retries: int = Field(2, ge=0, le=10)
    timeout: float = Field(120.0, gt=0)
    stream_timeout: float | None = Field(None, gt=0)
    allowed_fails: int = Field(3, ge=0)
    cooldown_time: float = Field(30.0, ge=0)
    cache: bool = True
    cache_ttl: int = Field(3600, gt=0)
    # router_settings.redis_*: the router keeps rpm/tpm counters and cooldowns in the cache's
    # Redis, so limits hold across gateway replicas (LiteLLM 1.108.7's proxy also lends the
    # router the cache's Redis by itself; this makes it explicit and independent of that).
    router_redis: bool = False
    metrics_require_auth: bool = True
    default_rate_limit: RateLimit | None = None
    max_fallbacks: int = Field(5, ge=1, le=20)


class MappingsFile(Strict):
    exact_matches: dict[Name, ExactMatch] = Field(default_factory=dict)
    patterns: list[Pattern] = Field(default_factory=list)
    capabilities: dict[Name, Capability] = Field(default_factory=dict)
    fallback_chains: dict[Name, Chain] = Field(default_factory=dict)
    load_balancing: dict[str, LoadBalancing] = Field(default_factory=dict)
    routing_rules: Any = None
    special_cases: Any = None
    metadata: Any = None
    notes: Any = None
    generator: Generator = Generator()

    @field_validator("fallback_chains", mode="before")
    @classmethod
    def _bare_chains(cls, value: Any) -> Any:
        # `name: [a, b]` is read as `name: {chain: [a, b]}`
        if isinstance(value, dict):
            return {k: {"chain": v} if isinstance(v, list) else v for k, v in value.items()}
        return value
