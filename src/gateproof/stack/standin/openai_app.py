"""The OpenAI-compatible API (vLLM, llama.cpp server, LM Studio ...) as a stand-in.

``/v1/models``, ``/v1/chat/completions`` (plain, or SSE with ``stream: true``) and ``/health``.
With ``stream_options.include_usage`` the stream ends with a usage chunk whose ``choices`` is
empty, then ``data: [DONE]``, as OpenAI and vLLM do. With a key configured, ``/v1`` needs
``Authorization: Bearer <key>``; ``/health`` stays open, as in vLLM.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gateproof.stack.standin.common import dumps, guard, read_json_object, sse
from gateproof.stack.standin.faults import FaultState
from gateproof.stack.standin.middleware import MODEL_SCOPE_KEY
from gateproof.stack.standin.replies import Reply, make_reply, prompt_of
from gateproof.stack.standin.spec import OWNED_BY, StandinSpec, find_model

MODELS_CREATED = 1_735_689_600  # 2025-01-01, fixed so /v1/models is deterministic
MAX_MODEL_LEN = 8192
MALFORMED = b'{"id":"chatcmpl-standin","object":"chat.completion","choices":[{"index":0,"mess'
ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def _error_data(status: int, message: str, param: str | None = None) -> dict[str, Any]:
    kind, code = ERROR_TYPES.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_body(status: int, message: str) -> bytes:
    return dumps(_error_data(status, message)).encode()


def _error(status: int, message: str, param: str | None = None) -> Response:
    return JSONResponse(_error_data(status, message, param), status_code=status)


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens,
    }


def _completion(head: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message = {"role": "assistant", "content": reply.text}
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": reply.finish_reason,
    }
    return {**head, "object": "chat.completion", "choices": [choice], "usage": _usage(reply)}


def _chunks(head: dict[str, Any], reply: Reply, include_usage: bool) -> list[dict[str, Any]]:
    base = {**head, "object": "chat.completion.chunk"}
    if include_usage:
        base["usage"] = None  # OpenAI marks every chunk but the last this way

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**base, "choices": [choice]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in reply.pieces()]
    chunks.append(chunk({}, reply.finish_reason))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": _usage(reply)})
    return chunks


def build_openai_app(spec: StandinSpec, state: FaultState) -> Starlette:
    """The OpenAI-compatible API for ``spec`` (before the fault middleware)."""
    serial = itertools.count(1)

    guarded = guard(spec.api_key, _error, "Incorrect API key provided.")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def models(request: Request) -> Response:
        owner = OWNED_BY[spec.type]
        data = [
            {
                "id": model,
                "object": "model",
                "created": MODELS_CREATED,
                "owned_by": owner,
                "root": model,
                "max_model_len": MAX_MODEL_LEN,
            }
            for model in spec.models
        ]
        return JSONResponse({"object": "list", "data": data})

    async def chat_completions(request: Request) -> Response:
        body = await read_json_object(request)
        requested = body.get("model")
        model = find_model(spec, requested)
        if model is None:
            message = f"The model `{requested}` does not exist or you do not have access to it."
            return _error(404, message, "model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages must be a non-empty list", "messages")
        state.count_model(model)
        request.scope[MODEL_SCOPE_KEY] = model
        prompt, prompt_tokens = prompt_of(messages)
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        reply = make_reply(spec.name, model, prompt, prompt_tokens, limit)
        head = {"id": f"chatcmpl-standin-{next(serial)}", "created": int(time.time())}
        head["model"] = model
        if body.get("stream") is not True:
            return JSONResponse(_completion(head, reply))
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        events = _chunks(head, reply, include_usage)
        return StreamingResponse(sse(events), media_type="text/event-stream")

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", guarded(models), methods=["GET"]),
        Route("/v1/chat/completions", guarded(chat_completions), methods=["POST"]),
    ]
    return Starlette(routes=routes)
