"""Joining phase records into the release record: the verdict over the whole release, and the
records it refuses (another deployment, another config version, a phase run before the deploy
it follows)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from release_records import all_green, phase_record, read, rollback_record, run_release

SIGNED = ("--deployer", "d.eployer", "--verifier", "v.erifier")


@pytest.fixture(autouse=True)
def _no_signoff_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEPROOF_SIGNOFF_DEPLOYER", raising=False)
    monkeypatch.delenv("GATEPROOF_SIGNOFF_VERIFIER", raising=False)


def test_green_phase_records_make_a_green_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    all_green(tmp_path)
    assert run_release(str(tmp_path), *SIGNED) == 0
    record = read(tmp_path)
    assert record["verdict"] == "GREEN", record["verdict_reason"]
    assert record["scope"]["phases"] == ["predeploy", "smoke", "postdeploy", "monitoring"]
    assert record["items"]["DOC-01"]["outcome"] == "passed"
    assert record["items"]["REL-01"]["outcome"] == "passed"
    rbk = record["items"]["RBK-01"]
    assert rbk["outcome"] == "out_of_scope"
    assert "no rollback in this release" in rbk["reason"] and "PRE-TST-04 (passed)" in rbk["reason"]
    assert [r["decides"] for r in record["release"]["records"]] == [True] * 4
    checklist = (tmp_path / "checklist.md").read_text(encoding="utf-8")
    assert "Verdict: **GREEN**" in checklist and "☒ Yes" in checklist
    assert "Deployment completed by: d.eployer" in checklist
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.index("VERDICT: GREEN") < html.index("Phases, in the order they ran")
    assert f'data-gateproof-release="{record["release"]["id"]}"' in html
    assert "VERDICT: GREEN" in capsys.readouterr().out


def test_the_html_is_self_contained_and_escapes_what_it_shows(tmp_path: Path) -> None:
    all_green(tmp_path)
    evil = "<script>alert(1)</script> & <img src=x>"
    phase_record(
        tmp_path / "2-smoke", ("smoke",), start=6, outcomes={"SMK-05": ("failed", evil)},
        verdict="RED",
    )  # fmt: skip
    assert run_release(str(tmp_path), *SIGNED) == 1
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x&gt;" in html
    # nothing fetched from anywhere: no external resource, no link out
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html


def test_a_red_phase_makes_the_release_red(tmp_path: Path) -> None:
    all_green(tmp_path)
    phase_record(
        tmp_path / "3-postdeploy", ("postdeploy",), start=20, verdict="RED",
        outcomes={"PST-07": ("failed", "error rate 4.2% above the 1% limit")},
    )  # fmt: skip
    assert run_release(str(tmp_path), *SIGNED) == 1
    record = read(tmp_path)
    assert record["verdict"] == "RED"
    assert record["verdict_reason"] == "1 item(s) failed or could not be checked: PST-07"
    assert "error rate 4.2% above the 1% limit" in (tmp_path / "report.html").read_text()


def test_the_latest_run_of_a_phase_decides_and_earlier_ones_are_shown(tmp_path: Path) -> None:
    all_green(tmp_path)
    phase_record(
        tmp_path / "2a-smoke", ("smoke",), start=7, verdict="RED",
        outcomes={"SMK-01": ("failed", "503 from /health/readiness")},
    )  # fmt: skip
    phase_record(tmp_path / "2b-smoke", ("smoke",), start=9)
    assert run_release(str(tmp_path), *SIGNED) == 0
    runs = read(tmp_path)["release"]["records"]
    smoke = [(r["path"].rsplit("/", 1)[1], r["verdict"], r["decides"]) for r in runs]
    assert ("2a-smoke", "RED", False) in smoke and ("2b-smoke", "GREEN", True) in smoke
    assert "superseded" in (tmp_path / "checklist.md").read_text()


def test_a_missing_phase_leaves_the_release_incomplete(tmp_path: Path) -> None:
    phase_record(tmp_path / "1-predeploy", ("predeploy",), start=0)
    phase_record(tmp_path / "2-smoke", ("smoke",), start=6)
    assert run_release(str(tmp_path), *SIGNED) == 1
    record = read(tmp_path)
    assert record["verdict"] == "INCOMPLETE"
    assert record["items"]["PST-05"]["reason"] == "no postdeploy record joined"
    # narrowed on purpose, the same records are a whole release
    assert run_release(str(tmp_path), *SIGNED, "--phases", "predeploy,smoke") == 0
    assert read(tmp_path)["items"]["PST-05"]["outcome"] == "out_of_scope"


def test_a_release_without_smoke_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    all_green(tmp_path)
    assert run_release(str(tmp_path), "--phases", "predeploy,postdeploy") == 2
    assert "a release needs at least predeploy and smoke" in capsys.readouterr().err


def test_a_missing_signature_leaves_doc01_not_run(tmp_path: Path) -> None:
    all_green(tmp_path)
    assert run_release(str(tmp_path), "--deployer", "d.eployer") == 1
    record = read(tmp_path)
    assert record["verdict"] == "INCOMPLETE"
    assert record["items"]["DOC-01"]["outcome"] == "not_run"
    assert record["items"]["DOC-01"]["reason"] == "sign-off missing: verifier"


def test_a_record_of_another_deployment_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    all_green(tmp_path)
    other = {"name": "gw-prod", "environment": "staging", "gateway_url": "http://gw-stg:4000"}
    phase_record(tmp_path / "3-postdeploy", ("postdeploy",), start=20, identity=other)
    assert run_release(str(tmp_path), *SIGNED) == 2
    err = capsys.readouterr().err
    assert "release refused" in err
    assert (
        f"postdeploy record {tmp_path / '3-postdeploy'} is of another deployment: 'gw-prod' "
        "(staging, http://gw-stg:4000), not 'gw-prod' (production, http://gw:4000)"
    ) in err
    assert "(differs in environment, gateway_url)" in err
    assert not (tmp_path / "record.json").exists()  # a refused join writes nothing


def test_a_record_of_another_config_version_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    all_green(tmp_path)
    phase_record(tmp_path / "2-smoke", ("smoke",), start=6, version="20261120T080000Z")
    assert run_release(str(tmp_path), *SIGNED) == 2
    err = capsys.readouterr().err
    assert (
        f"smoke record {tmp_path / '2-smoke'} is of another config version: 20261120T080000Z, "
        "while the release is on 20261127T095500Z"
    ) in err


def test_a_phase_older_than_the_deploy_it_follows_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    all_green(tmp_path)
    # monitoring saw the config deployed at minute 25: the smoke run of minute 6 came before it
    phase_record(tmp_path / "4-monitoring", ("monitoring",), start=30, deployed=25)
    assert run_release(str(tmp_path), *SIGNED) == 2
    err = capsys.readouterr().err
    assert (
        f"smoke record {tmp_path / '2-smoke'} started at 2026-11-27T10:06:00+00:00, before the "
        "deploy of config 20261127T095500Z at 2026-11-27T10:25:00+00:00 that smoke follows"
    ) in err
    assert "postdeploy record" in err  # minute 20: also before it


def test_a_rollback_verified_by_smoke_passes_rbk01(tmp_path: Path) -> None:
    phase_record(tmp_path / "1-predeploy", ("predeploy",), start=0, version="V2")
    phase_record(
        tmp_path / "2-smoke", ("smoke",), start=6, version="V2", verdict="RED",
        outcomes={"SMK-03": ("failed", "provider vllm refused")},
    )  # fmt: skip
    rollback_record(tmp_path / "3-rollback", at_min=8, to="V1", previous="V2")
    phase_record(tmp_path / "4-smoke", ("smoke",), start=10, version="V1", deployed=8)
    assert run_release(str(tmp_path), *SIGNED, "--phases", "predeploy,smoke") == 1
    record = read(tmp_path)
    assert record["items"]["RBK-01"]["outcome"] == "passed"
    assert "rolled back from config V2 to V1" in record["items"]["RBK-01"]["reason"]
    assert record["release"]["rollbacks"][0]["verified_by"] == str(tmp_path / "4-smoke")
    # predeploy ran on V2, the release ends on V1: it has to run again
    assert record["verdict"] == "INCOMPLETE"
    assert "ran on config V2, the release ends on V1" in record["items"]["PRE-CFG-01"]["reason"]


def test_a_rollback_without_smoke_after_it_is_not_verified(tmp_path: Path) -> None:
    all_green(tmp_path)
    rollback_record(tmp_path / "5-rollback", at_min=40, to="V0", previous="20261127T095500Z")
    assert run_release(str(tmp_path), *SIGNED) == 1
    rbk = read(tmp_path)["items"]["RBK-01"]
    assert rbk["outcome"] == "not_run"
    assert rbk["reason"].endswith("no smoke run after it on V0 verifies it")


def test_a_refused_rollback_fails_rbk01(tmp_path: Path) -> None:
    all_green(tmp_path)
    rollback_record(
        tmp_path / "5-rollback", at_min=40, to="V0", previous="20261127T095500Z", outcome="refused"
    )
    assert run_release(str(tmp_path), *SIGNED) == 1
    record = read(tmp_path)
    assert record["verdict"] == "RED"
    assert record["items"]["RBK-01"]["outcome"] == "failed"
    assert "failed: unknown version" in record["items"]["RBK-01"]["reason"]


def test_a_waiver_expired_by_the_day_of_the_release_makes_it_red(tmp_path: Path) -> None:
    all_green(tmp_path)
    waiver = {"id": "SMK-06", "reason": "mock fallbacks", "approver": "j.doe",
              "expires": "2026-11-01", "where": "config/waivers.yaml:2"}  # fmt: skip
    outcomes = {"SMK-06": ("waived", "waived: mock fallbacks")}
    phase_record(tmp_path / "2-smoke", ("smoke",), start=6, outcomes=outcomes, waivers=[waiver])
    assert run_release(str(tmp_path), *SIGNED) == 1
    record = read(tmp_path)
    assert record["verdict"] == "RED"
    assert "waiver SMK-06 (approved by j.doe) expired on 2026-11-01" in record["verdict_reason"]


def test_one_record_directory_needs_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    smoke = phase_record(tmp_path / "2-smoke", ("smoke",), start=6)
    assert run_release(str(smoke)) == 2
    assert "give --out DIR" in capsys.readouterr().err
    phase_record(tmp_path / "1-predeploy", ("predeploy",), start=0)
    out = tmp_path / "release"
    code = run_release("--out", str(out), str(tmp_path / "1-predeploy"), str(smoke), *SIGNED)
    assert code == 1  # postdeploy and monitoring not joined
    assert [Path(r["path"]).name for r in read(out)["release"]["records"]] == [
        "1-predeploy", "2-smoke",
    ]  # fmt: skip
