"""Stand-in LLM providers: small ASGI servers that speak the Ollama or OpenAI wire protocol.

No model weights can be loaded where gateproof tests itself, so the reference deployment puts
one stand-in per provider behind the real LiteLLM proxy. Replies are deterministic and name the
provider that answered (``[NAME] ...`` in the content, ``x-standin-provider: NAME`` header).

Each stand-in listens on two ports: the provider API and a control API that injects faults at
runtime (refuse, hang, latency, error rate, 429, malformed JSON) and reads request counters.

Modules:
    spec        what one stand-in serves (name, type, models, key)
    replies     deterministic reply text, token counts, max_tokens truncation
    faults      fault switches and request counters (no I/O)
    middleware  applies faults, counts and logs every provider request
    ollama_app  the Ollama API;  openai_app  the OpenAI-compatible API
    control_app the control API;  server  both listeners on one event loop, in a thread
    control     ``StandinControl``, the typed client of the control API
    inprocess   ``running_standin()``: a stand-in in this process, for tests
    __main__    ``python -m gateproof.stack.standin ...`` (one process per provider)

Imports stay lean on purpose: the launcher starts one process per provider.
"""
