"""``gateproof scaffold DIR``: write a deployment repository that gateproof gates.

The templates (in ``templates/``) are plain files with ``@@KEY@@`` placeholders: the CI files
hold ``${{ ... }}`` and ``$VAR`` of their own, so no template engine touches them. The reference
Prometheus rules are copied as a start, and the LiteLLM config is generated from the sources,
so the new repository passes its own ``gateproof generate --check`` at once.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from gateproof import __version__
from gateproof.scaffold.shipped import reference_monitoring_dir

TEMPLATES = Path(__file__).resolve().parent / "templates"
# template -> path in the new repository (dotfiles are stored without their dot: package
# data globs skip hidden files)
FILES = {
    "README.md": "README.md",
    "pytest.ini": "pytest.ini",
    "conftest.py": "conftest.py",
    "checks/test_team_checks.py": "checks/test_team_checks.py",
    "requirements-gateproof.txt": "requirements-gateproof.txt",
    "gitignore": ".gitignore",
    "gateproof.yaml": "config/gateproof.yaml",
    "providers.yaml": "config/providers.yaml",
    "model-mappings.yaml": "config/model-mappings.yaml",
    "waivers.yaml": "config/waivers.yaml",
    "github-workflow.yml": ".github/workflows/gateproof.yml",
    "gitlab-ci.yml": ".gitlab-ci.yml",
}
MONITORING = ("prometheus/rules", "prometheus/tests")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ScaffoldError(Exception):
    """The target cannot be written as asked; the message says why and what to do."""


@dataclass
class Scaffolded:
    target: Path
    written: list[Path] = field(default_factory=list)
    git_initialised: bool = False


def check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ScaffoldError(
            f"{target} is not empty; nothing written. Pass --force to write the scaffold's "
            f"files into it (they replace files of the same name; other files stay)"
        )


def render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    left = re.findall(r"@@[A-Z_]+@@", text)
    if left:  # a template/values mismatch is gateproof's bug: never write it out
        raise AssertionError(f"unfilled placeholders {sorted(set(left))}")
    return text


def scaffold(target: Path, name: str, owner: str, force: bool = False) -> Scaffolded:
    """Write the repository into ``target`` (created if missing)."""
    for label, value in (("deployment name", name), ("owner", owner)):
        if not _NAME.match(value):
            option = "--name" if label == "deployment name" else "--owner"
            raise ScaffoldError(
                f"{label} {value!r}: use letters, digits, '.', '_' and '-' (pass {option})"
            )
    check_target(target, force)
    values = {"NAME": name, "OWNER": owner, "VERSION": __version__}
    done = Scaffolded(target)
    for template, relative in FILES.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render((TEMPLATES / template).read_text("utf-8"), values), "utf-8")
        done.written.append(path)
    reference = reference_monitoring_dir()
    for part in MONITORING:
        destination = target / "monitoring" / part
        shutil.copytree(reference / part, destination, dirs_exist_ok=True)
        done.written += sorted(p for p in destination.rglob("*") if p.is_file())
    from gateproof.generate import generate

    done.written.append(generate(target / "config").path)
    done.git_initialised = _git_init(target)
    return done


def _git_init(target: Path) -> bool:
    """``git init`` unless the target is already in a work tree: PRE-SEC-05 scans the
    config's git history, and the repository is meant to be reviewed and versioned."""
    git = shutil.which("git")
    if git is None:
        return False
    inside = subprocess.run(
        [git, "rev-parse", "--is-inside-work-tree"],
        cwd=target,
        capture_output=True,
        check=False,
        timeout=30,
    )
    if inside.returncode == 0:
        return False
    subprocess.run([git, "init", "-q"], cwd=target, check=True, timeout=30)
    return True
