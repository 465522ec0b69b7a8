"""The LiteLLM proxy: health, model list, completions (raw and through the ``openai`` SDK),
CORS preflight and requests with a missing or wrong key.

Every method returns an :class:`~gateproof.probes.http.Exchange`; a gateway that cannot be
reached raises :class:`~gateproof.errors.UnreachableError` naming ``gateway.url``.
LiteLLM facts this relies on (FACTS.md): ``/health`` is billed (a real completion per
deployment), a wrong key answers 400, ``"cache": {"no-cache": true}`` bypasses the cache,
``mock_testing_fallbacks`` needs ``dangerously_allow_mock_testing_request_params``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from gateproof.errors import ProbeError, UnreachableError
from gateproof.evidence import curl_command
from gateproof.probes.http import Exchange, NoAnswerError, send

if TYPE_CHECKING:
    import httpx
    import openai

    from gateproof.settings import Settings

SETTING = "gateway.url"
CHAT = "/v1/chat/completions"
MAX_TOKENS = 8
WRONG_KEY = "sk-gateproof-wrong-key-0000"  # a key no deployment issues


T = TypeVar("T")


@dataclass(frozen=True)
class Route:
    """Where LiteLLM says it sent a request (its ``x-litellm-*`` response headers)."""

    api_base: str  # x-litellm-model-api-base, without a trailing slash ("" when absent)
    group: str  # x-litellm-model-group
    fallbacks: int | None  # x-litellm-attempted-fallbacks (absent: 0; not a number: None)
    retries: int | None = 0  # x-litellm-attempted-retries (absent: 0; not a number: None)
    deployment: str = ""  # x-litellm-model-name: the answering deployment's litellm model

    @classmethod
    def of(cls, exchange: Exchange) -> Route:
        return cls(
            api_base=(exchange.header("x-litellm-model-api-base") or "").rstrip("/"),
            group=exchange.header("x-litellm-model-group") or "",
            fallbacks=_count(exchange.header("x-litellm-attempted-fallbacks")),
            retries=_count(exchange.header("x-litellm-attempted-retries")),
            deployment=exchange.header("x-litellm-model-name") or "",
        )

    def describe(self) -> str:
        return (
            f"x-litellm-model-api-base: {self.api_base or '(none)'}, x-litellm-model-group: "
            f"{self.group or '(none)'}, x-litellm-model-name: {self.deployment or '(none)'}, "
            f"x-litellm-attempted-fallbacks: {self.fallbacks}, "
            f"x-litellm-attempted-retries: {self.retries}"
        )


def _count(raw: str | None) -> int | None:
    text = (raw or "0").strip()
    return int(text) if text.isdigit() else None


def nonce() -> str:
    """A per-request marker, so no cache anywhere can answer for a request we mean fresh."""
    return uuid.uuid4().hex[:16]


def chat_body(model: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        **extra,
    }


class GatewayProbe:
    """Requests to the gateway. ``client`` is the plugin's authenticated ``gateway_client``."""

    def __init__(
        self,
        client: httpx.Client,
        settings: Settings,
        master_key: str | None,
        *,
        url: str | None = None,
        setting: str = SETTING,
    ) -> None:
        """``url`` / ``setting``: one replica's own address (``gateway.replicas``) instead of
        ``gateway.url``; ``client`` must then be based on that URL."""
        assert settings.gateway is not None
        self.client = client
        self.url = (url or settings.gateway.url).rstrip("/")
        self.setting = setting
        self.timeouts = settings.timeouts
        self._key = master_key
        # Why the configured key could not be resolved (checks that need it raise this).
        self.key_error: ProbeError | None = None
        # Models the gateway accepted but did not answer within the read timeout: a hung
        # provider behind a model costs one timeout per run, not one per check of it.
        self._no_answer: dict[str, ProbeError] = {}

    def _send(self, method: str, path: str, **kwargs: Any) -> Exchange:
        return send(self.client, method, path, setting=self.setting, **kwargs)

    def reach(self) -> Exchange:
        """Liveliness with a short read timeout: can the gateway be checked at all?"""
        import httpx

        wait = self.timeouts.connect_s
        return self._send(
            "GET", "/health/liveliness", timeout=httpx.Timeout(wait + 2, connect=wait)
        )

    def tagged(self, tag: str) -> Exchange:
        """A liveliness call whose query string carries ``tag``: its access-log line proves
        that a log being read is the one the gateway writes now (DEP-03)."""
        return self._send("GET", f"/health/liveliness?gateproof={tag}")

    def liveliness(self) -> Exchange:
        return self._send("GET", "/health/liveliness")

    def readiness(self) -> Exchange:
        return self._send("GET", "/health/readiness")

    def models(self) -> Exchange:
        return self._send("GET", "/v1/models")

    def billed_health(self) -> Exchange:
        """``/health``: one real completion per deployment. Only behind gateway.billed_health."""
        return self._send("GET", "/health")

    def hung(self, model: str) -> bool:
        """Did ``model`` go unanswered through the gateway earlier this run?"""
        return model in self._no_answer

    def _for_model(self, model: str, call: Callable[[], T]) -> T:
        """Run one request for ``model``; a model that hung before is not tried again."""
        __tracebackhide__ = True
        earlier = self._no_answer.get(model)
        if earlier is not None:
            raise NoAnswerError(
                f"not tried again: model '{model}' did not answer through the gateway earlier "
                f"this run ({str(earlier).splitlines()[0]})",
                target=earlier.target,
                setting=earlier.setting,
                hint=earlier.hint,
            )
        try:
            return call()
        except NoAnswerError as exc:
            _, marker, reproduce = exc.hint.partition("Reproduce with:")
            error = NoAnswerError(
                f"the gateway accepted a request for model '{model}' but did not answer: "
                f"{str(exc).splitlines()[0]}",
                target=exc.target,
                setting=f"{self.setting}, timeouts.read_s",
                hint=f"a provider behind '{model}' that hangs is the usual cause (see its "
                f"PRE-INF-01 and PRE-TST-02 results); else look at the gateway log. "
                f"{marker}{reproduce}",
            )
            self._no_answer[model] = error
            raise error from None

    def chat(self, model: str, *, cached: bool = False, **extra: Any) -> Exchange:
        """One minimal completion; unless ``cached``, the gateway cache is bypassed."""
        body = chat_body(model, f"gateproof check {nonce()}: reply ok", **extra)
        if not cached:
            body["cache"] = {"no-cache": True}
        return self.chat_exact(body)

    def chat_exact(self, body: dict[str, Any]) -> Exchange:
        return self._for_model(str(body["model"]), lambda: self._send("POST", CHAT, json_body=body))

    def stream(self, model: str) -> Exchange:
        body = chat_body(model, f"gateproof stream check {nonce()}: reply ok", stream=True)
        body["stream_options"] = {"include_usage": True}
        body["cache"] = {"no-cache": True}
        return self._for_model(model, lambda: self._send("POST", CHAT, json_body=body, stream=True))

    def _anonymous(self, method: str, path: str, headers: dict[str, str]) -> Exchange:
        """A request without the configured key (a fresh client, same timeouts and transport)."""
        import httpx

        from gateproof.fixtures import transport_naming_errors

        with httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(self.timeouts.read_s, connect=self.timeouts.connect_s),
            transport=transport_naming_errors(self.setting, self.timeouts.connect_s),
        ) as anonymous:
            return send(anonymous, method, path, setting=self.setting, headers=headers)

    def without_key(self, path: str = "/v1/models") -> Exchange:
        return self._anonymous("GET", path, {})

    def with_wrong_key(self, path: str = "/v1/models") -> Exchange:
        return self._anonymous("GET", path, {"Authorization": f"Bearer {WRONG_KEY}"})

    def preflight(self, origin: str, path: str = CHAT) -> Exchange:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        return self._anonymous("OPTIONS", path, headers)

    def sdk(self) -> openai.OpenAI:
        """The official client on this gateway: no retries, the run's timeouts."""
        import openai

        return openai.OpenAI(
            base_url=f"{self.url}/v1",
            api_key=self._key or "no-key",
            timeout=openai.Timeout(self.timeouts.read_s, connect=self.timeouts.connect_s),
            max_retries=0,
        )

    def sdk_chat(self, model: str) -> tuple[Exchange, Any]:
        """A completion through ``openai``: (exchange, the SDK's ChatCompletion or None)."""
        return self._for_model(model, lambda: self._sdk_chat(model))

    def _sdk_chat(self, model: str) -> tuple[Exchange, Any]:
        import openai

        body = chat_body(model, f"gateproof smoke {nonce()}: reply ok")
        curl = curl_command(
            "POST",
            f"{self.url}{CHAT}",
            headers={"Authorization": "Bearer ***"},
            json_body=_compact(body | {"cache": {"no-cache": True}}),
        )
        began = time.perf_counter()
        try:
            raw = self.sdk().chat.completions.with_raw_response.create(
                model=model,
                messages=body["messages"],
                max_tokens=MAX_TOKENS,
                temperature=0,
                extra_body={"cache": {"no-cache": True}},
            )
        except openai.APIStatusError as exc:
            return _sdk_exchange(exc.response, began, curl), None
        except openai.APITimeoutError:
            raise NoAnswerError(
                f"POST {self.url}{CHAT}: no answer within {self.timeouts.read_s:g} s",
                target=f"{self.url}{CHAT}",
                setting=self.setting,
                hint=f"Reproduce with:\n    {curl}",
            ) from None
        except openai.APIConnectionError as exc:
            raise UnreachableError(
                f"could not connect to {self.url}: {exc.__cause__ or exc}",
                target=f"{self.url}{CHAT}",
                setting=self.setting,
                hint=f"start the gateway, or fix the setting. Reproduce with:\n    {curl}",
            ) from None
        return _sdk_exchange(raw.http_response, began, curl), raw.parse()


def _compact(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body, separators=(",", ":"))


def _sdk_exchange(response: Any, began: float, curl: str) -> Exchange:
    """An Exchange from the SDK's response object (httpx-like: request, status, headers)."""
    return Exchange(
        method="POST",
        url=str(response.request.url),
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        text=response.text,
        elapsed_ms=(time.perf_counter() - began) * 1000,
        curl=curl,
        setting=SETTING,
    )
