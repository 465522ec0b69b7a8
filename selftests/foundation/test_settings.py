"""Settings: precedence CLI > env > file > default, and errors that name key, origin and fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateproof.settings import env_name, flat_keys, option_name
from gateproof.settings_loader import SettingsError, load_settings

SHOW = """
def test_show(gateproof_settings):
    print("P95=%s URL=%s HOSTS=%s" % (
        gateproof_settings.thresholds.p95_latency_s,
        gateproof_settings.gateway.url,
        ",".join(gateproof_settings.hosts),
    ))
"""


def test_every_key_has_an_option_and_a_variable() -> None:
    keys = flat_keys()
    assert "gateway.url" in keys and "thresholds.baseline.p95_increase_pct" in keys
    assert option_name("thresholds.p95_latency_s") == "--gateproof-thresholds-p95-latency-s"
    assert env_name("gateway.master_key") == "GATEPROOF_GATEWAY_MASTER_KEY"
    assert option_name("config_dir") == "--gateproof-config-dir"


def test_precedence_cli_over_env_over_file_over_default(
    pytester: pytest.Pytester,
    settings_file: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings_file("gateway: {url: http://file:1}\nthresholds: {p95_latency_s: 5}\n")
    pytester.makepyfile(test_show=SHOW)
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*P95=5.0 URL=http://file:1 HOSTS=local://*"])

    monkeypatch.setenv("GATEPROOF_GATEWAY_URL", "http://env:2")
    monkeypatch.setenv("GATEPROOF_HOSTS", "local://,ssh://gw1")
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*P95=5.0 URL=http://env:2 HOSTS=local://,ssh://gw1*"])

    result = pytester.runpytest(
        "-s", "--gateproof-gateway-url", "http://cli:3", "--gateproof-thresholds-p95-latency-s", "7"
    )
    result.stdout.fnmatch_lines(["*P95=7.0 URL=http://cli:3 HOSTS=local://,ssh://gw1*"])


def test_config_option_picks_the_file(
    pytester: pytest.Pytester, settings_file: Callable[[str], None]
) -> None:
    settings_file("gateway: {url: http://default:1}\n")
    (pytester.path / "other.yaml").write_text("gateway: {url: http://other:9}\n")
    pytester.makepyfile(test_show=SHOW)
    result = pytester.runpytest("-s", "--gateproof-config", "other.yaml")
    result.stdout.fnmatch_lines(["*URL=http://other:9*"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "gateway: {url: http://x, master_key: sk-live-abcdef}\n",
            "*gateproof.yaml:1: gateway.master_key:*must be a reference 'os.environ/NAME'*",
        ),
        (
            "gateway:\n  url: http://x\n  cors_origns: [a]\n",
            "*gateproof.yaml:3: gateway.cors_origns: unknown key (did you mean 'cors_origins'?)*",
        ),
        (
            "redis: {port: 99999}\n",
            "*gateproof.yaml:1: redis.port: Input should be less than or equal to 65535*",
        ),
        ("gateway: [1, 2\n", "*gateproof.yaml:2: not valid YAML*"),
        ("- a\n- b\n", "*gateproof.yaml:1: the top level is a list; expected a mapping*"),
    ],
    ids=["literal-secret", "unknown-key", "bad-port", "malformed", "list"],
)
def test_bad_settings_file_is_a_usage_error(
    pytester: pytest.Pytester, settings_file: Callable[[str], None], text: str, expected: str
) -> None:
    settings_file(text)
    pytester.makepyfile(test_show=SHOW)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gateproof settings are invalid*", expected])
    assert "sk-live-abcdef" not in result.stderr.str()


def test_bad_values_from_cli_and_env_name_their_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEPROOF_TIMEOUTS_CONNECT_S", "soon")
    monkeypatch.setenv("GATEPROOF_GATEWAY_URLL", "http://typo")
    pytester.makepyfile(test_show=SHOW)
    result = pytester.runpytest("--gateproof-redis-port", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*GATEPROOF_GATEWAY_URLL: unknown gateproof setting*did you mean "
            "'GATEPROOF_GATEWAY_URL'*",
            "*--gateproof-redis-port: redis.port: Input should be greater than or equal to 1*",
            "*GATEPROOF_TIMEOUTS_CONNECT_S: timeouts.connect_s: Input should be a valid number*",
        ]
    )


def test_a_load_workers_key_in_the_shell_is_not_a_setting(tmp_path: Path) -> None:
    # The documented remote-worker command exports it; the same shell may run gateproof.
    file = tmp_path / "s.yaml"
    file.write_text("gateway: {url: http://x}\n")
    env = {"GATEPROOF_LOAD_API_KEY": "sk-worker"}  # pragma: allowlist secret
    settings = load_settings(file, explicit=True, env=env, cli={}, base_dir=tmp_path)
    assert settings.gateway is not None


def test_missing_explicit_settings_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml", explicit=True, env={}, cli={}, base_dir=tmp_path)


def test_relative_paths_resolve_against_the_invocation_dir(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text("config_dir: cfg\ngateway: {url: http://x, deployed_config: d/l.yaml}\n")
    settings = load_settings(file, explicit=True, env={}, cli={}, base_dir=tmp_path)
    assert settings.config_dir == tmp_path / "cfg"
    assert settings.gateway is not None
    assert settings.gateway.deployed_config == tmp_path / "d" / "l.yaml"


def test_secret_resolves_from_env_then_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("# stack secrets\nGP_TEST_KEY=from-file-123456\n")
    file = tmp_path / "s.yaml"
    file.write_text(
        f"secrets_file: {secrets}\ngateway: {{url: http://x, master_key: os.environ/GP_TEST_KEY}}\n"
    )
    settings = load_settings(file, explicit=True, env={}, cli={}, base_dir=tmp_path)
    assert settings.resolve_secret("os.environ/GP_TEST_KEY", "k") == "from-file-123456"
    monkeypatch.setenv("GP_TEST_KEY", "from-env-654321")
    assert settings.resolve_secret("os.environ/GP_TEST_KEY", "k") == "from-env-654321"
    with pytest.raises(LookupError, match="GP_MISSING is not set"):
        settings.resolve_secret("os.environ/GP_MISSING", "gateway.master_key")
