"""`gateproof watch` on a reference stack of this folder's own, as an operator runs it (the
command in a process of its own, each round the unchanged acceptance suite in a child pytest):

- a healthy deployment stays green for the whole watch, its metrics reach Prometheus through
  the node exporter's textfile collector, and the watch dashboard passes MON-05;
- a provider slowed from outside mid-watch turns the watch red within its budget;
- a bad config deployed mid-watch is rolled back to the last version that passed its gate, smoke
  is green after it, and the watch record holds both.

Rounds run `-m smoke` (fast, no load) with SMK-06 waived: its check stops a provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from gateproof.cli import main
from gateproof.stack.layout import RunDir, fixed_port
from gateproof.stack.state import StackState

REPO = Path(__file__).resolve().parents[2]
SLOW_PROVIDER = "vllm-qwen"
DEAD_PORT = 1


def watch_argv(run: RunDir, record: Path, waivers: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gateproof.cli", "watch", "-m", "smoke",
            "--gateproof-config", str(run.settings), "--record", str(record),
            "--tests", str(REPO / "tests"), *extra, "--", "--gateproof-waivers", str(waivers),
            "-p", "no:randomly"]  # fmt: skip


def env_without_outer_pytest(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {**env, **extra}


def start(argv: list[str], **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(argv, cwd=REPO, env=env_without_outer_pytest(**env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def rounds_done(record: Path) -> int:
    try:
        data = json.loads((record / "watch.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return len(data["rounds"])


def wait_rounds(record: Path, proc: subprocess.Popen[str], n: int, limit_s: float = 90) -> None:
    deadline = time.monotonic() + limit_s
    while rounds_done(record) < n:
        assert proc.poll() is None, f"the watch ended early: {proc.communicate()[0][-3000:]}"
        assert time.monotonic() < deadline, f"fewer than {n} rounds after {limit_s} s"
        time.sleep(0.3)


def read(record: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((record / "watch.json").read_text(encoding="utf-8"))
    return data


def prometheus_value(run: RunDir, promql: str, want: float, limit_s: float = 40) -> float | None:
    """Poll Prometheus until ``promql`` reads ``want`` (a scrape or two); the last value."""
    url = f"http://127.0.0.1:{fixed_port(base_port(run), 'prometheus')}/api/v1/query"
    deadline, value = time.monotonic() + limit_s, None
    while time.monotonic() < deadline:
        result = httpx.get(url, params={"query": promql}, timeout=5).json()["data"]["result"]
        value = float(result[0]["value"][1]) if result else None
        if value == want:
            return value
        time.sleep(1)
    return value


def base_port(run: RunDir) -> int:
    state = StackState.load(run)
    assert state is not None
    return state.base_port


def provider_requests(run: RunDir) -> int:
    from gateproof.stack.layout import control_port
    from gateproof.stack.standin.control import StandinControl

    state = StackState.load(run)
    assert state is not None
    return sum(
        StandinControl(f"http://127.0.0.1:{control_port(state.base_port, i)}").counters()["total"]
        for i in range(len(state.providers))
    )


def no_secrets_in(run: RunDir, record: Path) -> None:
    values = [
        line.partition("=")[2] for line in run.secrets.read_text().splitlines() if "=" in line
    ]
    for path in record.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".md", ".log", ".prom"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [v for v in values if v and v in text], f"a secret in {path}"


def test_healthy_watch_stays_green_and_its_metrics_reach_prometheus(
    watch_stack: RunDir, waivers: Path, tmp_path: Path
) -> None:
    run, record = watch_stack, tmp_path / "watch"
    before = provider_requests(run)
    argv = watch_argv(run, record, waivers, "--interval", "3", "--duration", "12")
    tests_at = argv.index("--tests")
    del argv[tests_at : tests_at + 2]  # no --tests: the checkout's rounds run as `gateproof run`
    code, out = finish(start(argv))
    data = read(record)
    assert code == 0, out[-3000:]
    assert (record / "round-001" / "report.html").is_file()  # gateproof run's HTML and JUnit
    assert (record / "round-001" / "junit.xml").is_file()
    assert data["verdict"] == "GREEN_WITH_WAIVERS", data["verdict_reason"]
    rounds = data["rounds"]
    assert len(rounds) >= 3 and {r["counted_as"] for r in rounds} == {"success"}
    assert all(r["outcomes"]["SMK-03"] == "passed" for r in rounds)
    # bounded traffic: the providers' own counters over the whole watch
    per_round = (provider_requests(run) - before) / len(rounds)
    print(f"provider requests per smoke round: {per_round:.1f}")
    assert per_round <= 12, f"{per_round:.1f} provider requests per round (measured: 6)"
    # the textfile in RUN/textfile (found beside the settings) reaches Prometheus
    assert data["metrics_textfile"] == str(run.root / "textfile" / "gateproof_watch_reference.prom")
    n = float(len(rounds))
    assert prometheus_value(run, 'gateproof_watch_rounds{deployment="reference"}', n) == n
    assert prometheus_value(run, "gateproof_watch_red", 0.0) == 0.0
    assert prometheus_value(run, 'gateproof_item_outcome{item="SMK-03"}', 1.0) == 1.0
    no_secrets_in(run, record)
    # MON-05 on the watch dashboard: every panel returns data now
    mon = tmp_path / "mon05"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/monitoring/test_grafana.py", "-q", "--tb=short",
         "-p", "no:randomly", "-p", "no:cacheprovider", "--gateproof-config", str(run.settings),
         "--gateproof-record", str(mon)],
        cwd=REPO, env=env_without_outer_pytest(GATEPROOF_GRAFANA_DASHBOARD_UID="gateproof-watch"),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    items = json.loads((mon / "record.json").read_text(encoding="utf-8"))["items"]
    assert items["MON-05"]["outcome"] == "passed", done.stdout[-3000:]


def test_provider_slowed_mid_watch_turns_it_red_within_the_budget(
    watch_stack: RunDir, waivers: Path, tmp_path: Path
) -> None:
    run, record = watch_stack, tmp_path / "watch"
    argv = watch_argv(run, record, waivers, "--interval", "2", "--duration", "120",
                      "--max-consecutive", "2", "--max-failures", "3")  # fmt: skip
    fault = ["stack", "fault", "--run-dir", str(run.root), "--provider", SLOW_PROVIDER]
    proc = start(argv, GATEPROOF_THRESHOLDS_SLOW_ANSWER_S="1.5")
    try:
        wait_rounds(record, proc, 1)
        assert main([*fault, "--latency-ms", "3000"]) == 0
        code, out = finish(proc)
    finally:
        main([*fault, "clear"])
        if proc.poll() is None:
            proc.kill()
    data = read(record)
    assert code == 1, out[-3000:]
    assert data["verdict"] == "RED"
    assert data["verdict_reason"].startswith("failure budget exhausted: 2 failed round(s) in a row")
    counted = [r["counted_as"] for r in data["rounds"]]
    # green before the fault; red after at most the round that was running when it came
    assert counted[0] == "success" and counted[-2:] == ["failure", "failure"]
    assert len(counted) <= 4, counted
    last = data["rounds"][-1]
    assert f"provider '{SLOW_PROVIDER}'" in last["failed_items"]["SMK-03"]
    assert data["rollback"] is None  # not asked for: only reported
    text = (run.root / "textfile" / "gateproof_watch_reference.prom").read_text()
    assert 'gateproof_watch_red{deployment="reference"} 1' in text
    assert 'gateproof_watch_running{deployment="reference"} 0' in text
    summary = (record / "watch.md").read_text(encoding="utf-8")
    assert "| SMK-03 | ok |" in summary and "FAIL |" in summary


def deploy_bad_config(run: RunDir) -> None:
    """What a careless deploy does: a hand-edited config (a provider on a dead port) copied
    over the deployed one, then the service restarted."""
    state = StackState.load(run)
    assert state is not None
    victim = next(p for p in state.providers if p["name"] == SLOW_PROVIDER)
    text = run.deployed_config.read_text(encoding="utf-8")
    good = f"127.0.0.1:{victim['port']}/"
    assert good in text
    run.deployed_config.write_text(text.replace(good, f"127.0.0.1:{DEAD_PORT}/"), "utf-8")
    time.sleep(2)  # DEP-03 reads the start time in whole seconds: restart after the deploy
    assert main(["stack", "restart", "--run-dir", str(run.root)]) == 0


def test_bad_config_mid_watch_is_rolled_back_and_smoke_is_green_again(
    watch_stack: RunDir, waivers: Path, tmp_path: Path
) -> None:
    run, record = watch_stack, tmp_path / "watch"
    good = run.deployed_config.read_bytes()
    restart_cmd = f"{sys.executable} -m gateproof.cli stack restart --run-dir {run.root}"
    # rounds 15 s apart: the deploy (and its restart) is over before the next round, so the
    # watch's own restart after the rollback never races the deploy's
    argv = watch_argv(run, record, waivers, "--interval", "15", "--duration", "150",
                      "--max-failures", "2", "--rollback-to", "last-green",
                      "--restart-cmd", restart_cmd)  # fmt: skip
    proc = start(argv)
    try:
        wait_rounds(record, proc, 1)
        deploy_bad_config(run)
        assert rounds_done(record) == 1, "the deploy took longer than a round interval"
        code, out = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    data = read(record)
    assert code == 1 and data["verdict"] == "RED", out[-3000:]
    rounds = data["rounds"]
    assert rounds[0]["counted_as"] == "success" and rounds[-1]["counted_as"] == "failure"
    assert rounds[-1]["deployed_sha256"] != rounds[0]["deployed_sha256"]  # the bad deploy
    rb = data["rollback"]
    assert rb["outcome"] == "rolled back and verified", rb
    assert rb["reason"].endswith("is the last version that passed its gate")
    assert rb["smoke_verdict"] == "GREEN_WITH_WAIVERS", rb.get("smoke_reason")
    assert run.deployed_config.read_bytes() == good  # the good bytes are live again
    rollback = json.loads((record / "rollback" / "rollback.json").read_text(encoding="utf-8"))
    assert rollback["outcome"] == "restored" and rollback["requested"] == rb["version"]
    smoke = json.loads((record / "rollback-smoke" / "record.json").read_text(encoding="utf-8"))
    assert smoke["deployment"]["deployed_sha256"] == rounds[0]["deployed_sha256"]
    summary = (record / "watch.md").read_text(encoding="utf-8")
    assert "## Rollback" in summary and "- outcome: rolled back and verified" in summary
    no_secrets_in(run, record)
    # the release record decides RBK-01 from what the watch left: the rollback and its smoke
    release = tmp_path / "release"
    main(["release", "--out", str(release), str(record / "rollback"),
          str(record / "rollback-smoke"), "--phases", "predeploy,smoke"])  # fmt: skip
    rbk = json.loads((release / "record.json").read_text(encoding="utf-8"))["items"]["RBK-01"]
    assert rbk["outcome"] == "passed", rbk["reason"]


def test_watch_until_stopped_ends_with_a_verdict_on_sigterm(
    watch_stack: RunDir, waivers: Path, tmp_path: Path
) -> None:
    import signal

    run, record = watch_stack, tmp_path / "watch"
    proc = start(watch_argv(run, record, waivers, "--interval", "2"))  # no end: until stopped
    try:
        wait_rounds(record, proc, 2)
        proc.send_signal(signal.SIGTERM)
        code, out = finish(proc, timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    data = read(record)
    assert "watch stopped" in out
    assert code == 0 and data["verdict"] == "GREEN_WITH_WAIVERS", out[-3000:]
    assert data["planned"] == "until stopped" and data["finished"]
    assert len(data["rounds"]) >= 2
    text = (run.root / "textfile" / "gateproof_watch_reference.prom").read_text()
    assert 'gateproof_watch_running{deployment="reference"} 0' in text
