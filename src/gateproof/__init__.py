"""gateproof: a deployment checklist for LLM gateways, run as pytest tests."""

__version__ = "0.1.0"
