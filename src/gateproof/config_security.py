"""PRE-SEC-05 (static part) and PRE-SEC-06 as functions returning findings (empty = holds):
no literal secret, URL credential or key-shaped value in the config files, committed or not;
no test-only switch in the gateway config. ``tests/unit/test_config_security.py`` wires them.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path

from gateproof.errors import ConfigError
from gateproof.schema import SOURCE_FILES, LiteLLMConfig, YamlDoc
from gateproof.schema.base import SECRET_REF
from gateproof.schema.findings import dotted
from gateproof.schema.yamlsrc import load_yaml, without_gc
from gateproof.secretscan import is_placeholder, mask
from gateproof.url_credentials import URL_CREDENTIALS, mask_url_credentials

# Switches meant for tests or debugging only: (section, key, value that is dangerous)
TEST_SWITCHES: tuple[tuple[str, str, object], ...] = (
    ("general_settings", "dangerously_allow_mock_testing_request_params", True),
    ("litellm_settings", "set_verbose", True),
    ("general_settings", "allow_requests_on_db_unavailable", True),
)
DANGEROUS_ENV = re.compile(r"^LITELLM_DANGEROUSLY_|^DETAILED_DEBUG$|^LITELLM_LOG$|^DEBUG$")
_SECRET_KEY = re.compile(r"(^|_)(key|password|secret|token)$|^database_url$", re.IGNORECASE)


# Shapes of real API keys, wherever they sit (a key pasted into a `notes` field still leaks).
_KEY_SHAPES = (
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("OpenAI-style API key", re.compile(r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}")),
    ("AWS access key id", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{20,}")),
)


_ANY_KEY_SHAPE = re.compile("|".join(shape.pattern for _kind, shape in _KEY_SHAPES))


@without_gc
def literal_secret_findings(doc: YamlDoc) -> list[str]:
    """PRE-SEC-05 (static part): secret-looking values of a config file are references; no URL
    carries credentials; no value anywhere has the shape of a real API key."""
    out = []
    data = doc.data if isinstance(doc.data, dict) else {}
    rotate = "remove it, and rotate it if it was ever shared"
    for path, key, value in _walk(data, []):
        if not isinstance(value, str):
            continue
        if "@" in value and URL_CREDENTIALS.search(value):
            out.append(
                f"{_at(doc, path)}: a URL with credentials ({mask_url_credentials(value)}); "
                f"{rotate}; give the key as api_key: os.environ/NAME"
            )
        elif _SECRET_KEY.search(str(key)):
            if SECRET_REF.match(value) or is_placeholder(value):
                continue
            out.append(
                f"{_at(doc, path)}: literal value (masked: {mask(value)}); write "
                "os.environ/NAME and keep the value in the gateway's environment"
            )
        elif _ANY_KEY_SHAPE.search(value):
            kind = next(k for k, shape in _KEY_SHAPES if shape.search(value))
            shown = f"(masked: {mask(value)})"
            out.append(f"{_at(doc, path)}: holds what looks like an {kind} {shown}; {rotate}")
    return out


def _at(doc: YamlDoc, path: list[Hashable]) -> str:
    """``file:line: dotted.path`` (looked up only for a finding: 100,000 values are checked)."""
    return f"{doc.where(path)}: {dotted(path)}"


def source_secret_findings(config_dir: Path) -> list[str]:
    """PRE-SEC-05 on the sources as they are now, committed or not (a key pasted a minute ago
    is not in the history yet)."""
    out: list[str] = []
    for name in SOURCE_FILES:
        try:
            doc = load_yaml(config_dir / name)
        except ConfigError:
            continue  # PRE-CFG-01 reports a file that does not parse
        out += literal_secret_findings(doc)
    return out


def _walk(node: object, path: list[Hashable]) -> list[tuple[list[Hashable], Hashable, object]]:
    found: list[tuple[list[Hashable], Hashable, object]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                found += _walk(value, [*path, key])
            else:
                found.append(([*path, key], key, value))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, [*path, index])
    return found


@without_gc
def switch_findings(config: LiteLLMConfig, doc: YamlDoc) -> list[str]:
    """PRE-SEC-06: switches meant for tests are off; no model answers with a canned mock."""
    out = []
    for section, key, bad in TEST_SWITCHES:
        if getattr(getattr(config, section), key) == bad:
            path: list[Hashable] = [section, key]
            out.append(
                f"{doc.where(path)}: {dotted(path)}: {bad!r} is a test/debug switch; "
                "remove it for production (or waive it for staging)"
            )
    for index, entry in enumerate(config.model_list):
        if entry.litellm_params.mock_response is not None:
            path = ["model_list", index, "litellm_params", "mock_response"]
            out.append(
                f"{doc.where(path)}: {dotted(path)}: model {entry.model_name!r} answers "
                "with a canned mock_response; remove it"
            )
    for name, value in config.environment_variables.items():
        if DANGEROUS_ENV.search(name) and value.lower() not in ("", "false", "0", "info"):
            path = ["environment_variables", name]
            out.append(f"{doc.where(path)}: {dotted(path)}: debug/danger switch set; remove it")
    return out
