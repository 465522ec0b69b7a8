"""The watch's parts on their own: the failure budget, the verdict over rounds, the textfile,
the record's summary and the rollback floor."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateproof.history import History
from gateproof.watch import metrics
from gateproof.watch.budget import FAILURE, INCONCLUSIVE, SUCCESS, Budget, Tally, classify
from gateproof.watch.record import render_md
from gateproof.watch.rollback import LAST_GREEN, plan


def tally(budget: Budget, kinds: list[str]) -> Tally:
    t = Tally(budget)
    for kind in kinds:
        t.add(kind)
    return t


def test_round_verdicts_as_the_budget_counts_them() -> None:
    assert classify("GREEN") == classify("GREEN_WITH_WAIVERS") == SUCCESS
    assert classify("RED") == FAILURE
    assert classify("INCOMPLETE") == classify(None) == INCONCLUSIVE


@pytest.mark.parametrize(
    ("budget", "kinds", "red"),
    [
        (Budget(), [SUCCESS, SUCCESS], False),
        (Budget(), [SUCCESS, FAILURE], True),
        (Budget(max_failures=3), [FAILURE, SUCCESS, FAILURE], False),
        (Budget(max_failures=3), [FAILURE, SUCCESS, FAILURE, FAILURE], True),
        (Budget(max_failures=5, max_consecutive=2), [FAILURE, SUCCESS, FAILURE], False),
        (Budget(max_failures=5, max_consecutive=2), [FAILURE, FAILURE], True),
        (Budget(inconclusive_as="failure"), [INCONCLUSIVE], True),
        (Budget(inconclusive_as="success"), [INCONCLUSIVE], False),
        (Budget(inconclusive_as="ignore", max_consecutive=2, max_failures=9),
         [FAILURE, INCONCLUSIVE, FAILURE], True),
    ],
)  # fmt: skip
def test_failure_budget(budget: Budget, kinds: list[str], red: bool) -> None:
    assert tally(budget, kinds).exhausted is red


def test_budget_says_why_red_and_rejects_nonsense() -> None:
    t = tally(Budget(max_failures=9, max_consecutive=2), [FAILURE, FAILURE])
    assert t.why_red() == "2 failed round(s) in a row (limit 2)"
    assert tally(Budget(), [INCONCLUSIVE]).counted == [FAILURE]
    assert tally(Budget(inconclusive_as="ignore"), [INCONCLUSIVE]).counted == ["ignored"]
    with pytest.raises(ValueError):
        Budget(max_failures=0)
    with pytest.raises(ValueError):
        Budget(inconclusive_as="maybe")


def test_textfile_is_valid_exposition_and_replaced_whole(tmp_path: Path) -> None:
    path = metrics.textfile_path(tmp_path, "prod eu")
    assert path.name == "gateproof_watch_prod_eu.prom"
    state = {**metrics.idle_state('we"ird'), "running": 1, "red": 1, "rounds": 3,
             "last_verdict": "RED", "items": {"SMK-03": "failed", "SMK-01": "passed"}}  # fmt: skip
    metrics.write_textfile(path, state)
    text = path.read_text(encoding="utf-8")
    assert 'gateproof_watch_red{deployment="we\\"ird"} 1' in text
    assert 'gateproof_watch_round_verdict{deployment="we\\"ird",verdict="RED"} 1' in text
    assert 'gateproof_watch_round_verdict{deployment="we\\"ird",verdict="GREEN"} 0' in text
    assert 'item="SMK-03",outcome="failed"} 1' in text
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind
    # promtool (installed with Prometheus) reads it as the exporter would
    done = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                          capture_output=True, check=False)  # fmt: skip
    assert "error" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr


def _round(n: int, verdict: str, outcomes: dict[str, str]) -> dict[str, Any]:
    return {"number": n, "dir": f"round-{n:03d}", "started": "t", "duration_s": 2.0,
            "exit_code": 0, "verdict": verdict, "verdict_reason": "r", "counted_as": "success",
            "failed_items": {i: "why" for i, o in outcomes.items() if o == "failed"},
            "outcomes": outcomes, "config_version": "v1", "deployed_sha256": "ab" * 32}  # fmt: skip


def test_summary_has_a_column_per_round_and_only_items_in_scope() -> None:
    data = {
        "deployment": "prod", "verdict": "RED", "verdict_reason": "failure budget exhausted",
        "marker": "smoke", "interval_s": 5.0, "planned": "2 round(s)", "started": "s",
        "finished": "f", "budget": {"described": "red after 1"},
        "tally": {"failures": 1, "inconclusive": 0},
        "rounds": [_round(1, "GREEN", {"SMK-03": "passed", "PRE-CFG-01": "out_of_scope"}),
                   _round(2, "RED", {"SMK-03": "failed", "PRE-CFG-01": "out_of_scope"})],
        "rollback": {"outcome": "not rolled back", "reason": "no floor"},
    }  # fmt: skip
    text = render_md(data)
    assert text.startswith("# Watch of prod: RED\n")
    assert "| SMK-03 | ok | FAIL |" in text
    assert "PRE-CFG-01" not in text
    assert "| 2 | t | 2 | RED | success | v1 | abababababab | SMK-03 |" in text
    assert "- outcome: not rolled back" in text


def _history(tmp_path: Path, versions: list[bytes]) -> tuple[Path, list[str]]:
    """A config dir whose history keeps each of ``versions`` (oldest first)."""
    config = tmp_path / "config"
    hist = History(config)
    names = []
    for i, data in enumerate(versions):
        name = f"2026010{i + 1}T000000Z"
        hist.commit(config / "litellm-unified.yaml", data, name, "generate", None)
        names.append(name)
    return config, names


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_rollback_goes_to_the_last_green_version_and_never_past_it(tmp_path: Path) -> None:
    old, good, bad = b"old\n", b"good\n", b"bad\n"
    config, (v_old, v_good, _v_bad) = _history(tmp_path, [old, good, bad])
    deployed = tmp_path / "deployed.yaml"
    deployed.write_bytes(bad)
    chosen = plan(config, deployed, _sha(good), LAST_GREEN)
    assert chosen.version == v_good
    refused = plan(config, deployed, _sha(good), v_old)
    assert refused.version is None and "past it" in refused.reason
    # the deployed config is the last green one: the fault is elsewhere, nothing to roll back
    deployed.write_bytes(good)
    same = plan(config, deployed, _sha(good), LAST_GREEN)
    assert same.version is None and "not in the config" in same.reason
    # no version passed its gate: no floor, no rollback
    assert plan(config, deployed, None, LAST_GREEN).version is None
    # the last green bytes were never kept: cannot roll back to them
    deployed.write_bytes(bad)
    assert plan(config, deployed, _sha(b"other\n"), LAST_GREEN).version is None


def test_init_textfile_writes_the_idle_state_once(tmp_path: Path) -> None:
    from gateproof.cli import main

    settings = tmp_path / "gateproof.yaml"
    settings.write_text("deployment: {name: prod, environment: production}\n", encoding="utf-8")
    argv = ["watch", "--gateproof-config", str(settings), "--init-textfile",
            "--textfile-dir", str(tmp_path / "tf")]  # fmt: skip
    assert main(argv) == 0
    path = tmp_path / "tf" / "gateproof_watch_prod.prom"
    assert 'gateproof_watch_red{deployment="prod"} 0' in path.read_text(encoding="utf-8")
    path.write_text("# a running watch's file\n", encoding="utf-8")
    assert main(argv) == 0
    assert path.read_text(encoding="utf-8") == "# a running watch's file\n"  # not overwritten
    assert main(argv[:-2]) == 2  # no directory given
    assert main(["watch", "--gateproof-config", str(settings)]) == 2  # no --record


def test_last_green_record_gives_the_floor_only_when_it_passed(tmp_path: Path) -> None:
    import json

    from gateproof.watch.rollback import FloorError, floor_from

    record = tmp_path / "record.json"
    deployment = {"deployed_sha256": "ab" * 32, "generated_sha256": "cd" * 32}
    record.write_text(json.dumps({"verdict": "GREEN", "deployment": deployment}))
    assert floor_from(tmp_path) == "ab" * 32  # what was live, not only what was generated
    record.write_text(json.dumps({"verdict": "RED", "deployment": deployment}))
    with pytest.raises(FloorError, match="its verdict is RED, not a passing gate"):
        floor_from(tmp_path)
    with pytest.raises(FloorError, match=r"no readable record\.json"):
        floor_from(tmp_path / "missing")
