"""One tagged request through the gateway, findable afterwards in each observability tool.

The tag rides where each tool records it without any change to the gateway:
- the ``x-litellm-call-id`` request header, which LiteLLM takes as the call id and returns
  in its response headers;
- the ``User-Agent`` header, which LiteLLM puts in the ``user_agent`` label of its request
  counters (``litellm_proxy_total_requests_metric_total``);
- the query string, which the gateway's access log line carries (what Loki receives).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from gateproof.probes.gateway import CHAT, GatewayProbe, chat_body
from gateproof.probes.http import Exchange, send

USER_AGENT_PREFIX = "gateproof-correlation/"


def new_tag() -> str:
    return f"gpc-{uuid.uuid4().hex[:20]}"


def user_agent(tag: str) -> str:
    return f"{USER_AGENT_PREFIX}{tag}"


def tagged_chat(gateway: GatewayProbe, model: str, tag: str) -> Exchange:
    """One minimal completion for ``model`` carrying ``tag`` (cache bypassed)."""
    body = chat_body(model, f"gateproof correlation {tag}: reply ok")
    body["cache"] = {"no-cache": True}
    headers = {"x-litellm-call-id": tag, "user-agent": user_agent(tag)}
    return send(
        gateway.client,
        "POST",
        f"{CHAT}?gateproof_correlation_id={tag}",
        setting="gateway.url",
        json_body=body,
        headers=headers,
    )


@dataclass(frozen=True)
class Traffic:
    """Requests sent so that the gateway's series exist: the model used, every exchange."""

    model: str
    exchanges: tuple[Exchange, ...]

    def describe(self) -> str:
        return "; ".join(e.summary() for e in self.exchanges)
