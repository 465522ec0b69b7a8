"""PRE-SEC-05's history scan on throwaway git repositories: true and false positives.

The secrets are made up at run time (random), so this file holds none itself."""

from __future__ import annotations

import json
import random
import string
import subprocess
from pathlib import Path

import pytest

from gateproof.errors import ProbeError
from gateproof.secretscan import BlobCache, mask, scan_history, scan_history_detailed


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def _aws_key(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own blob cache, never the user's."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def _cache_file(cache_home: Path) -> Path:
    return BlobCache(cache_home / "gateproof" / "secretscan").path  # type: ignore[return-value]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A throwaway repository beside (not around) the test's cache."""
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    _commit(path, {"README.md": "hello\n"}, "start")
    return path


def test_a_secret_added_then_removed_is_still_found(repo: Path) -> None:
    key = _aws_key(random.Random(7))
    added = _commit(repo, {"config/providers.yaml": f"x: 1\naws_access_key_id: {key}\n"}, "oops")
    _commit(repo, {"config/providers.yaml": "x: 1\n"}, "remove it")
    _commit(repo, {"other.txt": "unrelated\n"}, "later")

    findings = scan_history(repo)

    assert len(findings) >= 1
    finding = next(f for f in findings if f.kind == "AWS Access Key")
    assert (finding.commit, finding.file, finding.line) == (added, "config/providers.yaml", 2)
    assert key not in str(finding) and key[:2] + "***" in finding.masked


def test_secret_on_a_side_branch_is_found(repo: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "side")
    token = "".join(
        random.Random(3).choice(string.ascii_letters + string.digits) for _ in range(32)
    )
    _commit(repo, {"app.py": f'password = "{token}"\n'}, "side")
    _git(repo, "checkout", "-q", "main")
    kinds = {f.kind for f in scan_history(repo)}
    assert "Secret Keyword" in kinds


def test_references_placeholders_and_allowlisted_lines_are_not_secrets(repo: Path) -> None:
    token = "".join(
        random.Random(5).choice(string.ascii_letters + string.digits) for _ in range(32)
    )
    _commit(
        repo,
        {
            "config/litellm.yaml": (
                "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n"
                "litellm_settings:\n  cache_params:\n    password: os.environ/REDIS_PASSWORD\n"
                "model_list:\n  - litellm_params:\n      api_key: no-key-required\n"
            ),
            "client.py": 'client = OpenAI(api_key="unused")\n',
            "fixture.yaml": f"api_key: {token}  # pragma: allowlist secret\n",
            "test_env.py": 'env = make_env(redis_password="pw", master_key="k")\n',
            "typo.yaml": "api_key: os.environ.OPENAI_API_KEY\npassword: ${REDIS_PASSWORD}\n",
        },
        "clean",
    )
    assert scan_history(repo) == []


def test_not_a_repository_is_could_not_check(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="git log failed"):
        scan_history(tmp_path)


def test_mask_hides_short_values_entirely() -> None:
    assert mask("abc") == "***, 3 chars"
    assert mask("sk-abcdefghijklmnop") == "sk***, 19 chars"


def test_a_second_run_scans_no_blob_and_still_finds_the_secret(
    repo: Path, cache_home: Path
) -> None:
    key = _aws_key(random.Random(11))
    added = _commit(repo, {"deploy.env": f"AWS_ACCESS_KEY_ID={key}\n"}, "oops")
    _commit(repo, {"deploy.env": "AWS_ACCESS_KEY_ID=os.environ/AWS_KEY\n"}, "fix")

    cold = scan_history_detailed(repo)
    warm = scan_history_detailed(repo)

    assert cold.scanned == cold.blobs == 3
    assert warm.scanned == 0 and warm.blobs == 3
    assert warm.findings == cold.findings
    assert [(f.commit, f.file, f.line) for f in warm.findings] == [(added, "deploy.env", 1)]
    stored = _cache_file(cache_home).read_text()
    assert key not in stored and key[2:] not in stored, "the cache must not hold the value"


def test_only_new_blobs_are_scanned_after_a_commit(repo: Path) -> None:
    scan_history_detailed(repo)
    _commit(repo, {"a.txt": "one\n", "b.txt": "two\n"}, "more")
    assert scan_history_detailed(repo).scanned == 2


def test_a_corrupt_cache_is_ignored_and_rebuilt(repo: Path, cache_home: Path) -> None:
    key = _aws_key(random.Random(13))
    _commit(repo, {"creds.txt": f"aws_access_key_id = {key}\n"}, "oops")
    scan_history_detailed(repo)
    cache = _cache_file(cache_home)
    for damage in ("{not json", '{"blobs": {"x": 1}}', '{"blobs": []}', "[]"):
        cache.write_text(damage)
        again = scan_history_detailed(repo)
        assert again.scanned == again.blobs, f"cache {damage!r} was trusted"
        assert any(f.kind == "AWS Access Key" for f in again.findings)
    assert scan_history_detailed(repo).scanned == 0, "the rebuilt cache was not written"


def test_a_malformed_cache_entry_is_rescanned(repo: Path, cache_home: Path) -> None:
    scan_history_detailed(repo)
    cache = _cache_file(cache_home)
    data = json.loads(cache.read_text())
    blob = next(iter(data["blobs"]))
    data["blobs"][blob] = [["not", "a", "hit"]]
    cache.write_text(json.dumps(data))
    assert scan_history_detailed(repo).scanned == 1


def test_digests_in_records_and_manifests_are_not_secrets(repo: Path) -> None:
    rng = random.Random(17)
    digest = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    signing = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    _commit(
        repo,
        {
            "config/.litellm-history/versions.json": f'{{"sha256": "{digest}"}}\n',
            "backups/b/manifest.json": f'{{"files": [{{"sha256": "{digest[::-1]}"}}]}}\n',
            "signing.json": f'{{"signing": "{signing}"}}\n',
        },
        "records",
    )
    files = {f.file for f in scan_history(repo)}
    assert files == {"signing.json"}


def test_a_detect_secrets_baseline_is_honoured_and_never_scanned(repo: Path) -> None:
    rng = random.Random(11)
    key = _aws_key(rng)
    _commit(repo, {"deploy/env.yaml": f"aws_access_key_id: {key}\n"}, "audited test key")
    (finding,) = scan_history(repo)
    assert finding.file == "deploy/env.yaml"
    import hashlib

    hashed = hashlib.sha1(key.encode()).hexdigest()  # what detect-secrets records
    baseline = {"results": {"deploy/env.yaml": [{"type": finding.kind, "hashed_secret": hashed}]}}
    # A baseline is full of hex digests: committed, it must not raise findings of its own.
    _commit(repo, {".secrets.baseline": json.dumps(baseline, indent=2)}, "baseline")
    assert scan_history(repo) == []
    other = _aws_key(rng)
    _commit(repo, {"deploy/other.yaml": f"aws_access_key_id: {other}\n"}, "not audited")
    assert [f.file for f in scan_history(repo)] == ["deploy/other.yaml"]


def test_documented_placeholders_are_not_secrets(repo: Path) -> None:
    doc = (
        "api_key: <your-api-key>\n"
        "password: your_password_here\n"
        "token: ${GITHUB_TOKEN}\n"
        "secret: changeme-in-production\n"
        "api_key: not-needed\n"
    )
    _commit(repo, {"docs/setup.yaml": doc}, "docs")
    assert scan_history(repo) == []
