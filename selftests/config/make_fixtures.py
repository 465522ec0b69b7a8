# ruff: noqa: E501  (a table of cases: one case per entry reads better than wrapped)
"""Write fixtures/configs/<case>/ (run from the repo root: python selftests/config/make_fixtures.py).

Each case is the small base deployment below with one thing broken (or one edge case), plus
expect.yaml: the checklist ID that must fail, a fragment of its message, any other IDs that
fail as a consequence, and the IDs left unchecked (error) because a file does not parse. Cases that need a generated file get one rendered from their own sources
and then edited, as a hand edit would.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from gateproof.errors import ConfigError
from gateproof.generate import render
from gateproof.schema import load_sources

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "configs"
ALLOW = "  # pragma: allowlist secret"
# Made-up keys for the literal-secret cases (allowlisted: PRE-SEC-05 must not flag this file).
FAKE_KEY = "-".join(("sk", "proj", "4fT9qLm2Xv8Rz1Nw6Bk3Hd7Pj5Yc0Ge"))  # pragma: allowlist secret
FAKE_MASTER = "-".join(("sk", "9Qw2Er4Ty6Ui8Op0As1Df3Gh5Jk7Lz"))  # pragma: allowlist secret
_ANT = ("sk", "ant", "api03", "Zq8Lm3Nx7Vb2Kc9Rt4Wy6Hd1Pf5Gj0Ss")  # pragma: allowlist secret
FAKE_ANTHROPIC = "-".join(_ANT)
FAKE_PASSWORD = "Tr0ub4dor-" + "horse-7731"  # pragma: allowlist secret

PROVIDERS = """\
# base deployment of the fixtures: three local providers, one disabled cloud provider
providers:
  ollama:
    type: ollama
    base_url: http://127.0.0.1:11434
    models: ["llama3.1:latest", "qwen2.5-coder:7b"]
  vllm:
    type: vllm
    base_url: http://127.0.0.1:8001
    models: [Qwen/Qwen2.5-Coder-7B-Instruct]
  llama_cpp_python:
    type: llama_cpp
    base_url: http://127.0.0.1:8080
    models: [llama-cpp-default]
  cloud:
    type: openai
    base_url: https://api.example.invalid/v1
    status: disabled
    api_key: os.environ/CLOUD_API_KEY
    models: [gpt-4o-mini]
"""

MAPPINGS = """\
exact_matches:
  "llama3.1:latest":
    provider: ollama
    rate_limit: {rpm: 60, tpm: 100000}
  "qwen2.5-coder:7b":
    provider: ollama
    rate_limit: {rpm: 60}
  qwen-coder-vllm:
    provider: vllm
    backend_model: Qwen/Qwen2.5-Coder-7B-Instruct
    rate_limit: {rpm: 120}
  llama-cpp-default:
    provider: llama_cpp_python
    rate_limit: {tpm: 40000}
patterns:
  - {pattern: "^Qwen/.*", provider: vllm, fallback: ollama}
capabilities:
  code:
    preferred_models: [qwen-coder-vllm, "qwen2.5-coder:7b"]
    fallback: "llama3.1:latest"
fallback_chains:
  qwen-coder-vllm:
    chain: ["qwen2.5-coder:7b", "llama3.1:latest"]
  "qwen2.5-coder:7b":
    chain: [llama-cpp-default]
  default:
    chain: ["llama3.1:latest"]
