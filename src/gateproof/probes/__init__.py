"""Probes: talk to one component each and return what they saw.

    endpoint      host and port of a URL (the scheme's default port when none is written)
    http          Exchange (one HTTP request and its answer) and the request helper
    gateway       the LiteLLM proxy: health, models, completions, CORS preflight, auth
    providers     a model server called directly: Ollama and OpenAI-compatible APIs
    redis_probe   Redis: unauthenticated PING, PING/INFO, key lookup
    hosts         a host through testinfra: resources, TCP reach, listening sockets
    deploy        the deployed config, the gateway service and its log, backups
    prometheus    Prometheus through prometheus-api-client: queries, series, targets

A probe never decides pass or fail. It returns a typed evidence record, or raises
:class:`gateproof.errors.ProbeError` ("could not check": refused, timed out, not JSON) naming
the target and the setting it came from. Every call has a timeout and is never retried.
"""
