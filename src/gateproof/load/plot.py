"""The warm-up as a picture: latency distribution and request timeline, threshold marked.

Drawn with matplotlib's SVG backend (no display, no network); imported only when a report
wants the picture, since matplotlib costs about a second to import.
"""

from __future__ import annotations

import io

from gateproof.load.results import LoadResult


def latency_svg(result: LoadResult, threshold_s: float, title: str) -> str:
    """An SVG document: histogram of latencies (left), latency over time (right)."""
    import matplotlib

    matplotlib.use("svg", force=False)
    from matplotlib.figure import Figure

    latencies = [s.latency_ms / 1000.0 for s in result.samples]
    begin = result.samples[0].start_s if result.samples else 0.0
    figure = Figure(figsize=(10, 3.6))
    left, right = figure.subplots(1, 2)
    left.hist(latencies, bins=40, color="#4C72B0")
    left.axvline(threshold_s, color="#C44E52", linestyle="--", label=f"p95 limit {threshold_s:g} s")
    left.axvline(result.latency_s(0.95), color="#55A868", label="p95 of this run")
    left.set_xlabel("latency (s)")
    left.set_ylabel("requests")
    left.set_title("latency distribution")
    left.legend(fontsize="small")
    for ok, colour, label in ((True, "#4C72B0", "2xx"), (False, "#C44E52", "error")):
        points = [(s.start_s - begin, s.latency_ms / 1000.0) for s in result.samples if s.ok is ok]
        if points:
            xs, ys = zip(*points, strict=True)
            right.scatter(xs, ys, s=6, color=colour, label=label)
    right.axhline(threshold_s, color="#C44E52", linestyle="--")
    right.set_xlabel("time since start (s)")
    right.set_ylabel("latency (s)")
    right.set_title("request timeline")
    right.legend(fontsize="small")
    figure.suptitle(title, fontsize="medium")
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg")
    return out.getvalue()
