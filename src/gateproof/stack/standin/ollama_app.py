"""The Ollama API as a stand-in: ``/``, version, tags, show, chat and generate.

Streaming is the default, as in Ollama: NDJSON records, the last one with ``done: true``,
``done_reason`` and the eval counts. ``"stream": false`` gives one JSON object instead.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from gateproof.stack.standin.common import dumps, guard, ndjson, read_json_object
from gateproof.stack.standin.faults import FaultState
from gateproof.stack.standin.middleware import MODEL_SCOPE_KEY
from gateproof.stack.standin.replies import Reply, make_reply, prompt_of
from gateproof.stack.standin.spec import StandinSpec, find_model

OLLAMA_VERSION = "0.6.2"  # what /api/version reports
CONTEXT_LENGTH = 8192
NS_PER_TOKEN = 1_000_000  # made-up but stable durations
MODIFIED_AT = "2025-01-01T00:00:00Z"
MALFORMED = b'{"model":"standin","created_at":"2025-01-01T00:00:00Z","message":{"role":"assi'


def error_body(status: int, message: str) -> bytes:
    return dumps({"error": message}).encode()


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _family(model: str) -> str:
    base = model.split(":", 1)[0].rsplit("/", 1)[-1]
    found = re.match(r"[A-Za-z]+", base)
    return found.group(0).lower() if found else "standin"


def _details(model: str) -> dict[str, Any]:
    family = _family(model)
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family,
        "families": [family],
        "parameter_size": "8.0B",
        "quantization_level": "Q4_K_M",
    }


def _tag(model: str) -> dict[str, Any]:
    return {
        "name": model,
        "model": model,
        "modified_at": MODIFIED_AT,
        "size": 4_920_753_328,
        "digest": hashlib.sha256(model.encode()).hexdigest(),
        "details": _details(model),
    }


def _show(model: str) -> dict[str, Any]:
    family = _family(model)
    return {
        "license": "stand-in, no weights",
        "modelfile": f"# stand-in for {model}\nFROM {model}\n",
        "parameters": 'stop "<|eot_id|>"',
        "template": "{{ .Prompt }}",
        "details": _details(model),
        "model_info": {
            "general.architecture": family,
            "general.parameter_count": 8_030_261_248,
            f"{family}.context_length": CONTEXT_LENGTH,
            f"{family}.embedding_length": 4096,
        },
        "capabilities": ["completion"],
        "modified_at": MODIFIED_AT,
    }


def _final_fields(reply: Reply) -> dict[str, Any]:
    return {
        "done": True,
        "done_reason": reply.finish_reason,
        "total_duration": (reply.total_tokens + 1) * NS_PER_TOKEN,
        "load_duration": NS_PER_TOKEN,
        "prompt_eval_count": reply.prompt_tokens,
        "prompt_eval_duration": reply.prompt_tokens * NS_PER_TOKEN,
        "eval_count": reply.completion_tokens,
        "eval_duration": reply.completion_tokens * NS_PER_TOKEN,
    }


def _answer(reply: Reply, stream: bool, head: dict[str, Any], chat: bool) -> Response:
    """Plain or streamed answer; ``chat`` picks ``message`` records over ``response`` ones."""

    def piece(text: str) -> dict[str, Any]:
        if chat:
            return {"message": {"role": "assistant", "content": text}}
        return {"response": text}

    tail = {} if chat else {"context": list(range(1, reply.total_tokens + 1))}
    if not stream:
        return JSONResponse({**head, **piece(reply.text), **_final_fields(reply), **tail})
    records = [{**head, "created_at": _now(), **piece(p), "done": False} for p in reply.pieces()]
    records.append({**head, **piece(""), **_final_fields(reply), **tail})
    return StreamingResponse(ndjson(records), media_type="application/x-ndjson")


def build_ollama_app(spec: StandinSpec, state: FaultState) -> Starlette:
    """The Ollama API for ``spec`` (before the fault middleware)."""

    guarded = guard(spec.api_key, _error, "unauthorized")

    async def root(request: Request) -> Response:
        return PlainTextResponse("Ollama is running")

    async def version(request: Request) -> Response:
        return JSONResponse({"version": OLLAMA_VERSION})

    async def tags(request: Request) -> Response:
        return JSONResponse({"models": [_tag(m) for m in spec.models]})

    async def show(request: Request) -> Response:
        body = await read_json_object(request)
        requested = body.get("model") or body.get("name")  # LiteLLM still sends "name"
        model = find_model(spec, requested)
        if model is None:
            return _error(404, f"model '{requested}' not found")
        return JSONResponse(_show(model))

    async def completion(request: Request, chat: bool) -> Response:
        body = await read_json_object(request)
        requested = body.get("model")
        if not requested:
            return _error(400, "model is required")
        model = find_model(spec, requested)
        if model is None:
            return _error(404, f'model "{requested}" not found, try pulling it first')
        state.count_model(model)
        request.scope[MODEL_SCOPE_KEY] = model
        if chat:
            prompt, prompt_tokens = prompt_of(body.get("messages"))
        else:
            prompt = str(body.get("prompt") or "")
            prompt_tokens = len(prompt.split())
        options = body.get("options")
        limit = options.get("num_predict") if isinstance(options, dict) else None
        reply = make_reply(spec.name, model, prompt, prompt_tokens, limit)
        head = {"model": requested, "created_at": _now()}
        return _answer(reply, body.get("stream", True) is not False, head, chat)

    async def chat(request: Request) -> Response:
        return await completion(request, chat=True)

    async def generate(request: Request) -> Response:
        return await completion(request, chat=False)

    routes = [
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/api/version", version, methods=["GET"]),
        Route("/api/tags", guarded(tags), methods=["GET"]),
        Route("/api/show", guarded(show), methods=["POST"]),
        Route("/api/chat", guarded(chat), methods=["POST"]),
        Route("/api/generate", guarded(generate), methods=["POST"]),
    ]
    return Starlette(routes=routes)
