"""Distributed load (issue 14, part 3): a Locust master with worker processes gives the same
result as one process, with the generator's CPU summed over its processes and the traffic
spread over the workers; PRE-TST-05 runs that way on the healthy stack, and a worker that
never connects, or dies mid-run (killed from outside), is reported as such.

Runs are short (5-6 s of load); the rates stay far below the models' rpm.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pd_suite import run_suite

from gateproof.errors import ProbeError
from gateproof.load.results import GeneratorProcess, LoadResult, Sample
from gateproof.load.runner import LOCUSTFILE, LoadPlan, run_load
from gateproof.stack.testing import ReferenceStack

MODEL = "qwen-coder-vllm"  # rpm 300: a few short runs a minute stay under it
LOAD = ("--gateproof-load", "--gateproof-load-rate-rps", "5", "--gateproof-load-users", "4",
        "-k", "sustained")  # fmt: skip


def _plan(
    stack: ReferenceStack, workers: int = 0, remote: int = 0, wait_s: float = 30.0
) -> LoadPlan:
    return LoadPlan(stack.gateway_url, (MODEL,), 6.0, 5.0, 4, 0.0, setting="load",
                    workers=workers, remote_workers=remote, worker_wait_s=wait_s)  # fmt: skip


def test_two_workers_give_the_single_process_result_cpu_summed_and_spread(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    key = reference_stack.master_key
    single = run_load(_plan(reference_stack), key, tmp_path / "single")
    spread = run_load(_plan(reference_stack, workers=2), key, tmp_path / "spread")
    for result in (single, spread):
        assert result.requests >= 20 and result.errors == 0, result.summary()
        assert result.achieved_rps >= 0.8 * 6.0, result.summary()
    # the same fields, drawn from the same kind of samples
    assert spread.summary().split(";")[0].endswith("(asked 6)"), spread.summary()
    assert {s.model for s in spread.samples} == {s.model for s in single.samples} == {MODEL}
    # CPU: master plus each worker, and the total is their sum
    names = [p.name for p in spread.processes]
    assert names[0] == "master" and len(names) == 3, names
    assert spread.generator_cpu_s == pytest.approx(sum(p.cpu_s for p in spread.processes))
    assert all(p.cpu_s > 0 and p.wall_s > 0 for p in spread.processes), spread.processes
    assert "summed over 3 processes (master " in spread.summary(), spread.summary()
    # both workers sent, and their counts add up to what was measured
    sent = [p.requests or 0 for p in spread.processes[1:]]
    assert min(sent) >= 0.3 * spread.requests and sum(sent) == spread.requests, sent
    assert not spread.lost and single.processes == () and not single.lost


def test_the_bottleneck_rule_looks_at_each_process() -> None:
    samples = [Sample(1000.0 + i / 6, 50.0, 200, "m") for i in range(60)]
    busy = (GeneratorProcess("master", 0.5, 10.0),
            GeneratorProcess("worker 1 (a pid 1)", 9.6, 10.0, 30),
            GeneratorProcess("worker 2 (b pid 2)", 1.0, 10.0, 30))  # fmt: skip
    result = LoadResult.of(6.0, 10.0, samples, 0.0, 10.0, 4, processes=busy)
    assert result.generator_cpu_s == pytest.approx(11.1)
    assert "worker 1 (a pid 1): CPU 96 % of one core" in str(result.generator_bound(90.0))
    calm = LoadResult.of(6.0, 10.0, samples, 0.0, 10.0, 4, processes=busy[::2])
    assert calm.generator_bound(90.0) is None  # 15 % summed, 10 % the hottest
    lost = LoadResult.of(6.0, 10.0, samples, 0.0, 10.0, 4, processes=busy[::2],
                         lost=("worker 1 (a pid 1) stopped reporting",))  # fmt: skip
    assert lost.generator_bound(90.0) == "worker 1 (a pid 1) stopped reporting"


def test_a_worker_that_never_connects_ends_in_bounded_time_naming_the_setting(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    plan = _plan(reference_stack, workers=1, remote=1, wait_s=3.0)
    said: list[str] = []
    began = time.monotonic()
    with pytest.raises(ProbeError) as caught:
        run_load(plan, reference_stack.master_key, tmp_path, said.append)
    assert time.monotonic() - began < 20.0
    text = str(caught.value)
    assert "1 of 2 load workers connected to the Locust master within 3 s" in text, text
    assert "load.worker_wait_s" in text and "load.remote_workers" in text, text
    assert any("locust -f - --worker --master-host " in line for line in said), said
    assert reference_stack.master_key not in text + "\n".join(said)


def test_the_printed_worker_command_pasted_elsewhere_joins_the_run(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    """An operator pastes the printed command (in another directory, with the key exported):
    that worker fetches the locustfile from the master and sends its share."""
    key = reference_stack.master_key
    elsewhere = tmp_path / "other-machine"
    elsewhere.mkdir()
    env = {**os.environ, "GATEPROOF_LOAD_API_KEY": key}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    pasted: list[subprocess.Popen[bytes]] = []

    def operator(line: str) -> None:
        if "GATEPROOF_LOAD_API_KEY: " in line:
            command = line.split("GATEPROOF_LOAD_API_KEY: ", 1)[1]
            quiet = subprocess.DEVNULL
            pasted.append(subprocess.Popen(["sh", "-c", command], cwd=elsewhere, env=env,
                                           stdout=quiet, stderr=quiet))  # fmt: skip

    try:
        result = run_load(_plan(reference_stack, workers=1, remote=1, wait_s=30.0), key,
                          tmp_path / "run", operator)  # fmt: skip
        assert len(pasted) == 1
        assert pasted[0].wait(15) == 0  # one run, then the worker exits
    finally:  # a failed run must not leave the pasted worker behind
        for worker in pasted:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert not result.lost and result.errors == 0, result.summary()
    sent = [p.requests or 0 for p in result.processes[1:]]  # the local and the pasted worker
    assert len(sent) == 2 and min(sent) > 0, result.summary()


def test_sustained_load_with_two_workers_passes_on_the_healthy_stack(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    record = run_suite(reference_stack.settings_path, tmp_path, *LOAD,
                       "--gateproof-load-duration-s", "6", "--gateproof-load-workers", "2",
                       marker="predeploy")  # fmt: skip
    assert record.outcome("PRE-TST-05") == "passed", record.output[-3000:]
    assert re.search(r"^load: \d+ of 6 s, .*, 2 workers$", record.output, re.M), record.output


def test_a_remote_worker_that_never_connects_is_an_error_of_pre_tst_05(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    record = run_suite(reference_stack.settings_path, tmp_path, *LOAD,
                       "--gateproof-load-duration-s", "5", "--gateproof-load-remote-workers", "1",
                       "--gateproof-load-worker-wait-s", "2", marker="predeploy")  # fmt: skip
    assert record.outcome("PRE-TST-05") == "error", record.output[-3000:]
    message = record.messages("PRE-TST-05")
    assert "0 of 1 load workers connected" in message and "load.worker_wait_s" in message, message


@contextmanager
def _kill_a_worker_after(seconds: float) -> Iterator[list[int]]:
    """Kill one local Locust worker of this checkout ``seconds`` after it appeared."""
    killed: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            workers = _worker_pids()
            if workers:
                time.sleep(seconds)
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield killed
    finally:
        done.set()
        thread.join(5.0)


def _worker_pids() -> list[int]:
    """Locust workers started by a pytest this test started (grandchildren of this process)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            ours = str(LOCUSTFILE).encode() in argv and b"--worker" in argv
            if ours and _parent(_parent(int(entry.name))) == os.getpid():
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile, or not a process
    return sorted(found)


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_a_worker_killed_mid_run_turns_pre_tst_05_red(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    with _kill_a_worker_after(4.0) as killed:
        record = run_suite(reference_stack.settings_path, tmp_path, *LOAD,
                           "--gateproof-load-duration-s", "8", "--gateproof-load-workers", "2",
                           marker="predeploy")  # fmt: skip
    assert killed, "no worker was seen to kill"
    assert record.outcome("PRE-TST-05") == "failed", record.output[-3000:]
    message = record.messages("PRE-TST-05")
    assert "the load generator lost part of its workers" in message, message
    assert f"pid {killed[0]}) stopped reporting" in message, message
