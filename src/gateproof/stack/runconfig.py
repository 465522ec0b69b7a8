"""Prepare a run dir: the source of truth re-pointed at the stack's ports, and the secrets.

The stack copies ``config/`` into ``RUN/config``. Active provider ``i`` (in providers.yaml
order) is served by a stand-in on ``base+10+i``; when the copied base URLs differ from that,
they are rewritten in providers.yaml. ``litellm-unified.yaml`` is then regenerated with
``gateproof.generate.generate(force=True)``, so ``config/.litellm-history`` keeps the copied file
and this deployment's as two versions (PRE-TST-04 rolls back between them). With the default
base port the copy equals the committed sources byte for byte apart from the version stamp.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from gateproof.stack.layout import RunDir, check_base_port, control_port, provider_port

PROVIDERS_FILE = "providers.yaml"
GENERATED_FILE = "litellm-unified.yaml"
_ENV_REF = re.compile(r"^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class ProviderPlan:
    """One active provider as the stack serves it."""

    name: str
    type: str
    base_url: str
    port: int
    control_port: int
    models: tuple[str, ...]
    api_key_env: str | None

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"


@dataclass(frozen=True)
class StackSecrets:
    master_key: str
    redis_password: str
    provider_keys: dict[str, str]  # env var name -> value
    grafana_token: str = ""  # the Grafana stand-in's service-account token

    def as_env(self) -> dict[str, str]:
        grafana = {"GRAFANA_TOKEN": self.grafana_token} if self.grafana_token else {}
        return {
            "LITELLM_MASTER_KEY": self.master_key,
            "REDIS_PASSWORD": self.redis_password,
            **self.provider_keys,
            **grafana,
        }


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read, never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # the file may have existed with wider permissions


def copy_sources(source_dir: Path, run: RunDir, base_port: int) -> list[ProviderPlan]:
    """Copy ``source_dir`` into the run dir, re-point providers at the stack, regenerate."""
    from gateproof.generate import generate
    from gateproof.schema import load_sources

    load_sources(source_dir)  # a broken source is reported against the user's file, not the copy
    if run.config.exists():
        shutil.rmtree(run.config)
    shutil.copytree(source_dir, run.config, ignore=shutil.ignore_patterns("backups", ".*"))
    sources = load_sources(run.config)
    active = list(sources.active_providers().items())
    check_base_port(base_port, len(active))
    wanted = {
        name: _stack_url(str(provider.base_url), provider_port(base_port, i))
        for i, (name, provider) in enumerate(active)
    }
    current = {name: str(provider.base_url) for name, provider in active}
    if wanted != current:
        _rewrite_urls(run.config / PROVIDERS_FILE, current, wanted)
        sources = load_sources(run.config)
    # As an operator deploys: `gateproof generate` keeps the copied file as the previous version
    # and stamps this deployment's, so the version store holds two to roll back between.
    generate(run.config, force=True)
    plans = []
    for i, (name, provider) in enumerate(sources.active_providers().items()):
        plans.append(
            ProviderPlan(
                name=name,
                type=str(provider.type),
                base_url=str(provider.base_url),
                port=provider_port(base_port, i),
                control_port=control_port(base_port, i),
                models=tuple(model.name for model in provider.models),
                api_key_env=_env_name(getattr(provider, "api_key", None)),
            )
        )
    return plans


def _stack_url(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme or "http", f"127.0.0.1:{port}", parts.path, "", ""))


def _rewrite_urls(path: Path, current: dict[str, str], wanted: dict[str, str]) -> None:
    """Rewrite base URLs as text (keeps comments); fall back to a YAML round trip."""
    text = path.read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text) or {}
    providers = raw.get("providers") or {}
    rewritten = text
    for name, url in wanted.items():
        old = str(providers.get(name, {}).get("base_url", current[name]))
        rewritten = re.sub(re.escape(old) + r"(?![0-9])", url, rewritten)
    check = (yaml.safe_load(rewritten) or {}).get("providers") or {}
    if any(str(check.get(name, {}).get("base_url")) != url for name, url in wanted.items()):
        for name, url in wanted.items():  # two providers shared a URL: edit the data instead
            providers[name]["base_url"] = url
        rewritten = yaml.safe_dump(raw, sort_keys=False)
    path.write_text(rewritten, encoding="utf-8")


def _env_name(ref: object) -> str | None:
    match = _ENV_REF.match(str(ref)) if ref else None
    return match.group(1) if match else None


def new_secrets(plans: list[ProviderPlan]) -> StackSecrets:
    keys = {
        p.api_key_env: f"sk-standin-{secrets.token_urlsafe(18)}" for p in plans if p.api_key_env
    }
    return StackSecrets(
        master_key=f"sk-gateproof-{secrets.token_urlsafe(24)}",
        redis_password=secrets.token_urlsafe(24),
        provider_keys=keys,
        grafana_token=f"glsa_gateproof_{secrets.token_urlsafe(24)}",
    )


def write_secrets(run: RunDir, stack_secrets: StackSecrets) -> None:
    lines = [f"{name}={value}" for name, value in stack_secrets.as_env().items()]
    write_private(run.secrets, "# reference stack secrets (0600)\n" + "\n".join(lines) + "\n")


def read_repo_gateproof_settings(source_dir: Path) -> dict[str, Any]:
    """The repo's own gateproof.yaml (policy: thresholds, alerts, ...), or {} when absent."""
    path = source_dir / "gateproof.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
