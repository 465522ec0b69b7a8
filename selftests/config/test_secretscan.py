"""PRE-SEC-05's history scan on throwaway git repositories: true and false positives.

The secrets are made up at run time (random), so this file holds none itself."""

from __future__ import annotations

import random
import string
import subprocess
from pathlib import Path

import pytest

from gateproof.errors import ProbeError
from gateproof.secretscan import mask, scan_history


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


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    _commit(tmp_path, {"README.md": "hello\n"}, "start")
    return tmp_path


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
