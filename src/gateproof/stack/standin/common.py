"""Request helpers both provider apps share: lenient JSON bodies, bearer keys, stream framing."""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]
ErrorReply = Callable[[int, str], Response]


class BadRequest(Exception):
    """The request body is not what the API accepts; the message is for the client."""


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, whatever its content type.

    LiteLLM sends Ollama requests as ``application/octet-stream``; real Ollama parses them
    anyway, so the stand-in ignores the content type too.
    """
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"invalid JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    return data


def bearer_ok(request: Request, api_key: str | None) -> bool:
    """Whether the request carries the provider's key (always true when it has none)."""
    if api_key is None:
        return True
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), api_key.encode())


def guard(
    api_key: str | None, error: ErrorReply, unauthorized: str
) -> Callable[[Handler], Handler]:
    """Wrap a route: 401 without the provider's key, 400 for a body the API rejects; both
    in the provider's own error shape (``error``)."""

    def guarded(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            if not bearer_ok(request, api_key):
                return error(401, unauthorized)
            try:
                return await handler(request)
            except BadRequest as exc:
                return error(400, str(exc))

        return wrapped

    return guarded


def dumps(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


async def ndjson(records: Iterable[dict[str, Any]]) -> AsyncIterator[bytes]:
    """One JSON record per line, as Ollama streams."""
    for record in records:
        yield (dumps(record) + "\n").encode()


async def sse(events: Iterable[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Server-sent events as OpenAI streams them, ending with ``data: [DONE]``."""
    for event in events:
        yield f"data: {dumps(event)}\n\n".encode()
    yield b"data: [DONE]\n\n"
