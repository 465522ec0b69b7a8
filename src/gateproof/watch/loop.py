"""The watch loop: rounds every interval until the duration ends, the budget is exhausted or
the watch is stopped; then one verdict, the record, the metrics and (opt-in) the rollback."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from gateproof.errors import GateproofError
from gateproof.record import VERDICT_TEXT
from gateproof.watch import metrics
from gateproof.watch import record as rec
from gateproof.watch import rollback as rb
from gateproof.watch.budget import SUCCESS, Budget, Tally, classify
from gateproof.watch.rounds import RoundResult, RoundSpec, is_repository, run_round


class WatchError(GateproofError):
    """The watch cannot start; the message says which option or file."""


class _Stop(Exception):
    """SIGTERM: end the watch as Ctrl-C does."""


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


@dataclass
class Watch:
    spec: RoundSpec
    budget: Budget
    out: Path
    interval_s: float
    duration_s: float | None
    rounds_max: int | None
    deployment: str
    config_dir: Path
    deployed: Path | None
    textfile: Path | None
    rollback_to: str | None
    restart_cmd: str | None
    floor_sha: str | None  # sha256 of the last config that passed its gate (before the watch)
    say: Any = print
    results: list[RoundResult] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: argparse.Namespace, budget: Budget) -> Watch:
        from gateproof.scaffold.shipped import suite_dir
        from gateproof.settings_loader import load_settings

        settings_file = Path(args.settings).resolve()
        try:
            settings = load_settings(
                settings_file, explicit=True, env=os.environ, cli={}, base_dir=Path.cwd()
            )
        except Exception as exc:  # the loader's own message names the key and the file
            raise WatchError(f"settings {settings_file}: {exc}") from None
        textdir = args.textfile_dir
        if textdir is None and (settings_file.parent / "textfile").is_dir():
            textdir = settings_file.parent / "textfile"
        floor = None
        if args.last_green is not None:
            try:
                floor = rb.floor_from(Path(args.last_green))
            except rb.FloorError as exc:
                raise WatchError(str(exc)) from None
        paths = tuple(args.tests) if args.tests else (str(suite_dir()),)
        extra = tuple(a for a in args.pytest_args if a != "--")
        spec = RoundSpec(args.marker, settings_file, paths, Path.cwd(), extra, args.round_timeout,
                         repo=not args.tests and is_repository(Path.cwd()))  # fmt: skip
        deployed = getattr(settings.gateway, "deployed_config", None)
        name = settings.deployment.name
        return cls(
            spec,
            budget,
            Path(args.record).resolve(),
            args.interval,
            args.duration,
            args.rounds,
            name,
            Path(settings.config_dir),
            Path(deployed) if deployed else None,
            metrics.textfile_path(Path(textdir), name) if textdir else None,
            args.rollback_to,
            args.restart_cmd,
            floor,
        )

    # --- the loop ---

    def _env(self) -> dict[str, str]:
        # a round is a pytest of its own: no outer xdist worker or record directory leaks in
        drop = (
            "PYTEST_XDIST_WORKER",
            "PYTEST_XDIST_WORKER_COUNT",
            "GATEPROOF_RECORD",
            "PYTEST_CURRENT_TEST",
        )
        return {k: v for k, v in os.environ.items() if k not in drop}

    def _planned(self) -> str:
        if self.rounds_max is not None:
            return f"{self.rounds_max} round(s)"
        if self.duration_s is not None:
            return f"for {self.duration_s:g} s"
        return "until stopped"

    def run(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        tally = Tally(self.budget)
        started_iso, began = rec.now_iso(), time.monotonic()
        stopped = False
        old = signal.signal(signal.SIGTERM, _on_term)
        self.say(
            f"watching {self.deployment}: -m {self.spec.marker} every {self.interval_s:g} s, "
            f"{self._planned()}; {self.budget.describe()}"
        )
        try:
            while not tally.exhausted and not self._done(began):
                number = len(self.results) + 1
                at = time.monotonic()
                self._publish(tally, running=True)
                result = run_round(self.spec, number, self.out / f"round-{number:03d}", self._env())
                self.results.append(result)
                counted = tally.add(classify(result.verdict))
                self.say(
                    f"round {number}: {result.verdict or 'no record'} "
                    f"({result.duration_s:.1f} s) counted as {counted}"
                    + (f": {result.error}" if result.error else "")
                )
                self._publish(tally, running=True)
                self._save(tally, started_iso, None, None)
                if tally.exhausted or self._done(began):
                    break
                self._sleep_until(at + self.interval_s, began)
        except (KeyboardInterrupt, _Stop):
            stopped = True
            self.say("watch stopped")
        finally:
            signal.signal(signal.SIGTERM, old)
        verdict, reason = self._decide(tally, began, stopped)
        rollback = self._rollback() if verdict == "RED" and self.rollback_to else None
        data = self._save(tally, started_iso, (verdict, reason), rollback)
        self._publish(tally, running=False)
        self.say(f"watch verdict: {VERDICT_TEXT.get(verdict, verdict)}: {reason}")
        self.say(f"record: {self.out / rec.WATCH_JSON}  summary: {self.out / rec.WATCH_MD}")
        return data

    def _done(self, began: float) -> bool:
        if self.rounds_max is not None:
            return len(self.results) >= self.rounds_max
        return self.duration_s is not None and time.monotonic() - began >= self.duration_s

    def _sleep_until(self, when: float, began: float) -> None:
        end = when
        if self.duration_s is not None:
            end = min(end, began + self.duration_s)
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 1.0))

    def _decide(self, tally: Tally, began: float, stopped: bool) -> tuple[str, str]:
        ran = len(self.results)
        if tally.exhausted:
            return "RED", f"failure budget exhausted: {tally.why_red()} after {ran} round(s)"
        if ran == 0 or tally.successes == 0:
            return "INCOMPLETE", f"no round passed ({ran} run): nothing was verified"
        if tally.counted[-1] != SUCCESS:
            return "INCOMPLETE", (
                f"the last round counted as {tally.counted[-1]}: the watch "
                "ended before the budget could decide"
            )
        if stopped and (self.duration_s or self.rounds_max) and not self._done(began):
            watched = time.monotonic() - began
            return "INCOMPLETE", f"stopped after {watched:.0f} s, before {self._planned()} ended"
        within = f"; {tally.failures} failed round(s) within the budget" if tally.failures else ""
        waived = any(r.verdict == "GREEN_WITH_WAIVERS" for r in self.results)
        verdict = "GREEN_WITH_WAIVERS" if waived else "GREEN"
        return verdict, f"{ran} round(s), {tally.successes} passed{within}"

    # --- outputs ---

    def _publish(self, tally: Tally, running: bool) -> None:
        if self.textfile is None:
            return
        last = self.results[-1] if self.results else None
        items = {}
        if last is not None and last.record is not None:
            every = (last.record.get("items") or {}).items()
            items = {i: v.get("outcome") for i, v in every if v.get("outcome") != "out_of_scope"}
        state = {
            "deployment": self.deployment,
            "running": 1 if running else 0,
            "red": 1 if tally.exhausted else 0,
            "rounds": len(self.results),
            "failures": tally.failures,
            "consecutive": tally.consecutive,
            "last_verdict": (last.verdict or "NONE") if last else None,
            "last_round_at": (last.started + last.duration_s) if last else 0,
            "items": items,
        }
        try:
            metrics.write_textfile(self.textfile, state)
        except OSError as exc:  # metrics are a view; the watch and its record go on
            self.say(f"could not write metrics to {self.textfile}: {exc}")

    def _save(
        self,
        tally: Tally,
        started: str,
        decided: tuple[str, str] | None,
        rollback: dict[str, Any] | None,
    ) -> dict[str, Any]:
        verdict, reason = decided or ("RUNNING", "the watch is running")
        data = {
            "kind": "watch",
            "verdict": verdict,
            "verdict_reason": reason,
            "deployment": self.deployment,
            "started": started,
            "finished": rec.now_iso() if decided else None,
            "marker": self.spec.marker,
            "settings": str(self.spec.settings),
            "interval_s": self.interval_s,
            "planned": self._planned(),
            "budget": {
                "max_failures": self.budget.max_failures,
                "max_consecutive": self.budget.max_consecutive,
                "inconclusive_as": self.budget.inconclusive_as,
                "described": self.budget.describe(),
            },
            "tally": {
                "successes": tally.successes,
                "failures": tally.failures,
                "inconclusive": tally.inconclusive,
                "consecutive": tally.consecutive,
            },
            "rounds": [
                rec.round_entry(r, c, self.out)
                for r, c in zip(self.results, tally.counted, strict=True)
            ],
            "metrics_textfile": str(self.textfile) if self.textfile else None,
            "rollback": rollback,
        }
        rec.write(self.out, data)
        return data

    # --- rollback ---

    def _last_green_sha(self) -> str | None:
        for result in reversed(self.results):
            if result.record is not None and classify(result.verdict) == SUCCESS:
                sha = rb.green_sha(result.record)
                if sha:
                    return sha
        return self.floor_sha

    def _rollback(self) -> dict[str, Any]:
        assert self.rollback_to is not None and self.restart_cmd is not None
        chosen = rb.plan(self.config_dir, self.deployed, self._last_green_sha(), self.rollback_to)
        out: dict[str, Any] = {
            "requested": self.rollback_to,
            "reason": chosen.reason,
            "version": chosen.version,
        }
        if chosen.version is None:
            self.say(f"no rollback: {chosen.reason}")
            return {**out, "outcome": "not rolled back"}
        self.say(f"rolling back to {chosen.version}: {chosen.reason}")
        done, said = rb.restore(chosen.version, self.spec.settings, self.out / "rollback")
        out.update(record=str(self.out / "rollback"), said=said)
        if not done:
            return {**out, "outcome": "rollback refused"}
        ok, restart = rb.restart(self.restart_cmd, self.spec.cwd)
        out["restart"] = restart
        if not ok:
            return {**out, "outcome": "restored, restart failed"}
        smoke = dataclasses.replace(self.spec, marker="smoke")  # the rounds' arguments, smoke
        check = run_round(smoke, 0, self.out / "rollback-smoke", self._env())
        self.say(f"smoke after the rollback: {check.verdict or check.error}")
        verified = classify(check.verdict) == SUCCESS
        return {
            **out,
            "outcome": "rolled back and verified" if verified else "rolled back, smoke not green",
            "smoke_verdict": check.verdict,
            "smoke_reason": (check.record or {}).get("verdict_reason") or check.error,
            "smoke_record": str(check.directory),
        }
