"""Load any one YAML file into a strict model, with line-numbered findings."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from gateproof.errors import ConfigError
from gateproof.schema.findings import findings_from
from gateproof.schema.litellm import LiteLLMConfig
from gateproof.schema.yamlsrc import MAX_SOURCE_BYTES, YamlDoc, load_yaml

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, root: type[M], max_bytes: int = MAX_SOURCE_BYTES) -> tuple[M, YamlDoc]:
    """Parse ``path`` and validate it as ``root``; ConfigError with all findings otherwise.

    Also used for ``config/gateproof.yaml`` with ``gateproof.settings.Settings``."""
    doc = load_yaml(path, max_bytes)
    try:
        return root.model_validate(doc.data), doc
    except ValidationError as exc:
        raise ConfigError(findings_from(exc, doc, root)) from None


def load_litellm_config(path: Path) -> tuple[LiteLLMConfig, YamlDoc]:
    return load_model(path, LiteLLMConfig)
