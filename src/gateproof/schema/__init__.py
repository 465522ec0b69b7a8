"""Schemas of the deployment's source of truth and the loader that reports every finding.

    load_sources(config_dir) -> Sources    providers.yaml + model-mappings.yaml, validated
    check_sources(config_dir) -> CheckedSources    every finding, plus what validated
    load_litellm_config(path) -> (LiteLLMConfig, YamlDoc)    the generated proxy config

Every error is a finding ``file:line: dotted.path: message (did you mean 'x'?)``; all findings
of a file come at once in one ``gateproof.errors.ConfigError``.
"""

from __future__ import annotations

from gateproof.schema.litellm import LiteLLMConfig
from gateproof.schema.loading import load_litellm_config, load_model
from gateproof.schema.mappings import Capability, Chain, ExactMatch, MappingsFile, Pattern
from gateproof.schema.providers import PROVIDER_TYPES, ModelSpec, Provider, ProvidersFile
from gateproof.schema.sources import (
    GENERATED_FILE,
    MAPPINGS_FILE,
    NO_KEY,
    PROVIDERS_FILE,
    SOURCE_FILES,
    CheckedSources,
    RoutedModel,
    Sources,
    check_sources,
    load_sources,
)
from gateproof.schema.yamlsrc import YamlDoc, load_yaml

__all__ = [
    "GENERATED_FILE",
    "MAPPINGS_FILE",
    "NO_KEY",
    "PROVIDERS_FILE",
    "PROVIDER_TYPES",
    "SOURCE_FILES",
    "Capability",
    "Chain",
    "CheckedSources",
    "ExactMatch",
    "LiteLLMConfig",
    "MappingsFile",
    "ModelSpec",
    "Pattern",
    "Provider",
    "ProvidersFile",
    "RoutedModel",
    "Sources",
    "YamlDoc",
    "check_sources",
    "load_litellm_config",
    "load_model",
    "load_sources",
    "load_yaml",
]
