"""How an acceptance test fails: one message an operator can act on without the code.

SMK-03 routing to provider 'vllm-qwen' failed
  target    http://127.0.0.1:4000 (from gateway.url)
  expected  200
  actual    status 502
  body      {"error": ...}
Reproduce with:
  curl -sS ... -H 'Authorization: Bearer ***'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

import pytest

from gateproof.evidence import Evidence
from gateproof.probes.gateway import GatewayProbe, Route
from gateproof.probes.http import BadBodyError, Exchange

T = TypeVar("T")


class Check:
    """Fails the current test with a message an operator can act on at 3 a.m."""

    def __init__(self, item_id: str, evidence: Evidence) -> None:
        self.item_id = item_id
        self.evidence = evidence

    def see(self, exchange: Exchange) -> Exchange:
        """Record an exchange as evidence (shown when the test fails) and return it."""
        self.evidence.add("request", exchange.summary())
        self.evidence.add("body", exchange.excerpt())
        return exchange

    def fail(
        self,
        headline: str,
        *,
        target: str,
        expected: str,
        actual: str,
        details: Iterable[tuple[str, str]] = (),
        exchange: Exchange | None = None,
        reproduce: str | None = None,
    ) -> NoReturn:
        __tracebackhide__ = True
        lines = [f"{self.item_id} {headline}", f"  {'target':<9} {target}"]
        lines += [f"  {'expected':<9} {expected}", f"  {'actual':<9} {actual}"]
        lines += [f"  {label:<9} {value}" for label, value in details]
        if exchange is not None:
            lines.append(f"  {'request':<9} {exchange.summary()}")
            lines.append(f"  {'body':<9} {exchange.excerpt()}")
            reproduce = reproduce or exchange.curl
        if reproduce:
            lines += ["Reproduce with:", f"  {reproduce}"]
        pytest.fail("\n".join(lines), pytrace=False)

    def body(
        self,
        exchange: Exchange,
        headline: str,
        *,
        target: str,
        parse: Callable[[Exchange], T] | None = None,
        expected: str = "a JSON body",
    ) -> T | Any:
        """``parse(exchange)`` (default: the body as JSON); a body in the wrong format fails
        the item (the component answered, wrongly), it is not "could not check"."""
        __tracebackhide__ = True
        try:
            return parse(exchange) if parse is not None else exchange.json()
        except BadBodyError as exc:
            self.fail(
                headline,
                target=target,
                expected=expected,
                actual=f"{str(exc).splitlines()[0]} (content-type "
                f"{exchange.header('content-type') or 'none'})",
                exchange=exchange,
            )

    def status(
        self, exchange: Exchange, headline: str, *, target: str = "", want: int = 200
    ) -> None:
        """Record ``exchange``; fail unless it answered ``want``."""
        __tracebackhide__ = True
        self.see(exchange)
        if exchange.status != want:
            self.fail(
                headline,
                target=target or f"{exchange.url} (from {exchange.setting})",
                expected=str(want),
                actual=f"status {exchange.status}",
                exchange=exchange,
            )

    def gateway_health(self, gateway: GatewayProbe) -> None:
        """Liveliness and readiness answer 200, readiness with LiteLLM's own body
        (``{"status": "healthy", ...}``): a server that answers 200 to anything is not the
        gateway (PRE-INF-02, SMK-01)."""
        __tracebackhide__ = True
        for exchange in (gateway.liveliness(), gateway.readiness()):
            endpoint = exchange.url.rsplit("/", 1)[-1]
            self.status(exchange, f"gateway {endpoint} answered {exchange.status}")
        target = f"{exchange.url} (from gateway.url)"
        headline = "the gateway's readiness answer is not LiteLLM's"
        body = self.body(exchange, headline, target=target, expected='{"status": "healthy"}')
        status = body.get("status") if isinstance(body, dict) else None
        if status != "healthy":
            self.fail(
                headline if status is None else f"the gateway is not ready: status {status!r}",
                target=target,
                expected='200 and {"status": "healthy", ...}',
                actual=f"status field {status!r}",
                exchange=exchange,
            )

    def exact_models(self, gateway: GatewayProbe, expected: Iterable[str]) -> None:
        """``/v1/models`` lists exactly ``expected`` (PRE-INF-02, SMK-02)."""
        __tracebackhide__ = True
        models = self.see(gateway.models())
        body = self.body(
            models,
            "the gateway's model list is not JSON",
            target=f"{models.url} (from gateway.url)",
            expected="200 and the OpenAI model list as JSON",
        )
        data = body.get("data") if isinstance(body, dict) else None
        listed = {str(m.get("id")) for m in data or [] if isinstance(m, dict)}
        wanted = set(expected)
        if models.status != 200 or listed != wanted:
            self.fail(
                "the gateway does not list exactly the configured models",
                target=f"{models.url} (from gateway.url)",
                expected=f"status 200 and {sorted(wanted)}",
                actual=f"status {models.status}; missing {sorted(wanted - listed)}; "
                f"extra {sorted(listed - wanted)}",
                exchange=models,
            )

    def answered_as_routed(
        self,
        exchange: Exchange,
        model: Any,
        *,
        headline: str,
        target: str,
        allow_retries: bool,
        slow_s: float,
    ) -> Route:
        """A 200 answer for ``model`` (a ``RoutedModel``) from the deployment its mapping
        names, with no fallback, no retry (a warning when ``allow_retries``), answered under
        the model's name and not far slower than ``slow_s`` (PRE-TST-03, SMK-03)."""
        __tracebackhide__ = True
        route = Route.of(exchange)
        body = self.body(exchange, headline, target=target, expected="a JSON ChatCompletion")
        problems: list[str] = []
        base = (model.api_base or "").rstrip("/")
        if route.api_base != base:
            problems.append(f"sent to {route.api_base or '(no api base)'}, not {base}")
        if route.group != model.name or route.fallbacks != 0:
            problems.append(
                f"answered by group {route.group or '(none)'} after {route.fallbacks} fallback(s)"
            )
        if route.deployment and route.deployment != model.litellm_model:
            problems.append(
                f"answered by deployment {route.deployment}, routed to {model.litellm_model}"
            )
        answered = body.get("model") if isinstance(body, dict) else None
        if answered not in (model.name, model.backend_model, model.litellm_model):
            problems.append(f"the answer names model {answered!r}, the routed model is "
                            f"{model.name!r} ({model.backend_model})")  # fmt: skip
        if route.retries != 0:
            needed = (
                f"the provider needed {route.retries} retr{'y' if route.retries == 1 else 'ies'}"
                f" (x-litellm-attempted-retries: {route.retries}): it failed before it answered"
            )
            if allow_retries:
                self.evidence.add("warning", needed + " (allowed by gateway.allow_retries)")
            else:
                problems.append(needed)
        took = exchange.elapsed_ms / 1000
        if took > slow_s:
            problems.append(
                f"answered in {took:.1f} s, far over the {slow_s:g} s a minimal completion may "
                "take (thresholds.slow_answer_s)"
            )
        if problems:
            self.fail(
                headline,
                target=target,
                expected=f"200 from {base} (deployment {model.litellm_model}), no fallback, no "
                f"retry, within {slow_s:g} s",
                actual=problems[0],
                details=[("problem", p) for p in problems[1:6]] + [("route", route.describe())],
                exchange=exchange,
            )
        return route

    def answered_by_fallback(
        self, exchange: Exchange, chain: Any, expected: str, problem: str
    ) -> None:
        """A fallback chain executed: 200 from ``expected`` after at least one attempted
        fallback (SMK-06 for one chain, PST-03 for every chain)."""
        __tracebackhide__ = True
        self.see(exchange)
        route = Route.of(exchange)
        if exchange.status != 200 or not route.fallbacks or route.group != expected:
            self.fail(
                problem,
                target=f"{exchange.url} (from gateway.url), chain "
                f"'{chain.name}': {chain.primary} -> {' -> '.join(chain.targets)}",
                expected=f"200 answered by '{expected}' with x-litellm-attempted-fallbacks >= 1",
                actual=f"status {exchange.status}; {route.describe()}",
                exchange=exchange,
            )
