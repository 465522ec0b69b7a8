"""Scale benchmark of the source-of-truth pipeline (not a test).

For 1,000 / 10,000 / 50,000 synthetic models it writes providers.yaml + model-mappings.yaml
(20 providers of the four local types, one exact match with a rate limit per model, a fallback
chain of 3 for most models that links them into paths up to 15 deep, patterns, capabilities
and a 20-target default chain), then times, in a fresh process per size:

    load + validate (load_sources) -> registry, mapping and fallback-graph checks -> render
    -> atomic write of litellm-unified.yaml

and prints the best wall time of 3 runs and the peak RSS growth (ru_maxrss) of that process.
Targets: 10,000 models under 1 s; 50,000 no more than 6x the 10,000 time.

``--phase`` times the whole predeploy phase as an operator runs it, ``pytest -m predeploy
tests/unit`` in a child process (wall time and the child's peak RSS): the reference config
(without the deployment's own unit-test command, PRE-TST-01 then N/A) against a bare pytest run
of one trivial test; then 10,000 and 50,000 synthetic models, each in a git repository of its
own with a two-version store, cold (empty secret-scan cache) and warm (best of the next two
runs). Targets: reference within 2x bare; 10,000 within 3 s warm and 6 s cold, under 150 MB;
50,000 within 6x the 10,000 figure.

    .venv/bin/python bench/config_scale.py [SIZES...]
    .venv/bin/python bench/config_scale.py --phase [SIZES...]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TYPES = ("ollama", "vllm", "llama_cpp", "openai_compatible")
PROVIDERS = 20
BLOCK = 16  # chains link models within blocks of 16: paths up to 15 deep


def write_sources(directory: Path, models: int) -> tuple[int, int]:
    per = models // PROVIDERS
    lines = ["# synthetic registry", "providers:"]
    for p in range(PROVIDERS):
        lines += [
            f"  prov-{p}:",
            f"    type: {TYPES[p % len(TYPES)]}",
            f"    base_url: http://127.0.0.1:{30000 + p}",
            "    status: active",
            "    models:",
        ]
        for i in range(per):
            lines += [f'      - name: "m{p}-{i}:latest"', "        context_length: 8192"]
    providers = "\n".join(lines) + "\n"
    lines = ["exact_matches:"]
    names = [f"m{p}-{i}:latest" for p in range(PROVIDERS) for i in range(per)]
    for index, name in enumerate(names):
        lines += [
            f'  "{name}":',
            f"    provider: prov-{index // per}",
            "    priority: primary",
            f"    rate_limit: {{rpm: {60 + index % 7}, tpm: 100000}}",
        ]
    lines += ["patterns:", '  - {pattern: "^m1-.*", provider: prov-1, fallback: prov-0}']
    lines += ["capabilities:", "  chat:", f'    preferred_models: ["{names[0]}", "{names[1]}"]']
    lines += ["fallback_chains:"]
    for index, name in enumerate(names):
        block_end = (index // BLOCK + 1) * BLOCK
        targets = [names[j] for j in range(index + 1, min(index + 4, block_end, len(names)))]
        if targets:
            lines.append(f'  "{name}": [{", ".join(json.dumps(t) for t in targets)}]')
    lines.append(f"  default: [{', '.join(json.dumps(n) for n in names[-20:])}]")
    lines += ["generator:", "  max_fallbacks: 20"]
    mappings = "\n".join(lines) + "\n"
    (directory / "providers.yaml").write_text(providers, encoding="utf-8")
    (directory / "model-mappings.yaml").write_text(mappings, encoding="utf-8")
    return len(providers.encode()), len(mappings.encode())


def pipeline(directory: Path) -> int:
    from gateproof import config_checks
    from gateproof.generate import render
    from gateproof.history import atomic_write
    from gateproof.schema import GENERATED_FILE, load_sources

    sources = load_sources(directory, max_bytes=256 * 1024 * 1024)
    findings = config_checks.registry_findings(sources)
    findings += config_checks.mapping_findings(sources)
    from gateproof import routing

    findings += routing.check_source_fallbacks(sources)
    text = render(sources, "BENCH")
    atomic_write(directory / GENERATED_FILE, text.encode("utf-8"))
    return len(findings)


def child(models: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sizes = write_sources(directory, models)
        import gateproof.config_checks  # noqa: F401  (imports are not part of the figure)

        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        times = []
        findings = -1
        for _ in range(3):
            start = time.perf_counter()
            findings = pipeline(directory)
            times.append(time.perf_counter() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss
        generated = (directory / "litellm-unified.yaml").stat().st_size
    print(
        json.dumps(
            {
                "models": models,
                "best_s": min(times),
                "times": times,
                "peak_rss_mb": peak / 1024,
                "source_bytes": sum(sizes),
                "generated_bytes": generated,
                "findings": findings,
            }
        )
    )


ROOT = Path(__file__).resolve().parents[1]


def _timed_pytest(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, peak RSS MB, exit code) of one pytest child, measured from a wrapper process
    so the RSS is that child's alone."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "out = subprocess.DEVNULL\n"
        "rc = subprocess.run(sys.argv[1:], stdout=out, stderr=out).returncode\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([wall, rss, rc]))\n"
    )
    argv = [sys.executable, "-c", code, sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]
    done = subprocess.run([*argv, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=True)  # fmt: skip
    wall, rss, rc = json.loads(done.stdout.strip().splitlines()[-1])
    return float(wall), float(rss), int(rc)


def _synthetic_deployment(directory: Path, models: int) -> Path:
    """Sources, generated file with two kept versions, committed in a git repo; settings."""
    from gateproof.generate import generate

    config = directory / "config"
    config.mkdir()
    write_sources(config, models)
    (config / ".gitignore").write_text(".litellm-history/\n")
    generate(config)
    generate(config, force=True)
    git = ["git", "-C", str(directory), "-c", "user.name=b", "-c", "user.email=b@b"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "synthetic"], check=True)
    settings = directory / "gateproof.yaml"
    settings.write_text(f"config_dir: {config}\n", encoding="utf-8")
    return settings


def phase_figures(sizes: list[int], cold: bool = True) -> dict[str, Any]:
    """The --phase figures: ``bare_s``, ``reference_s``, ``reference_rss_mb``, and per size
    ``{size: {"cold_s", "cold_rss_mb", "warm_s", "warm_rss_mb", "exit"}}`` under ``sizes``
    (the cold run left out when ``cold`` is false: it then only fills the cache)."""
    import os
    import shutil

    out: dict[str, Any] = {"sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = {**os.environ, "XDG_CACHE_HOME": str(base / "cache")}
        (base / "bare").mkdir()
        (base / "bare" / "test_bare.py").write_text("def test_nothing():\n    pass\n")
        out["bare_s"] = min(
            _timed_pytest([str(base / "bare" / "test_bare.py")], env)[0] for _ in range(3)
        )
        reference = base / "reference.yaml"
        text = (ROOT / "config" / "gateproof.yaml").read_text(encoding="utf-8")
        text = (
            text.split("\nunit_tests:")[0]
            + "\n"
            + text.split("\npaths:", 1)[1].join(["paths:", ""])
        )
        reference.write_text(f"config_dir: {ROOT / 'config'}\n" + text, encoding="utf-8")
        args = ["-m", "predeploy", "tests/unit", "--gateproof-config", str(reference)]
        _timed_pytest(args, env)  # warm the secret-scan cache of this repository
        runs = [_timed_pytest(args, env) for _ in range(3)]
        out["reference_s"] = min(r[0] for r in runs)
        out["reference_rss_mb"] = max(r[1] for r in runs)
        for size in sizes:
            work = base / f"m{size}"
            work.mkdir()
            settings = _synthetic_deployment(work, size)
            shutil.rmtree(base / "cache", ignore_errors=True)
            args = ["-m", "predeploy", "tests/unit", "--gateproof-config", str(settings)]
            first, first_rss, rc = _timed_pytest(args, env)
            warm_runs = [_timed_pytest(args, env) for _ in range(2)]  # best of two: noise
            warm, warm_rss = min(r[0] for r in warm_runs), max(r[1] for r in warm_runs)
            row = {"warm_s": warm, "warm_rss_mb": warm_rss, "exit": rc}
            if cold:
                row |= {"cold_s": first, "cold_rss_mb": first_rss}
            out["sizes"][size] = row
    return out


def phase(sizes: list[int]) -> None:
    figures = phase_figures(sizes)
    bare, ref = figures["bare_s"], figures["reference_s"]
    print(f"bare pytest run {bare:.2f} s; reference predeploy tests/unit {ref:.2f} s "
          f"({ref / bare:.2f}x, target <= 2x)")  # fmt: skip
    rows = figures["sizes"]
    for size, row in rows.items():
        cold = f"cold {row['cold_s']:.2f} s ({row['cold_rss_mb']:.0f} MB)"
        warm = f"warm {row['warm_s']:.2f} s ({row['warm_rss_mb']:.0f} MB)"
        print(f"{size:>6} models: {cold}, {warm}, exit {row['exit']}")
    if 10000 in rows and 50000 in rows:
        ratio = rows[50000]["warm_s"] / rows[10000]["warm_s"]
        print(f"50k / 10k warm ratio: {ratio:.2f} (target <= 6)")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(int(argv[1]))
        return 0
    if argv[:1] == ["--phase"]:
        phase([int(a) for a in argv[1:]] or [10000, 50000])
        return 0
    sizes = [int(a) for a in argv] or [1000, 10000, 50000]
    results = {}
    print(
        f"{'models':>8} {'best wall s':>12} {'peak RSS +MB':>13} {'sources MB':>11} "
        f"{'generated MB':>13} {'findings':>9}"
    )
    for size in sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        results[size] = row
        print(
            f"{size:>8} {row['best_s']:>12.3f} {row['peak_rss_mb']:>13.1f} "
            f"{row['source_bytes'] / 1e6:>11.2f} {row['generated_bytes'] / 1e6:>13.2f} "
            f"{row['findings']:>9}"
        )
    if 10000 in results and 50000 in results:
        ratio = results[50000]["best_s"] / results[10000]["best_s"]
        print(
            f"50k / 10k time ratio: {ratio:.2f} (target <= 6); "
            f"10k under 1 s: {results[10000]['best_s'] < 1.0}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
