"""PST-05's latency picture from the run record to the release HTML: a pytest run under xdist
writes ``latency.svg`` beside its record.json and names it there; a release joining that
postdeploy record embeds the picture inline (sanitised) with the run it came from, and says so
when no joined record has one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from release_records import all_green, phase_record, run_release

from gateproof.latency_picture import sanitise_svg

SIGNED = ("--deployer", "d.eployer", "--verifier", "v.erifier")
# What a hostile or broken picture could carry: none of it may reach the release HTML.
SVG = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD">\n'
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<defs><path id="p" d="M0 0L1 1"/></defs><script>alert(\'svg\')</script>'
    '<a xlink:href="https://evil.example/x"><rect onload="steal()" width="1" height="1"/></a>'
    '<use xlink:href="#p"/><image href="http://evil.example/i.png"/>'
    '<rect style="fill:url(https://evil.example/f)"/><text>warm-up p95 0.042 s</text></svg>\n'
)
INNER_TEST = f"""
import pytest
from gateproof.latency_picture import SVG_KEY

@pytest.mark.postdeploy
@pytest.mark.checklist("PST-05")
def test_latency_percentiles(request):
    request.node.stash[SVG_KEY] = {SVG!r}
"""


@pytest.fixture(autouse=True)
def _no_signoff_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEPROOF_SIGNOFF_DEPLOYER", raising=False)
    monkeypatch.delenv("GATEPROOF_SIGNOFF_VERIFIER", raising=False)


def _recorded_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A postdeploy run on two xdist workers, as gateproof writes its record."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-o gateproof=true -o gateproof_suite_dirs=tests")
    pytester.makepyfile(**{"tests/test_pd": INNER_TEST})
    result = pytester.runpytest_subprocess(
        "tests", "-n", "2", "-m", "postdeploy", "--gateproof-record", "rec",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    record_dir = pytester.path / "rec"
    assert (record_dir / "record.json").is_file(), result.stdout.str()[-2000:]
    return record_dir


def test_the_run_record_keeps_the_picture_and_the_release_embeds_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    written = _recorded_run(pytester, monkeypatch)
    record = json.loads((written / "record.json").read_text(encoding="utf-8"))
    block = record["latency_picture"]
    assert block == {"file": "latency.svg", "test": "tests/test_pd.py::test_latency_percentiles"}
    assert (written / "latency.svg").read_text(encoding="utf-8") == SVG  # as drawn
    # The real block and file, in a postdeploy record of a joinable release.
    release = tmp_path / "release"
    all_green(release)
    postdeploy = release / "3-postdeploy"
    data: dict[str, Any] = json.loads((postdeploy / "record.json").read_text(encoding="utf-8"))
    data["latency_picture"] = block
    (postdeploy / "record.json").write_text(json.dumps(data), encoding="utf-8")
    shutil.copy(written / "latency.svg", postdeploy / "latency.svg")
    assert run_release(str(release), *SIGNED) == 0
    html = (release / "report.html").read_text(encoding="utf-8")
    latency = html[html.index("<h2>Latency</h2>") : html.index("<h2>Sign-off</h2>")]
    assert "<svg " in latency and "warm-up p95 0.042 s" in latency
    assert f"from the postdeploy run started {data['started'][:16]}" in latency
    assert str(postdeploy) in latency and "test_latency_percentiles" in latency
    for banned in ("<script", "alert(", "evil.example", "onload", "<?xml", "<!DOCTYPE svg"):
        assert banned not in html, banned
    assert 'xlink:href="#p"' in latency  # a reference inside the picture stays
    kept = json.loads((release / "record.json").read_text(encoding="utf-8"))["latency_picture"]
    assert kept["file"] == str(postdeploy / "latency.svg") and kept["source"] == str(postdeploy)


def test_without_a_picture_the_release_says_so(tmp_path: Path) -> None:
    all_green(tmp_path)
    assert run_release(str(tmp_path), *SIGNED) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "No latency picture in the joined records (the record names no latency picture)" in html
    assert "<svg" not in html


def test_a_picture_outside_the_record_directory_is_not_read(tmp_path: Path) -> None:
    all_green(tmp_path)
    (tmp_path / "outside.svg").write_text(SVG, encoding="utf-8")
    postdeploy = tmp_path / "3-postdeploy"
    data = json.loads((postdeploy / "record.json").read_text(encoding="utf-8"))
    data["latency_picture"] = {"file": "../outside.svg", "test": "t"}
    (postdeploy / "record.json").write_text(json.dumps(data), encoding="utf-8")
    assert run_release(str(tmp_path), *SIGNED) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" not in html and "is not a file beside it" in html


def test_the_latest_postdeploy_run_gives_the_picture(tmp_path: Path) -> None:
    all_green(tmp_path)
    later = phase_record(tmp_path / "5-postdeploy", ("postdeploy",), start=40)
    for directory, text in ((tmp_path / "3-postdeploy", "first"), (later, "second")):
        data = json.loads((directory / "record.json").read_text(encoding="utf-8"))
        data["latency_picture"] = {"file": "latency.svg", "test": "t"}
        (directory / "record.json").write_text(json.dumps(data), encoding="utf-8")
        (directory / "latency.svg").write_text(f"<svg><text>{text}</text></svg>", "utf-8")
    assert run_release(str(tmp_path), *SIGNED) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<text>second</text>" in html and "<text>first</text>" not in html


def test_sanitising_keeps_a_plain_picture_whole() -> None:
    plain = '<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><rect width="2"/></g></svg>'
    assert sanitise_svg(plain) == plain
    assert sanitise_svg("<html>no picture</html>") == ""
