"""A model server called directly (not through the gateway): Ollama or OpenAI-compatible.

:class:`ProviderProbe` sends the requests of the contract and health checks and returns
:class:`~gateproof.probes.http.Exchange` records. The parsers turn streamed bodies into
records (:func:`sse_events`, :func:`ndjson_records`) and :func:`schema_problems` lists what an
official SDK type rejects in a body, field by field. Deciding is left to the tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateproof.errors import ProbeError
from gateproof.probes.http import Exchange, send

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel

    from gateproof.schema import Provider
    from gateproof.settings import Settings

OPENAI_LIKE = ("vllm", "llama_cpp", "openai_compatible", "openai")
PROMPT = "Reply with one word: ok"
MAX_TOKENS = 8


def join_url(base: str, path: str) -> str:
    """``base`` + ``path``, without doubling a ``/v1`` the base already ends with."""
    base = base.rstrip("/")
    if base.endswith("/v1") and (path == "/v1" or path.startswith("/v1/")):
        path = path[3:]
    return base + path


@dataclass(frozen=True)
class SseStream:
    """A server-sent event stream: the JSON events, and whether ``data: [DONE]`` ended it."""

    events: list[Any]
    done: bool
    after_done: list[str] = field(default_factory=list)


class ProviderProbe:
    """Requests to one provider. ``setting`` says where its URL comes from."""

    def __init__(self, name: str, provider: Provider, settings: Settings) -> None:
        self.name = name
        self.type = str(provider.type)
        self.base_url = str(provider.base_url or "")
        self.health_path = provider.health_endpoint
        self.models = provider.model_names()
        self.setting = f"providers.{name}.base_url ({settings.config_dir}/providers.yaml)"
        self.timeouts = settings.timeouts
        self._key = _provider_key(name, provider, settings)
        if not self.base_url:
            raise ProbeError(
                f"provider {name!r} has no base_url", setting=self.setting, hint="set it"
            )

    @property
    def openai_like(self) -> bool:
        return self.type in OPENAI_LIKE

    @contextmanager
    def _client(self) -> Iterator[httpx.Client]:
        import httpx

        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        timeout = httpx.Timeout(self.timeouts.read_s, connect=self.timeouts.connect_s)
        with httpx.Client(headers=headers, timeout=timeout, trust_env=False) as client:
            yield client

    def request(
        self, method: str, path: str, body: Any = None, *, stream: bool = False
    ) -> Exchange:
        __tracebackhide__ = True
        with self._client() as client:
            return send(
                client,
                method,
                join_url(self.base_url, path),
                setting=self.setting,
                json_body=body,
                stream=stream,
                remember_timeouts=True,
            )

    def health(self) -> Exchange:
        return self.request("GET", self.health_path)

    def model_list(self) -> Exchange:
        return self.request("GET", "/v1/models" if self.openai_like else "/api/tags")

    def version(self) -> Exchange:
        """Ollama's ``/api/version``."""
        return self.request("GET", "/api/version")

    def chat(self, model: str, *, stream: bool) -> Exchange:
        """One minimal chat completion in the provider's own protocol."""
        messages = [{"role": "user", "content": PROMPT}]
        if self.openai_like:
            body: dict[str, Any] = {
                "model": model,
                "messages": messages,
                "max_tokens": MAX_TOKENS,
                "temperature": 0,
                "stream": stream,
            }
            if stream:
                body["stream_options"] = {"include_usage": True}
            return self.request("POST", "/v1/chat/completions", body, stream=stream)
        body = {
            "model": model,
            "messages": messages,
            "stream": stream,
            "options": {"num_predict": MAX_TOKENS, "temperature": 0},
        }
        return self.request("POST", "/api/chat", body, stream=stream)

    def answers(self, model: str) -> bool:
        """Does the provider answer ``model`` properly, asked directly: 200 and a body its
        SDK type accepts (an HTML page, a cut-off body or a hang is no answer)."""
        try:
            exchange = self.chat(model, stream=False)
            if exchange.status != 200:
                return False
            body = exchange.json()
        except ProbeError:
            return False
        if self.openai_like:
            from openai.types.chat import ChatCompletion

            return not schema_problems(ChatCompletion, body, model)
        from ollama import ChatResponse

        return not schema_problems(ChatResponse, body, model)


def _provider_key(name: str, provider: Provider, settings: Settings) -> str | None:
    ref = provider.api_key
    if not ref:
        return None
    key = f"providers.{name}.api_key"
    try:
        return settings.resolve_secret(ref, key)
    except LookupError as exc:
        raise ProbeError(str(exc), setting=key, hint="set the variable, then run again") from None


def advertised_names(exchange: Exchange, openai_like: bool) -> list[str]:
    """Model ids a model list advertises (``data[].id`` or Ollama's ``models[].name``)."""
    body = exchange.json()
    if openai_like:
        items = body.get("data") if isinstance(body, dict) else None
        return [str(m.get("id")) for m in items or [] if isinstance(m, dict)]
    items = body.get("models") if isinstance(body, dict) else None
    names: list[str] = []
    for m in items or []:
        if isinstance(m, dict):
            names += [str(v) for v in (m.get("name"), m.get("model")) if v]
    return sorted(set(names))


def sse_events(exchange: Exchange) -> SseStream:
    """Parse ``data:`` lines; a data line that is not JSON (nor ``[DONE]``) is a probe error."""
    __tracebackhide__ = True
    events: list[Any] = []
    done = False
    after: list[str] = []
    data_lines = 0
    for line in exchange.lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments, event: and id: lines
        data_lines += 1
        payload = line[5:].strip()
        if done:
            after.append(payload)
        elif payload == "[DONE]":
            done = True
        else:
            events.append(_json_line(exchange, payload))
    if data_lines == 0:
        raise exchange.error(
            f"{exchange.summary()}: not a server-sent event stream (content-type "
            f"{exchange.header('content-type')!r}, body {exchange.excerpt(200)!r})"
        )
    return SseStream(events, done, after)


def ndjson_records(exchange: Exchange) -> list[Any]:
    """One JSON value per non-empty line; a line that is not JSON is a probe error."""
    return [_json_line(exchange, line) for line in exchange.lines if line.strip()]


def _json_line(exchange: Exchange, text: str) -> Any:
    __tracebackhide__ = True
    try:
        return json.loads(text)
    except ValueError as exc:
        raise exchange.error(
            f"{exchange.summary()}: a streamed line is not JSON ({exc}): {text[:200]!r}"
        ) from None


def schema_problems(model: type[BaseModel], data: Any, what: str) -> list[str]:
    """What ``model.model_validate`` rejects in ``data``: one line per field, named."""
    from pydantic import ValidationError

    try:
        model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _dotted(error["loc"]) or "(body)"
            if error["type"] == "missing":
                problems.append(f"{what}: required field '{where}' is missing")
            else:
                got = json.dumps(error.get("input"), default=str)[:80]
                problems.append(f"{what}: field '{where}' {error['msg']} (got {got})")
        return problems
    return []


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
