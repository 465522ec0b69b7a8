"""gateproof's own tests. pytester runs inner pytest sessions with the plugin loaded."""

pytest_plugins = ["pytester"]
