"""The embedded reference deployment: launcher (``gateproof stack``) and stand-in providers.

``launcher`` starts the real components (LiteLLM proxy, Redis, Prometheus, Alertmanager,
exporters) on loopback ports derived from one base port; ``standin`` serves the provider
APIs, since no model weights can be loaded here.
"""