"""

Edit = Callable[[str], str]
# A source file that does not parse leaves these unchecked (one line each; PRE-CFG-01 explains).
BLOCKED = ["PRE-CFG-02", "PRE-CFG-03", "PRE-CFG-04", "PRE-CFG-05", "PRE-SEC-02"]


def sub(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        if old not in text:
            raise SystemExit(f"fixture edit: {old!r} not in text")
        return text.replace(old, new, 1)

    return edit


def keep(text: str) -> str:
    return text


def team_providers(text: str) -> str:
    """A team's own keys on providers and at the top (issue 9's real-world file)."""
    text = text.replace(
        "    type: vllm\n",
        "    type: vllm\n    owner: ml-infra\n    sla_tier: gold\n    cost_center: 4711\n",
    ).replace(
        "    type: ollama\n",
        "    type: ollama\n    owner: desktop\n    maintenance_window: sun-02\n",
        1,
    )
    return "team: platform-ml\nreview_cycle: quarterly\n" + text


def team_mappings(text: str) -> str:
    return (
        text.replace(
            "  qwen-coder-vllm:\n    provider: vllm\n",
            "  qwen-coder-vllm:\n    provider: vllm\n    runbook: https://wiki.example.invalid/qwen\n    added_by: alice\n",
        )
        + "changelog: [one, two]\n"
    )


CASES: list[dict[str, Any]] = [
    # --- PRE-CFG-01: the files themselves
    dict(
        name="malformed-yaml",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="not valid YAML",
        providers=sub("    type: vllm\n", "   type: vllm\n  - oops\n"),
        about="indentation broken in providers.yaml",
    ),
    dict(
        name="empty-mappings",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="file is empty",
        mappings=lambda t: "# nothing here yet\n",
        about="model-mappings.yaml has only a comment",
    ),
    dict(
        name="list-not-mapping",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="the top level is a list",
        providers=lambda t: "- ollama\n- vllm\n",
        about="providers.yaml is a list",
    ),
    dict(
        name="duplicate-provider",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="duplicate key 'ollama'",
        providers=lambda t: t + "  ollama:\n    type: ollama\n    base_url: http://127.0.0.1:1\n",
        about="the same provider key twice: YAML would silently keep one",
    ),
    dict(
        name="duplicate-exact-match",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="duplicate key 'llama3.1:latest'",
        mappings=sub(
            "fallback_chains:\n",
            'fallback_chains:\n  "llama3.1:latest": [llama-cpp-default]\n  "llama3.1:latest": [qwen-coder-vllm]\n',
        ),
        about="a fallback chain defined twice",
    ),
    dict(
        name="non-utf8",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="not UTF-8",
        raw_providers=True,
        providers=lambda t: t.replace("three local", "three l\udcf6cal"),
        about="providers.yaml saved as Latin-1",
    ),
    dict(
        name="two-documents",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="more than one YAML document",
        mappings=lambda t: t + "---\nexact_matches: {}\n",
        about="a stray '---' document",
    ),
    dict(
        name="alias-bomb",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="alias bomb",
        mappings=lambda t: (
            t
            + "metadata:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"  {c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
                for p, c in zip("abcdefg", "bcdefgh", strict=True)
            )
        ),
        about="billion laughs: aliases that expand exponentially",
    ),
    dict(
        name="typo-in-key",
        id="PRE-CFG-01",
        message="unknown key 'base_ulr' (did you mean 'base_url'?)",
        providers=sub("    base_url: http://127.0.0.1:8001", "    base_ulr: http://127.0.0.1:8001"),
        about="misspelt key",
    ),
    dict(
        name="unknown-provider-type",
        id="PRE-CFG-01",
        message="(did you mean 'ollama'?)",
        providers=sub("    type: ollama", "    type: olama"),
        about="provider type typo",
    ),
    dict(
        name="literal-api-key",
        id="PRE-CFG-01",
        message="a literal secret is not allowed here",
        also=["PRE-SEC-05"],
        providers=sub("    api_key: os.environ/CLOUD_API_KEY", "    api_key: " + FAKE_KEY + ALLOW),
        secret=FAKE_KEY,
        about="a key pasted into providers.yaml; the message must not echo it",
    ),
    dict(
        name="base-url-without-scheme",
        id="PRE-CFG-01",
        message="expected an http:// or https:// URL",
        providers=sub("http://127.0.0.1:8080", "127.0.0.1:8080"),
        about="base_url lacks http://",
    ),
    dict(
        name="rate-limit-zero",
        id="PRE-CFG-01",
        message="rate_limit.rpm: Input should be greater than 0",
        mappings=sub("rate_limit: {rpm: 120}", "rate_limit: {rpm: 0}"),
        about="rpm 0",
    ),
    dict(
        name="bad-status",
        id="PRE-CFG-01",
        message="got 'enabled'",
        providers=sub("    status: disabled", "    status: enabled"),
        about="status is not one of the four",
    ),
    dict(
        name="mapping-without-provider",
        id="PRE-CFG-01",
        message="required key 'provider' is missing",
        mappings=sub(
            "  llama-cpp-default:\n    provider: llama_cpp_python\n", "  llama-cpp-default:\n"
        ),
        about="exact match lacks its provider",
    ),
    dict(
        name="ok-empty-chain-ends-the-chain",
        id=None,
        message="",
        mappings=sub("    chain: [llama-cpp-default]", "    chain: []"),
        about="chain: [] is the end of a chain (real files write it): no fallback generated",
    ),
    dict(
        name="tab-indented-line",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="indent with spaces",
        providers=sub("    type: vllm\n", "\ttype: vllm\n"),
        about="an editor put a tab in front of a key",
    ),
    dict(
        name="unquoted-colon-in-value",
        not_checked=BLOCKED,
        id="PRE-CFG-01",
        message="must be quoted",
        providers=sub(
            "    type: ollama\n", "    type: ollama\n    description: Ollama: local models\n"
        ),
        about="': ' inside an unquoted value",
    ),
    dict(
        name="api-key-almost-reference",
        id="PRE-CFG-01",
        message="write os.environ/CLOUD_API_KEY",
        providers=sub("api_key: os.environ/CLOUD_API_KEY", "api_key: os.environ.CLOUD_API_KEY"),
        about="a reference with a dot: LiteLLM would send it as the key (a variable name, not a secret)",
    ),
    dict(
        name="generated-key-typo",
        id="PRE-CFG-01",
        message="unknown key 'optional_pre_call_check' (did you mean 'optional_pre_call_checks'?)",
        also=["PRE-CFG-02", "PRE-SEC-02"],  # LiteLLM ignores the misspelt key: limits off
        generated=sub("optional_pre_call_checks:", "optional_pre_call_check:"),
        about="hand edit of the generated file with a typo LiteLLM would silently ignore",
    ),
    # --- PRE-CFG-02
    dict(
        name="stale-generated",
        id="PRE-CFG-02",
        message="regenerate with `gateproof generate",
        generated=sub("rpm: 120", "rpm: 100"),
        about="sources changed after the last generate",
    ),
    dict(
        name="hand-edited-generated",
        id="PRE-CFG-02",
        message='+      api_base: "http://127.0.0.1:8001/v1"',
        generated=sub("http://127.0.0.1:8001/v1", "http://10.0.0.5:8001/v1"),
        about="someone pointed a model elsewhere in the generated file",
    ),
    # --- PRE-CFG-03
    dict(
        name="shared-host-port",
        id="PRE-CFG-03",
        message="is already the address of provider 'ollama'",
        providers=sub("http://127.0.0.1:8080", "http://127.0.0.1:11434"),
        about="two providers, one port",
    ),
    dict(
        name="active-provider-without-models",
        id="PRE-CFG-03",
        message="active but lists no models",
        also=["PRE-CFG-04"],
        providers=sub("    models: [llama-cpp-default]", "    models: []"),
        about="provider with no models (its mapping then points at nothing)",
    ),
    dict(
        name="openai-without-key",
        id="PRE-CFG-03",
        message="needs api_key: os.environ/NAME",
        also=["PRE-CFG-04"],
        providers=sub("    status: disabled\n    api_key: os.environ/CLOUD_API_KEY\n", ""),
        about="the cloud provider turned on without a key (and its model is unmapped)",
    ),
    dict(
        name="loopback-alias-same-server",
        id="PRE-CFG-03",
        message="(127.0.0.1:11434: the same server)",
        providers=sub("http://127.0.0.1:8080", "http://localhost:11434"),
        about="localhost and 127.0.0.1 are one server",
    ),
    # --- PRE-CFG-04
    dict(
        name="model-without-exact-match",
        id="PRE-CFG-04",
        message="'qwen2.5-coder:14b' of active provider 'ollama' has no exact match",
        providers=sub('"qwen2.5-coder:7b"]', '"qwen2.5-coder:7b", "qwen2.5-coder:14b"]'),
        about="a newly pulled model never mapped",
    ),
    dict(
        name="mapping-to-disabled-provider",
        id="PRE-CFG-04",
        message="provider 'cloud' is disabled",
        mappings=sub(
            "exact_matches:\n",
            "exact_matches:\n  gpt-4o-mini:\n    provider: cloud\n    rate_limit: {rpm: 10}\n",
        ),
        about="mapping to a disabled provider",
    ),
    dict(
        name="mapping-provider-typo",
        id="PRE-CFG-04",
        message="unknown provider 'olama' (did you mean 'ollama'?)",
        also=["PRE-CFG-05"],
        mappings=sub(
            '  "qwen2.5-coder:7b":\n    provider: ollama',
            '  "qwen2.5-coder:7b":\n    provider: olama',
        ),
        about="typo in a mapping's provider (chains through it then dangle)",
    ),
    dict(
        name="bad-pattern",
        id="PRE-CFG-04",
        message="is not a valid regex",
        mappings=sub('"^Qwen/.*"', '"^Qwen/(.*"'),
        about="unbalanced parenthesis",
    ),
    dict(
        name="capability-names-provider",
        id="PRE-CFG-04",
        message="'vllm' is a provider, not a model (did you mean 'qwen-coder-vllm'?)",
        mappings=sub("preferred_models: [qwen-coder-vllm,", "preferred_models: [vllm,"),
        about="capability lists a provider instead of a model",
    ),
    dict(
        name="backend-not-served",
        id="PRE-CFG-04",
        message="does not list model 'Qwen/Qwen2.5-Coder-7B'",
        mappings=sub(
            "backend_model: Qwen/Qwen2.5-Coder-7B-Instruct", "backend_model: Qwen/Qwen2.5-Coder-7B"
        ),
        also=[],
        about="backend_model not among the provider's models",
    ),
    dict(
        name="load-balancing-unknown-provider",
        id="PRE-CFG-04",
        message="unknown provider 'lmstudio'",
        mappings=lambda t: (
            t
            + "load_balancing:\n  chat:\n    strategy: weighted\n    providers: {ollama: 0.5, lmstudio: 0.5}\n"
        ),
        about="load balancing over a provider that is not registered",
    ),
    # --- PRE-CFG-05
    dict(
        name="chain-names-provider",
        id="PRE-CFG-05",
        message="chain[1]: 'llama_cpp_python' is a provider, not a model (did you mean 'llama-cpp-default'?)",
        mappings=sub(
            'chain: ["qwen2.5-coder:7b", "llama3.1:latest"]',
            'chain: ["qwen2.5-coder:7b", llama_cpp_python]',
        ),
        about="the classic: a chain names the provider",
    ),
    dict(
        name="cycle-two",
        id="PRE-CFG-05",
        message="cycle qwen-coder-vllm -> qwen2.5-coder:7b -> qwen-coder-vllm",
        mappings=sub("    chain: [llama-cpp-default]", "    chain: [qwen-coder-vllm]"),
        about="a -> b -> a",
    ),
    dict(
        name="cycle-three",
        id="PRE-CFG-05",
        message="cycle qwen-coder-vllm -> qwen2.5-coder:7b -> llama-cpp-default -> qwen-coder-vllm",
        mappings=sub("  default:\n", "  llama-cpp-default: [qwen-coder-vllm]\n  default:\n"),
        about="a -> b -> c -> a",
    ),
    dict(
        name="self-reference",
        id="PRE-CFG-05",
        message="falls back to itself",
        mappings=sub(
            'chain: ["qwen2.5-coder:7b", "llama3.1:latest"]',
            'chain: [qwen-coder-vllm, "llama3.1:latest"]',
        ),
        about="a model in its own chain",
    ),
    dict(
        name="dangling-target",
        id="PRE-CFG-05",
        message="'llama3.2:latest' is not a model of this deployment (did you mean 'llama3.1:latest'?)",
        mappings=sub(
            '  default:\n    chain: ["llama3.1:latest"]',
            '  default:\n    chain: ["llama3.2:latest"]',
        ),
        about="default chain names a model that does not exist",
    ),
    dict(
        name="inactive-target",
        id="PRE-CFG-05",
        message="which is disabled, so it is not in the generated model list",
        also=["PRE-CFG-04"],
        mappings=lambda t: sub(
            "exact_matches:\n",
            "exact_matches:\n  gpt-4o-mini:\n    provider: cloud\n    rate_limit: {rpm: 10}\n",
        )(sub("    chain: [llama-cpp-default]", "    chain: [llama-cpp-default, gpt-4o-mini]")(t)),
        about="chain target mapped to a disabled provider",
    ),
    dict(
        name="chain-to-disabled-providers-model",
        id="PRE-CFG-05",
        message="'gpt-4o-mini' is listed by provider 'cloud' (disabled) but has no exact match",
        mappings=sub(
            "    chain: [llama-cpp-default]", "    chain: [llama-cpp-default, gpt-4o-mini]"
        ),
        about="chain target that only a disabled provider serves (never mapped)",
    ),
    dict(
        name="chain-names-backend-id",
        id="PRE-CFG-05",
        message="is a backend model id; name the public model 'qwen-coder-vllm' instead",
        mappings=sub(
            "    chain: [llama-cpp-default]", "    chain: [Qwen/Qwen2.5-Coder-7B-Instruct]"
        ),
        about="chain names the provider's model id instead of the public name",
    ),
    dict(
        name="duplicate-target",
        id="PRE-CFG-05",
        message="is listed twice",
        mappings=sub(
            'chain: ["qwen2.5-coder:7b", "llama3.1:latest"]',
            'chain: ["llama3.1:latest", "qwen2.5-coder:7b", "llama3.1:latest"]',
        ),
        about="the same target twice in one chain",
    ),
    dict(
        name="pattern-fallback-unknown",
        id="PRE-CFG-05",
        message="provider 'ollma' is unknown (did you mean 'ollama'?)",
        mappings=sub("fallback: ollama}", "fallback: ollma}"),
        about="pattern fallback names a missing provider",
    ),
    dict(
        name="provider-fallback-unknown",
        id="PRE-CFG-05",
        message="provider 'vlm' is unknown (did you mean 'vllm'?)",
        providers=sub(
            "    models: [llama-cpp-default]", "    fallback: vlm\n    models: [llama-cpp-default]"
        ),
        about="provider-level fallback names an unknown provider",
    ),
    dict(
        name="chain-longer-than-max-fallbacks",
        id="PRE-CFG-05",
        message="LiteLLM tries at most max_fallbacks=1",
        also=[],
        mappings=lambda t: t + "generator:\n  max_fallbacks: 1\n",
        about="chain longer than LiteLLM will try",
    ),
    dict(
        name="generated-fallback-dangling",
        id="PRE-CFG-05",
        message="'qwen2.5-coder:14b' is not a model_name of this config",
        also=["PRE-CFG-02"],
        generated=sub(
            '- qwen-coder-vllm: ["qwen2.5-coder:7b"', '- qwen-coder-vllm: ["qwen2.5-coder:14b"'
        ),
        about="hand edit of the router fallbacks",
    ),
    # --- PRE-SEC-02
    dict(
        name="model-without-rate-limit",
        id="PRE-SEC-02",
        message="has no rpm/tpm",
        mappings=sub(
            "    provider: llama_cpp_python\n    rate_limit: {tpm: 40000}\n",
            "    provider: llama_cpp_python\n",
        ),
        about="an exact match without rate_limit and no generator default",
    ),
    dict(
        name="rate-limits-not-enforced",
        id="PRE-SEC-02",
        message="lacks 'enforce_model_rate_limits'",
        also=["PRE-CFG-02"],
        generated=sub("  optional_pre_call_checks: [enforce_model_rate_limits]\n", ""),
        about="rpm/tpm present but LiteLLM would not enforce them",
    ),
    # --- PRE-SEC-05 (static)
    dict(
        name="literal-master-key",
        id="PRE-SEC-05",
        message="general_settings.master_key: literal value (masked",
        also=["PRE-CFG-02"],
        secret=FAKE_MASTER,
        generated=sub(
            "master_key: os.environ/LITELLM_MASTER_KEY", "master_key: " + FAKE_MASTER + ALLOW
        ),
        about="master key pasted into the generated config",
    ),
    # --- PRE-SEC-06
    dict(
        name="mock-testing-switch",
        id="PRE-SEC-06",
        message="dangerously_allow_mock_testing_request_params: True is a test/debug switch",
        also=["PRE-CFG-02"],
        generated=lambda t: t + "  dangerously_allow_mock_testing_request_params: true\n",
        about="the fallback-test switch left on",
    ),
    dict(
        name="mock-response",
        id="PRE-SEC-06",
        message="answers with a canned mock_response",
        also=["PRE-CFG-02"],
        generated=sub("      rpm: 120\n", "      rpm: 120\n      mock_response: hello\n"),
        about="a model that answers with a fixed text",
    ),
    # --- semantic mistakes: each file valid, the deployment still wrong
    dict(
        name="ollama-base-url-v1",
        id="PRE-CFG-03",
        message="ends in /v1, but LiteLLM's Ollama route calls <base_url>/api/chat",
        providers=sub("http://127.0.0.1:11434", "http://127.0.0.1:11434/v1"),
        about="an Ollama base_url with /v1 (404 at run time)",
    ),
    dict(
        name="vllm-base-url-api",
        id="PRE-CFG-03",
        message="ends in /api, but a vllm server speaks the OpenAI API under /v1",
        providers=sub("http://127.0.0.1:8001", "http://127.0.0.1:8001/api"),
        about="a vLLM base_url with /api (404 at run time)",
    ),
    dict(
        name="max-model-len-below-context",
        id="PRE-CFG-03",
        message="claims 32768 tokens, but the server's max_model_len is 8192",
        providers=sub(
            "    models: [Qwen/Qwen2.5-Coder-7B-Instruct]",
            "    max_model_len: 8192\n    models:\n      - {name: Qwen/Qwen2.5-Coder-7B-Instruct, context_length: 32768}",
        ),
        about="vLLM started with a smaller max_model_len than the model claims",
    ),
    dict(
        name="long-context-capability-small-model",
        id="PRE-CFG-04",
        message="'llama-cpp-default' has a 4096-token context, below this capability's min_context 16384",
        providers=sub(
            "    models: [llama-cpp-default]",
            "    models: [{name: llama-cpp-default, context_length: 4096}]",
        ),
        mappings=sub(
            "capabilities:\n",
            "capabilities:\n  long_context:\n    preferred_models: [llama-cpp-default]\n    min_context: 16384\n",
        ),
        about="a long-context capability that lists a 4k model",
    ),
    dict(
        name="fallback-to-much-smaller-context",
        id="PRE-CFG-05",
        message="'qwen-coder-vllm' (32768 tokens) falls back to 'llama-cpp-default' (4096 tokens)",
        providers=lambda t: sub(
            "    models: [llama-cpp-default]",
            "    models: [{name: llama-cpp-default, context_length: 4096}]",
        )(
            sub(
                "    models: [Qwen/Qwen2.5-Coder-7B-Instruct]",
                "    models: [{name: Qwen/Qwen2.5-Coder-7B-Instruct, context_length: 32768}]",
            )(t)
        ),
        mappings=sub(
            'chain: ["qwen2.5-coder:7b", "llama3.1:latest"]', "chain: [llama-cpp-default]"
        ),
        about="a fallback chain from a 32k model to a 4k one",
    ),
    dict(
        name="rpm-tpm-swapped",
        id="PRE-SEC-02",
        message="rpm 100000 is above tpm 60 (every request would have to be under one token)",
        mappings=sub("rate_limit: {rpm: 60, tpm: 100000}", "rate_limit: {rpm: 100000, tpm: 60}"),
        about="rpm and tpm swapped",
    ),
    dict(
        name="env-reference-not-in-header",
        id="PRE-CFG-02",
        message="uses os.environ/VLLM_API_KEY but does not list VLLM_API_KEY",
        generated=sub(
            '      api_base: "http://127.0.0.1:8001/v1"\n',
            '      api_base: "http://127.0.0.1:8001/v1"\n      api_key: os.environ/VLLM_API_KEY\n',
        ),
        about="a reference added by hand: the gateway's environment would lack it",
    ),
    dict(
        name="key-in-notes",
        id="PRE-SEC-05",
        message="holds what looks like an Anthropic API key",
        providers=sub(
            "    type: vllm\n",
            "    type: vllm\n    notes: temporary key " + FAKE_ANTHROPIC + ALLOW + "\n",
        ),
        secret=FAKE_ANTHROPIC,
        about="an Anthropic-style key pasted into a free-text field",
    ),
    dict(
        name="url-credentials",
        id="PRE-SEC-05",
        message="a URL with credentials (http://***@127.0.0.1:8080)",
        also=["PRE-CFG-01"],
        providers=sub(
            "http://127.0.0.1:8080", "http://admin:" + FAKE_PASSWORD + "@127.0.0.1:8080" + ALLOW
        ),
        secret=FAKE_PASSWORD,
        about="a password inside a base_url: refused, reported as a secret, never echoed",
    ),
    dict(
        name="ok-placeholders-template-accents",
        id=None,
        message="",
        providers=lambda t: (
            t.replace(
                "    models: [llama-cpp-default]\n",
                "    api_key: not-needed\n    models: [llama-cpp-default]\n",
            )
            + "  future-gpu:\n    type: vllm\n    status: template\n    base_url: http://<gpu-host>:<port>\n    models: [modèle-fr]\n"
            + "  mistral-fr:\n    type: ollama\n    base_url: http://127.0.0.1:11500\n    models: [modèle-fr]\n"
        ),
        mappings=sub(
            "exact_matches:\n",
            'exact_matches:\n  modèle-fr:\n    provider: mistral-fr\n    rate_limit: {rpm: 30}\n    fallback: ["llama3.1:latest"]\n',
        ),
        about="documented placeholder keys, a template with a placeholder URL, an accented name, a fallback on an exact match",
    ),
    dict(
        name="ok-team-metadata-keys",
        id=None,
        message="",
        providers=team_providers,
        mappings=team_mappings,
        about="a team's own keys (owner, sla_tier, runbook...) resemble no known key: kept as metadata, no finding",
    ),
    dict(
        name="team-format-real-bugs",
        id="PRE-CFG-04",
        message="'vllm' is a provider, not a model",
        also=["PRE-CFG-02", "PRE-CFG-05"],
        providers=team_providers,
        mappings=lambda t: team_mappings(t).replace(
            "preferred_models: [qwen-coder-vllm,", "preferred_models: [vllm,"
        ),
        generated=sub('- qwen-coder-vllm: ["qwen2.5-coder:7b"', "- qwen-coder-vllm: [ollama"),
        about="issue 9's file: its own metadata keys hid nothing; a capability and a router fallback naming providers are reported",
    ),
    # --- edge cases that must pass
    dict(
        name="ok-short-forms-anchors-comments",
        id=None,
        message="",
        providers=lambda t: t.replace(
            "providers:\n", "x-defaults: &local {type: ollama}\n", 0
        ).replace(
            "  ollama:\n    type: ollama\n", "  ollama:\n    <<: {type: ollama}  # merge key\n"
        ),
        mappings=sub(
            '  default:\n    chain: ["llama3.1:latest"]',
            '  default: ["llama3.1:latest"]   # short form',
        ),
        about="merge keys, short chain form, bare model strings, quoted names with colons",
    ),
    dict(
        name="ok-unquoted-colon-names",
        id=None,
        message="",
        mappings=lambda t: sub(
            'chain: ["qwen2.5-coder:7b", "llama3.1:latest"]',
            "chain: [qwen2.5-coder:7b, llama3.1:latest]",
        )(
            sub(
                '  "qwen2.5-coder:7b":\n    provider: ollama',
                "  qwen2.5-coder:7b:\n    provider: ollama",
            )(t)
        ),
        about="names with ':' need no quotes as keys or in flow lists (no ': ' inside)",
    ),
    dict(
        name="ok-real-world-extras",
        id=None,
        message="",
        providers=lambda t: (
            "metadata: {version: 3, updated: 2025-01-01}\nhealth_checks: {interval: 30}\n"
            + t.replace(
                "    models: [Qwen/Qwen2.5-Coder-7B-Instruct]",
                "    description: vLLM\n    features: [chat]\n    configuration: {tp: 1}\n    location: rack-2\n"
                "    docs: https://example.invalid\n    notes: fast\n    hardware_requirements: {gpu: A10}\n"
                "    service_file: vllm.service\n    api_format: openai\n    env_var: VLLM_HOST\n"
                "    requires_api_key: false\n    cost_per_1k_tokens: 0\n    rate_limits: {rpm: 1000}\n"
                "    gpu_memory_utilization: 0.9\n    max_model_len: 32768\n    health_endpoint: /health\n"
                "    models:\n      - name: Qwen/Qwen2.5-Coder-7B-Instruct\n        size: 7B\n        quantization: awq\n"
                "        specialty: code\n        tags: [code]\n        description: coder\n        options: {temperature: 0.2}\n"
                "        pulled_at: 2025-01-01T10:00:00Z\n        context_length: 32768\n        model_size_gb: 4.5\n"
                "        kv_cache_available_gb: 12\n",
            )
        ),
        mappings=lambda t: (
            t.replace(
                "capabilities:\n  code:\n",
                "capabilities:\n  code:\n    description: code\n"
                "    routing_strategy: priority_based\n    min_context: 8192\n    min_model_size: 7B\n"
                "    complexity_thresholds: {high: 0.8}\n    context_thresholds: {long: 16000}\n    provider: vllm\n"
                "    providers: [vllm, ollama]\n    notes: x\n",
            )
            + "load_balancing:\n  chat:\n    strategy: weighted\n    providers: [{provider: ollama, weight: 2}, vllm]\n"
            "    parameters: {sticky: true}\n    description: spread\nrouting_rules: {long_prompt: vllm}\n"
            "special_cases: [{when: x}]\nmetadata: {owner: me}\nnotes: [one, two]\n"
        ),
        about="every descriptive field real files carry is accepted",
    ),
]


def write_case(case: dict[str, Any]) -> None:
    out = ROOT / case["name"]
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    providers = case.get("providers", keep)(PROVIDERS)
    mappings = case.get("mappings", keep)(MAPPINGS)
    if case.get("raw_providers"):
        (out / "providers.yaml").write_bytes(providers.encode("utf-8", "surrogateescape"))
    else:
        (out / "providers.yaml").write_text(providers, encoding="utf-8")
    (out / "model-mappings.yaml").write_text(mappings, encoding="utf-8")
    # Every case has a generated file, as a deployment repo does: rendered from the case's
    # sources, or (when they do not load) from the base ones, as before the breaking edit.
    try:
        loaded = load_sources(out)
    except ConfigError:
        base = out.parent / ".base"
        base.mkdir(exist_ok=True)
        (base / "providers.yaml").write_text(PROVIDERS, encoding="utf-8")
        (base / "model-mappings.yaml").write_text(MAPPINGS, encoding="utf-8")
        loaded = load_sources(base)
        shutil.rmtree(base)
    text = render(loaded, version="20250101T000000Z")
    (out / "litellm-unified.yaml").write_text(case.get("generated", keep)(text), encoding="utf-8")
    expect = {
        "id": case["id"],
        "message": case["message"],
        "also": case.get("also", []),
        "not_checked": case.get("not_checked", []),
        "about": case["about"],
    }
    if "secret" in case:
        expect["never_shows"] = case["secret"]
    (out / "expect.yaml").write_text(
        yaml.safe_dump(expect, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n")
        + ("" if "secret" not in case else ALLOW)
        + "\n",
        encoding="utf-8",
    )


def main() -> int:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in CASES:
        write_case(case)
    print(f"wrote {len(CASES)} cases to {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
