"""How a host spec reaches testinfra and how it is shown: the ``ssh_config`` setting and the
connect timeout for ssh hosts only, the spec's own query winning, no password or query in ids
and messages, no password accepted in a spec, and ``gateway_hosts`` held to the hosts
checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateproof.parametrize import replica_host_spec
from gateproof.probes import hosts
from gateproof.settings import Settings
from gateproof.settings_loader import SettingsError, load_settings

WITH_PASSWORD = "ssh://deploy:s3cret@10.0.0.5:22"  # pragma: allowlist secret


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("ssh://root@127.0.0.2:8240?ssh_config=/k/cfg", "ssh://root@127.0.0.2:8240"),
        (WITH_PASSWORD, "ssh://deploy:***@10.0.0.5:22"),
        ("deploy:s3cret@10.0.0.5", "deploy:***@10.0.0.5"),  # pragma: allowlist secret
        ("local://", "local://"),
        ("docker://gateway", "docker://gateway"),
    ],
)
def test_shown_spec_leaves_out_password_and_query(spec: str, shown: str) -> None:
    assert hosts.shown_spec(spec) == shown


def test_ssh_host_gets_the_setting_and_the_connect_timeout(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    host = hosts.get_host(WITH_PASSWORD, config, 2.2)  # made, not connected
    assert (host.backend.ssh_config, host.backend.timeout) == (str(config), 3)
    assert hosts.host_name(host) == "ssh://deploy@10.0.0.5:22"
    assert "s3cret" not in hosts.on_host(host, "true")
    own = hosts.get_host("ssh://root@127.0.0.2:8242?ssh_config=/own/cfg&timeout=7", config, 2)
    assert (own.backend.ssh_config, own.backend.timeout) == ("/own/cfg", 7)


def test_local_host_is_left_as_it_is(tmp_path: Path) -> None:
    host = hosts.get_host("local://", tmp_path / "ssh_config", 3.0)
    assert hosts.host_name(host) == "local"
    assert hosts.on_host(host, "df -P /") == "df -P /"


@pytest.mark.parametrize("spec", [WITH_PASSWORD, "deploy:s3cret@10.0.0.5"])
def test_a_password_in_a_host_spec_is_refused(spec: str, tmp_path: Path) -> None:
    # testinfra would put it on sshpass's command line, readable by every user (ps).
    with pytest.raises(ValidationError, match="carries a password") as caught:
        Settings.model_validate({"hosts": ["local://"], "gateway_hosts": [spec]})
    assert "s3cret" not in caught.value.errors()[0]["msg"]
    file = tmp_path / "s.yaml"
    file.write_text(f"hosts: ['{spec}']\n")
    with pytest.raises(SettingsError, match="carries a password") as refused:
        load_settings(file, explicit=True, env={}, cli={}, base_dir=tmp_path)
    assert "s3cret" not in str(refused.value)


USES_GATEWAY_HOST = """
def test_on_gateway_host(gateway_host):
    pass
"""


def test_gateway_hosts_are_held_to_the_hosts_checked(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", settings="hosts: [local://]\ngateway_hosts: ['ssh://a@g:1']\n")
    pytester.makepyfile(test_where=USES_GATEWAY_HOST)
    stray = pytester.runpytest("--gateproof-config=settings.yaml", "--co")
    assert stray.ret == pytest.ExitCode.USAGE_ERROR
    stray.stderr.fnmatch_lines(
        ["ERROR: gateway_hosts ?'ssh://a@g:1'? not among the hosts checked*"]
    )
    assert "Traceback" not in stray.stdout.str() + stray.stderr.str()
    # testinfra's --hosts replaces hosts: gateway_hosts is held to what it names
    given = pytester.runpytest(
        "--gateproof-config=settings.yaml", "--co", "--hosts=local://,ssh://a@g:1"
    )
    assert given.ret == pytest.ExitCode.OK
    given.stdout.fnmatch_lines(["*test_on_gateway_host*host=ssh://a@g:1*"])
    with_password = pytester.runpytest(
        "--gateproof-config=settings.yaml",
        "--co",
        "--hosts=ssh://a:s3cret@g:1",  # pragma: allowlist secret
    )
    assert with_password.ret == pytest.ExitCode.USAGE_ERROR
    assert "s3cret" not in with_password.stdout.str() + with_password.stderr.str()


GATEWAY_HOSTS = ["ssh://root@10.0.0.5:22", "ssh://deploy@gw-b.example:2222", "local://"]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://10.0.0.5:4000", "ssh://root@10.0.0.5:22"),  # the replica's own host, not the first
        ("http://GW-B.example:4000", "ssh://deploy@gw-b.example:2222"),
        ("http://127.0.0.1:4000", "local://"),  # loopback: the machine gateproof runs on
        ("http://localhost:4000", "local://"),
        ("http://10.0.0.6:4000", None),  # on no gateway host: never checked elsewhere
    ],
)
def test_replica_runs_on_the_gateway_host_its_url_names(url: str, host: str | None) -> None:
    assert replica_host_spec(url, GATEWAY_HOSTS) == host


def test_loopback_replica_on_a_loopback_ssh_host() -> None:
    specs = ["ssh://root@10.0.0.5:22", "ssh://root@127.0.0.2:8240", "ssh://root@[::1]:8241"]
    assert replica_host_spec("http://127.0.0.1:4000", specs) == specs[1]
    assert replica_host_spec("http://[::1]:4000", specs) == specs[2]
    assert replica_host_spec("http://127.0.0.1:4000", specs[:1]) is None


def test_replica_at_this_machines_own_name_runs_on_local() -> None:
    import socket

    url = f"http://{socket.gethostname()}:4000"
    assert replica_host_spec(url, GATEWAY_HOSTS) == "local://"
    assert replica_host_spec(url, GATEWAY_HOSTS[:2]) is None
