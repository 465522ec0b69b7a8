"""config/providers.yaml: the registry of model servers the gateway routes to."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from gateproof.schema.base import (
    Name,
    Strict,
    check_http_url,
    check_no_credentials,
    check_secret_ref,
)

ProviderType = Literal["ollama", "vllm", "llama_cpp", "openai_compatible", "openai", "anthropic"]
ProviderStatus = Literal["active", "disabled", "pending_integration", "template"]
PROVIDER_TYPES: tuple[str, ...] = ProviderType.__args__  # type: ignore[attr-defined]

# How LiteLLM addresses each type: (model prefix, does api_base end in /v1, needs an api_key)
LITELLM_ROUTE: dict[str, tuple[str, bool, bool]] = {
    "ollama": ("ollama_chat", False, False),
    "vllm": ("hosted_vllm", True, False),
    "llama_cpp": ("openai", True, True),
    "openai_compatible": ("openai", True, True),
    "openai": ("openai", True, True),
    "anthropic": ("anthropic", False, True),
}
DEFAULT_HEALTH = {"ollama": "/api/tags", "anthropic": "/v1/models"}


class ModelSpec(Strict):
    """One model a provider serves. A bare string in the file is read as ``{name: ...}``."""

    name: str = Field(min_length=1)
    context_length: int | None = Field(None, gt=0)
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    size: Any = None
    quantization: Any = None
    specialty: Any = None
    options: Any = None
    pulled_at: Any = None
    model_size_gb: float | None = Field(None, ge=0)
    kv_cache_available_gb: float | None = Field(None, ge=0)


class Provider(Strict):
    type: ProviderType
    status: ProviderStatus = "active"  # before base_url: a template's URL is a placeholder
    base_url: str | None = None
    description: str | None = None
    health_endpoint_: str | None = Field(None, alias="health_endpoint")
    api_key: str | None = None
    models: list[ModelSpec] = Field(default_factory=list)
    fallback: str | None = None  # another provider's name
    # Descriptive fields that real registries carry; kept, not interpreted.
    features: Any = None
    configuration: Any = None
    location: Any = None
    docs: Any = None
    notes: Any = None
    hardware_requirements: Any = None
    service_file: Any = None
    api_format: Any = None
    env_var: str | None = None
    requires_api_key: bool | None = None
    cost_per_1k_tokens: Any = None
    rate_limits: Any = None
    gpu_memory_utilization: float | None = Field(None, gt=0, le=1)
    max_model_len: int | None = Field(None, gt=0)

    _key = field_validator("api_key")(check_secret_ref)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("status") == "template":  # "http://<host>:<port>" is fine here
            return check_no_credentials(value)
        return check_http_url(value)

    @field_validator("health_endpoint_")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError("a path on the provider, starting with '/', e.g. /v1/models")
        return value

    @field_validator("models", mode="before")
    @classmethod
    def _bare_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def health_endpoint(self) -> str:
        """The configured health path, else the default of the type."""
        return self.health_endpoint_ or DEFAULT_HEALTH.get(self.type, "/v1/models")

    @property
    def active(self) -> bool:
        return self.status == "active"

    def model_names(self) -> list[str]:
        return [model.name for model in self.models]

    @cached_property
    def model_set(self) -> frozenset[str]:
        """The names of ``models`` for membership tests (computed once)."""
        return frozenset(model.name for model in self.models)


class ProvidersFile(Strict):
    providers: dict[Name, Provider]
    metadata: Any = None
    health_checks: Any = None
