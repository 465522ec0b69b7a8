"""gateproof's own tests. pytester runs inner pytest sessions with the plugin loaded."""

# httpx imports httpcore on its first request and keeps a map of httpcore's exception classes.
# When that first request happens inside an in-process pytester run, pytester drops the
# httpcore it imported afterwards; later requests import a fresh httpcore whose errors are no
# longer in the map, and a refused connection escapes as a raw httpcore.ConnectError (the
# shared stack's readiness wait then fails). Importing it here keeps one httpcore for the run.
import httpcore  # noqa: F401

pytest_plugins = ["pytester"]
