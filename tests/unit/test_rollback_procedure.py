"""PRE-TST-04: the rollback procedure works, exercised on a scratch copy of the config dir:
generate (backup made) -> change a source -> generate -> rollback to the previous version."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gateproof import history
from gateproof.errors import ConfigError
from gateproof.generate import GenerateResult, generate
from gateproof.schema import GENERATED_FILE, MAPPINGS_FILE, SOURCE_FILES


def _scratch(config_dir: Path, tmp_path: Path) -> Path:
    scratch = tmp_path / "config"
    scratch.mkdir()
    for name in (*SOURCE_FILES, GENERATED_FILE):
        if (config_dir / name).is_file():
            shutil.copy2(config_dir / name, scratch / name)
    return scratch


def _change_a_source(scratch: Path) -> None:
    """Raise the first rpm (or add a new generator default) so the output really changes."""
    path = scratch / MAPPINGS_FILE
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(r"rpm: (\d+)", lambda m: f"rpm: {int(m.group(1)) + 1}", text, count=1)
    if not count:
        changed = text + "\n# rollback drill\n"
    path.write_text(changed, encoding="utf-8")


def _generate(scratch: Path, config_dir: Path) -> GenerateResult:
    __tracebackhide__ = True
    try:
        return generate(scratch)
    except ConfigError as exc:
        refused = str(exc).replace(str(scratch), str(config_dir))  # the user's files, not ours
    # Failing outside the except block keeps the report to the one message.
    pytest.fail(
        "PRE-TST-04 cannot rehearse the rollback: `gateproof generate` refuses these sources "
        f"(fix PRE-CFG-01 first):\n{refused}",
        pytrace=False,
    )


@pytest.mark.predeploy
@pytest.mark.checklist("PRE-TST-04")
def test_rollback_restores_the_previous_version_byte_identical(
    config_dir: Path, tmp_path: Path
) -> None:
    scratch = _scratch(config_dir, tmp_path)
    deployed = tmp_path / "deployed" / "litellm.yaml"
    first = _generate(scratch, config_dir)
    previous = (scratch / GENERATED_FILE).read_bytes()
    deployed.parent.mkdir()
    deployed.write_bytes(previous)
    _change_a_source(scratch)
    second = generate(scratch)
    assert second.changed, "PRE-TST-04: changing a source did not change the generated config"
    hist = history.History(scratch)
    versions = [e.version for e in hist.entries]
    # The previous version is kept either as the first generate's copy or as the file it replaced.
    wanted = second.preserved or first.version
    assert wanted in versions, f"PRE-TST-04: version {wanted} was not kept; kept: {versions}"
    newer = (scratch / GENERATED_FILE).read_bytes()
    deployed.write_bytes(newer)

    result = history.rollback(scratch, wanted, deploy_path=deployed)

    assert (scratch / GENERATED_FILE).read_bytes() == previous, (
        f"PRE-TST-04: {GENERATED_FILE} after rollback to {wanted} is not byte-identical to it"
    )
    assert deployed.read_bytes() == previous, "PRE-TST-04: the deployed copy was not restored"
    after = history.History(scratch)
    assert after.current == wanted, f"PRE-TST-04: version record says current={after.current}"
    assert result.before_rollback is not None
    _entry, kept = after.data_of(result.before_rollback)
    assert kept == newer, "PRE-TST-04: the replaced file was not kept as before-rollback"
    with pytest.raises(history.RollbackError) as refused:
        history.rollback(scratch, "no-such-version")
    assert wanted in str(refused.value), (
        f"PRE-TST-04: an unknown version must list the available ones; got: {refused.value}"
    )
