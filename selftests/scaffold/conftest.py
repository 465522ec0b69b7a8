"""Fixtures of the scaffold selftests: the wheel installed in a fresh venv, a scaffolded
repository (helpers in scaffold_env.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from scaffold_env import CHECKOUT, NOT_SOURCE, Installed, clean_env, exit_code, run

from gateproof.stack.testing import gateway_clean_per_module, reference_stack

# the shared reference deployment, for the after-deploy job
__all__ = ["gateway_clean_per_module", "reference_stack"]


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel of this checkout (``pip wheel --no-deps``) in a fresh venv. Built from a
    copy: pip builds in the source tree, and parallel workers must not share build/."""
    base = tmp_path_factory.mktemp("installed")
    source = base / "source"
    shutil.copytree(CHECKOUT, source, ignore=NOT_SOURCE)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (base / "dist").glob("gateproof-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "zz_gateproof_selftest_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=120,
    )
    return Installed(wheel=wheel, bin=venv / "bin")


@pytest.fixture(scope="session")
def scaffolded(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository written by the installed ``gateproof scaffold`` (in a path with a space)."""
    repo = tmp_path_factory.mktemp("team space") / "llm-gateway"
    output = run(installed.command("scaffold", str(repo)), repo.parent, clean_env(installed))
    assert exit_code(output) == 0, output
    return repo
