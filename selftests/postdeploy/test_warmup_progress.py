"""The warm-up says how far it is while Locust runs (issue 13, item 5): the load runner's
progress lines against a stand-in provider, and the terminal writer that gets them past
pytest's output capture. (The live postdeploy selftest sees them in a real run's output.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateproof.load import runner
from gateproof.load.runner import LoadPlan, run_load
from gateproof.stack.standin.inprocess import running_standin

MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct"


def test_a_running_load_says_seconds_and_requests_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "PROGRESS_EVERY_S", 1.0)
    said: list[str] = []
    with running_standin("vllm-qwen", "vllm", (MODEL,)) as standin:
        plan = LoadPlan(standin.base_url, (MODEL,), 4.0, 5.0, 2, 0.0, name="warm-up")
        result = run_load(plan, None, tmp_path, said.append)
    assert result.requests > 0, result.summary()
    pattern = re.compile(
        r"^warm-up: (\d+) of 5 s, (\d+) requests answered \(0 errors\), asked 4 req/s to "
        + re.escape(standin.base_url)
        + "$"
    )
    counted = [(int(m[1]), int(m[2])) for line in said if (m := pattern.match(line))]
    assert len(counted) >= 2, said  # locust's start-up may take the first second or two
    assert all(0 < n <= result.requests for _, n in counted), (counted, result.requests)
    assert counted == sorted(counted), counted  # time and the count only go forward
    # the first lines may come before any answer; every line is one of the two shapes
    waiting = re.compile(r"^warm-up: \d+ of 5 s, no request answered yet, asked 4 req/s to ")
    other = [line for line in said if not pattern.match(line) and not waiting.match(line)]
    stopping = re.compile(r"^warm-up: 5 s done, stopping \(\d+ s awaiting answers in flight, ")
    assert all(stopping.match(line) for line in other), other


def test_a_load_without_a_listener_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_standin("vllm-qwen", "vllm", (MODEL,)) as standin:
        plan = LoadPlan(standin.base_url, (MODEL,), 4.0, 2.0, 1, 0.0)
        run_load(plan, None, tmp_path)
    out = capsys.readouterr()
    assert "load:" not in out.out + out.err


def test_the_live_writer_reaches_the_terminal_past_capture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
from gateproof.terminal import live_writer

def test_long_wait(request):
    print("captured, shown only on failure")
    live_writer(request.config)("warm-up: 5 of 15 s, 42 requests answered (0 errors)")
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["warm-up: 5 of 15 s, 42 requests answered (0 errors)"])
    assert "captured, shown only on failure" not in result.stdout.str()
