"""The LiteLLM proxy config (config/litellm-unified.yaml): the keys gateproof generates plus the
LiteLLM keys operators commonly add by hand. Unknown keys are errors, so a typo such as
``optional_pre_call_check`` is caught before the proxy silently ignores it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from gateproof.schema.base import Strict
from gateproof.schema.litellm_params import LITELLM_PARAMS


class LiteLLMParams(Strict):
    """The parameters gateproof reads are typed; any other parameter the pinned LiteLLM knows
    (``extra_body``, ``top_p``, provider credentials...) is kept in ``passthrough``; anything
    else is an unknown key (a typo LiteLLM would pass on to the provider)."""

    model: str = Field(min_length=1)
    api_base: str | None = None
    api_key: str | None = None
    api_version: str | None = None
    organization: str | None = None
    rpm: int | None = Field(None, gt=0)
    tpm: int | None = Field(None, gt=0)
    timeout: float | None = Field(None, gt=0)
    stream_timeout: float | None = Field(None, gt=0)
    max_retries: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, gt=0)
    temperature: float | None = None
    order: int | None = None
    weight: float | None = None
    extra_headers: dict[str, str] | None = None
    custom_llm_provider: str | None = None
    drop_params: bool | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    mock_response: Any = None
    keep_alive: Any = None
    passthrough: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _litellm_own(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        own = {k: v for k, v in data.items() if k not in cls.model_fields and k in LITELLM_PARAMS}
        if not own:
            return data
        return {k: v for k, v in data.items() if k not in own} | {"passthrough": own}


class ModelEntry(Strict):
    model_name: str = Field(min_length=1)
    litellm_params: LiteLLMParams
    model_info: dict[str, Any] | None = None


class RouterSettings(Strict):
    routing_strategy: str | None = None
    num_retries: int | None = Field(None, ge=0)
    timeout: float | None = Field(None, gt=0)
    stream_timeout: float | None = Field(None, gt=0)
    retry_after: float | None = Field(None, ge=0)
    allowed_fails: int | None = Field(None, ge=0)
    cooldown_time: float | None = Field(None, ge=0)
    max_fallbacks: int | None = Field(None, ge=0)
    fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    default_fallbacks: list[str] = Field(default_factory=list)
    context_window_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    content_policy_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    optional_pre_call_checks: list[str] = Field(default_factory=list)
    enable_pre_call_checks: bool | None = None
    model_group_alias: dict[str, Any] = Field(default_factory=dict)
    redis_host: str | None = None
    redis_port: str | int | None = None
    redis_password: str | None = None
    cache_responses: bool | None = None
    routing_strategy_args: dict[str, Any] | None = None


class CacheParams(Strict):
    type: str = "redis"
    host: str | None = None
    port: str | int | None = None
    password: str | None = None
    url: str | None = None
    ttl: int | None = Field(None, gt=0)
    namespace: str | None = None
    ssl: bool | None = None
    supported_call_types: list[str] | None = None
    mode: str | None = None
    default_in_memory_ttl: float | None = None
    default_in_redis_ttl: float | None = None


class LiteLLMSettings(Strict):
    cache: bool | None = None
    cache_params: CacheParams | None = None
    callbacks: list[str] = Field(default_factory=list)
    success_callback: list[str] = Field(default_factory=list)
    failure_callback: list[str] = Field(default_factory=list)
    service_callback: list[str] = Field(default_factory=list)
    drop_params: bool | None = None
    set_verbose: bool | None = None
    json_logs: bool | None = None
    request_timeout: float | None = Field(None, gt=0)
    num_retries: int | None = Field(None, ge=0)
    telemetry: bool | None = None
    require_auth_for_metrics_endpoint: bool | None = None
    turn_off_message_logging: bool | None = None
    redact_user_api_key_info: bool | None = None
    modify_params: bool | None = None
    max_budget: float | None = None
    budget_duration: str | None = None
    default_fallbacks: list[str] | None = None
    fallbacks: list[dict[str, list[str]]] | None = None
    context_window_fallbacks: list[dict[str, list[str]]] | None = None


class GeneralSettings(Strict):
    master_key: str | None = None
    database_url: str | None = None
    store_model_in_db: bool | None = None
    disable_spend_logs: bool | None = None
    alerting: list[str] | None = None
    alerting_threshold: float | None = None
    background_health_checks: bool | None = None
    health_check_interval: int | None = None
    health_check_details: bool | None = None
    max_parallel_requests: int | None = None
    global_max_parallel_requests: int | None = None
    infer_model_from_keys: bool | None = None
    allowed_routes: list[str] | None = None
    public_routes: list[str] | None = None
    enforce_user_param: bool | None = None
    disable_master_key_return: bool | None = None
    allow_requests_on_db_unavailable: bool | None = None
    dangerously_allow_mock_testing_request_params: bool | None = None


class LiteLLMConfig(Strict):
    model_list: list[ModelEntry] = Field(min_length=1)
    router_settings: RouterSettings = RouterSettings()
    litellm_settings: LiteLLMSettings = LiteLLMSettings()
    general_settings: GeneralSettings = GeneralSettings()
    environment_variables: dict[str, str] = Field(default_factory=dict)
