"""The load engine: a locustfile shipped in the package, its runner, and the results.

Nothing here imports locust: the locustfile runs in its own process (see ``runner``).
"""

from gateproof.load.runner import LOCUSTFILE, LoadPlan, run_load

__all__ = ["LOCUSTFILE", "LoadPlan", "run_load"]
