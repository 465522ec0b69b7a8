"""The YAML loader: same values as yaml.SafeLoader, line numbers, and a clear ConfigError (never a
traceback) for every way a file can be broken."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateproof.errors import ConfigError
from gateproof.schema import load_sources, load_yaml
from gateproof.schema.yamlsrc import EAGER_LINES_BYTES, MAX_SOURCE_BYTES

REFERENCE = Path(__file__).resolve().parents[2] / "config"


def _findings(path: Path, text: str | bytes) -> list[str]:
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    return caught.value.findings


@pytest.mark.parametrize("name", ["providers.yaml", "model-mappings.yaml", "litellm-unified.yaml"])
def test_values_equal_safe_load(name: str) -> None:
    text = (REFERENCE / name).read_text(encoding="utf-8")
    assert load_yaml(REFERENCE / name).data == yaml.safe_load(text)


def test_scalar_types_follow_yaml_1_1(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: yes\nb: 0x10\nc: 1_000\nd: '1'\ne: ~\nf: 1.5\ng: !!str 5\nh: llama3.1:8b\n")
    assert load_yaml(path).data == yaml.safe_load(path.read_text())


def test_line_of_nested_paths(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a:\n  b:\n    - x\n    - {c: 1,\n       d: 2}\n")
    doc = load_yaml(path)
    assert doc.line(["a", "b", 0]) == 3
    assert doc.line(["a", "b", 1, "d"]) == 5
    assert doc.line(["a", "missing"]) == 1  # the deepest existing element: 'a'


def test_every_duplicate_key_is_reported(tmp_path: Path) -> None:
    findings = _findings(tmp_path / "d.yaml", "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    tail = "YAML keeps only one of them"
    assert findings == [
        f"{tmp_path / 'd.yaml'}:4: duplicate key 'c' (first at line 3); {tail}",
        f"{tmp_path / 'd.yaml'}:5: duplicate key 'a' (first at line 1); {tail}",
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "file is empty"),
        ("# only a comment\n", "file is empty"),
        ("- a\n- b\n", "the top level is a list"),
        ("just text\n", "the top level is a single value"),
        ("a: [1,\nb: 2\n", ":3: not valid YAML"),
        (b"a: \xff\xfe\n", "not UTF-8: byte 0xff at offset 3"),
        ("a: &x [*x]\n", "refers to itself"),
        ("a: *nope\n", "not valid YAML"),
        ("a: !!python/object:os.system x\n", "unsupported tag"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
        ("a: " + "[" * 200 + "]" * 200 + "\n", "not valid YAML"),
        ("? [a, b]\n: c\n", "a key must be a single value"),
        ("<<: 5\n", "'<<' merges only mappings"),
    ],
)
def test_broken_files_give_one_clear_finding(
    tmp_path: Path, text: str | bytes, fragment: str
) -> None:
    findings = _findings(tmp_path / "f.yaml", text)
    assert any(fragment in f for f in findings), findings
    assert all(f.startswith(str(tmp_path / "f.yaml") + ":") for f in findings)


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]")
    findings = _findings(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")
    assert "alias bomb" in findings[0]


def test_an_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    with path.open("wb") as handle:
        handle.truncate(40 * 1024 * 1024)  # sparse: nothing is written or read
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    findings = caught.value.findings
    assert "file is 41.9 MB" in findings[0] and f"{MAX_SOURCE_BYTES / 1e6:.1f} MB" in findings[0]


def test_missing_file_is_a_finding(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_sources(tmp_path)
    assert len(caught.value.findings) == 2
    assert all("cannot read" in f for f in caught.value.findings)


def test_findings_of_both_files_come_together(tmp_path: Path) -> None:
    (tmp_path / "providers.yaml").write_text("providers:\n  a:\n    typ: ollama\n")
    (tmp_path / "model-mappings.yaml").write_text("exact_match: {}\nfallback_chain: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_sources(tmp_path)
    text = "\n".join(caught.value.findings)
    assert "providers.yaml:3: providers.a.typ: unknown key 'typ' (did you mean 'type'?)" in text
    assert "providers.yaml:2: providers.a.type: required key 'type' is missing" in text
    assert "unknown key 'exact_match' (did you mean 'exact_matches'?)" in text
    assert "model-mappings.yaml:2: fallback_chain: unknown key" in text


def test_a_scalar_where_a_mapping_belongs_names_yaml_not_a_class(tmp_path: Path) -> None:
    (tmp_path / "providers.yaml").write_text("providers:\n  a: ollama\n")
    (tmp_path / "model-mappings.yaml").write_text("exact_matches:\n  m: ollama\n")
    with pytest.raises(ConfigError) as caught:
        load_sources(tmp_path)
    text = "\n".join(caught.value.findings)
    assert "providers.yaml:2: providers.a: expected a mapping (key: value) here; got" in text
    assert "model-mappings.yaml:2: exact_matches.m: expected a mapping" in text
    assert "instance of" not in text


def test_an_impossible_date_is_a_finding_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text("metadata:\n  updated: 2025-13-01\nproviders: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    assert ":2: not valid YAML" in caught.value.findings[0]
    assert "month must be in 1..12" in caught.value.findings[0]


def test_the_settings_file_is_read_by_the_same_loader(tmp_path: Path) -> None:
    from gateproof.settings_loader import SettingsError, load_settings

    path = tmp_path / "gateproof.yaml"
    path.write_text("# nothing set\n")
    settings = load_settings(path, explicit=True, env={}, cli={}, base_dir=tmp_path)
    assert settings.deployment.name == "unnamed"
    path.write_text("deployment:\n\tname: x\n")
    with pytest.raises(SettingsError, match="indent with spaces"):
        load_settings(path, explicit=True, env={}, cli={}, base_dir=tmp_path)


def test_a_large_file_differing_only_in_leading_comments_shares_the_parse(tmp_path: Path) -> None:
    """Two generated versions differ in their header: the second is not parsed again, and
    its line numbers are still its own."""
    body = "".join(f"m{i}:\n  rpm: {i}\n" for i in range(EAGER_LINES_BYTES // 12))
    first, second, odd, broken = (tmp_path / f"{n}.yaml" for n in ("a", "b", "c", "d"))
    first.write_text("# version: 1\n" + body)
    second.write_text("# version: 2\n#\n\n# more\n" + body)
    odd.write_text("# versión 3\n" + body)  # not plain ASCII: parsed on its own
    broken.write_bytes(b"# version: 4\x00\n" + body.encode())
    one, two, three = load_yaml(first), load_yaml(second), load_yaml(odd)
    assert two.data is one.data and three.data is not one.data and three.data == one.data
    lines = [doc.line(["m5", "rpm"]) for doc in (one, two, three)]
    assert lines == [13, 16, 13]
    assert "not valid YAML" in _findings(broken, broken.read_bytes())[0]


def test_models_with_the_same_given_fields_share_one_set_of_them(tmp_path: Path) -> None:
    """pydantic's per-instance set of given fields is shared (memory), and still right."""
    from gateproof.schema import load_litellm_config

    path = tmp_path / "litellm.yaml"
    entries = [("a", "rpm: 5"), ("b", "rpm: 6"), ("c", "tpm: 7")]
    path.write_text(
        "model_list:\n"
        + "".join(
            f"  - model_name: {name}\n    litellm_params: {{model: ollama/{name}, {limit}}}\n"
            for name, limit in entries
        )
    )
    config, _doc = load_litellm_config(path)
    a, b, c = (entry.litellm_params for entry in config.model_list)
    assert a.__pydantic_fields_set__ is b.__pydantic_fields_set__
    assert c.model_fields_set == {"model", "tpm"} and a.model_fields_set == {"model", "rpm"}
    assert b.model_dump(exclude_unset=True) == {"model": "ollama/b", "rpm": 6}
    assert a.model_copy(update={"tpm": 1}).model_fields_set == {"model", "rpm", "tpm"}
    assert b.model_fields_set == {"model", "rpm"}
