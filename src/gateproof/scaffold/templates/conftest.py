"""Fixtures shared by this repository's own checks (checks/).

gateproof's fixtures (gateproof_settings, sources, generated, gateway, gateway_authed, check,
routed_model, provider, ...) come from the plugin: nothing to import. Add the team's own
fixtures here, e.g. a client for an internal service the gateway depends on.
"""
