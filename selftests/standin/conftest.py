"""Stand-ins for the selftests: one per module and type, in this process, on free ports.

Fixtures (all module-scoped, type ``RunningStandin``):
    ollama_standin   an Ollama stand-in "ollama" serving llama3.1:latest and qwen2.5-coder:7b
    vllm_standin     an OpenAI-compatible stand-in "vllm-qwen" (type vllm), no key
    keyed_standin    an OpenAI-compatible stand-in "lmstudio" (openai_compatible) with key KEY
Each fault test clears faults and counters before it runs (``fresh`` fixtures).
"""

from __future__ import annotations

from collections.abc import Iterator

import ollama
import openai
import pytest

from gateproof.stack.standin.inprocess import RunningStandin, running_standin

OLLAMA_MODELS = ("llama3.1:latest", "qwen2.5-coder:7b")
VLLM_MODELS = ("Qwen/Qwen2.5-Coder-7B-Instruct",)
KEYED_MODELS = ("local-model",)
KEY = "sk-standin-selftest"


@pytest.fixture(scope="module")
def ollama_standin() -> Iterator[RunningStandin]:
    with running_standin("ollama", "ollama", OLLAMA_MODELS) as standin:
        yield standin


@pytest.fixture(scope="module")
def vllm_standin() -> Iterator[RunningStandin]:
    with running_standin("vllm-qwen", "vllm", VLLM_MODELS) as standin:
        yield standin


@pytest.fixture(scope="module")
def keyed_standin() -> Iterator[RunningStandin]:
    with running_standin("lmstudio", "openai_compatible", KEYED_MODELS, api_key=KEY) as standin:
        yield standin


@pytest.fixture
def fresh_ollama(ollama_standin: RunningStandin) -> Iterator[RunningStandin]:
    ollama_standin.control.clear()
    ollama_standin.control.reset_counters()
    yield ollama_standin
    ollama_standin.control.clear()


@pytest.fixture
def fresh_vllm(vllm_standin: RunningStandin) -> Iterator[RunningStandin]:
    vllm_standin.control.clear()
    vllm_standin.control.reset_counters()
    yield vllm_standin
    vllm_standin.control.clear()


@pytest.fixture(scope="module")
def ollama_client(ollama_standin: RunningStandin) -> Iterator[ollama.Client]:
    """The official Ollama client on the module's Ollama stand-in (2 s timeout)."""
    with ollama.Client(host=ollama_standin.base_url, timeout=2.0) as client:
        yield client


@pytest.fixture(scope="module")
def vllm_client(vllm_standin: RunningStandin) -> Iterator[openai.OpenAI]:
    """The official OpenAI client on the module's vLLM stand-in (2 s timeout, no retries)."""
    base_url = vllm_standin.openai_base_url
    with openai.OpenAI(base_url=base_url, api_key="unused", timeout=2.0, max_retries=0) as client:
        yield client
