"""What one stand-in serves: its provider name, wire protocol, model ids and optional key."""

from __future__ import annotations

from dataclasses import dataclass

OLLAMA = "ollama"
OPENAI_TYPES = ("vllm", "llama_cpp", "openai_compatible")
PROVIDER_TYPES = (OLLAMA, *OPENAI_TYPES)

# What /v1/models reports as owner, as the real servers do.
OWNED_BY = {"vllm": "vllm", "llama_cpp": "llamacpp", "openai_compatible": "organization_owner"}


@dataclass(frozen=True)
class StandinSpec:
    """One stand-in provider.

    ``models`` are the provider's own ids (backend names), e.g. ``llama3.1:latest`` for Ollama
    or ``Qwen/Qwen2.5-Coder-7B-Instruct`` for vLLM. Port 0 means "any free port".
    """

    name: str
    type: str
    models: tuple[str, ...]
    api_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    control_port: int = 0

    def __post_init__(self) -> None:
        if self.type not in PROVIDER_TYPES:
            raise ValueError(f"unknown provider type {self.type!r}; one of {PROVIDER_TYPES}")
        if not self.models:
            raise ValueError(f"stand-in {self.name!r} needs at least one model")
        if not self.name:
            raise ValueError("stand-in needs a name")

    @property
    def is_ollama(self) -> bool:
        return self.type == OLLAMA


def find_model(spec: StandinSpec, requested: object) -> str | None:
    """The configured model id a request names, or None when the provider does not serve it.

    Ollama treats a name without a tag as ``NAME:latest``; the OpenAI servers match exactly.
    """
    if not isinstance(requested, str) or not requested:
        return None
    if requested in spec.models:
        return requested
    if spec.is_ollama:
        tagged = requested if ":" in requested else f"{requested}:latest"
        for model in spec.models:
            if tagged in (model, f"{model}:latest"):
                return model
    return None
