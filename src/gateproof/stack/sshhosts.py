"""Test hosts reached over ssh: one Debian ``sshd`` per loopback address (127.0.0.2,
127.0.0.3, ...), for the selftests and the fault matrix.

Each host has its own directory with its own ed25519 host key, ``sshd_config``, log and
``authorized_keys``; all share one throwaway client key. The client side is one
``ssh_config`` (identity, a ``known_hosts`` holding exactly these host keys, strict host key
checking, batch mode) that the ``ssh_config`` setting points at. Every address stays in
127.0.0.0/8 and no sshd binds port 22: the ports come from the caller's range.

Faults are made from outside, the way an operator would meet them: ``stop`` (connection
refused), ``pause`` (SIGSTOP: the kernel accepts, nobody ever sends the banner),
``swap_client_key`` (authorized_keys holds another key), ``swap_host_key`` (the host comes
back with a new key that ``known_hosts`` does not hold). Only the sshd processes started here
are ever signalled.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from gateproof.stack import process

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")  # Debian's sshd refuses to start without it
READY_S = 10.0
KEYGEN_S = 20.0


@dataclass
class SshHost:
    """One test sshd: ``ssh://root@ADDRESS:PORT``."""

    name: str
    address: str
    port: int
    root: Path
    pid: int = 0
    start_time: int | None = None

    @property
    def spec(self) -> str:
        return f"ssh://root@{self.address}:{self.port}"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def authorized_keys(self) -> Path:
        return self.root / "authorized_keys"

    @property
    def sshd_config(self) -> Path:
        return self.root / "sshd_config"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    def running(self) -> bool:
        return bool(self.pid) and process.is_ours(self.pid, self.start_time)


@dataclass
class SshHosts:
    """Started test hosts and the client files that reach them."""

    root: Path
    hosts: list[SshHost]
    client_key: Path
    known_hosts: Path
    ssh_config: Path
    paused: set[str] = field(default_factory=set)

    @property
    def specs(self) -> list[str]:
        return [h.spec for h in self.hosts]

    def host(self, name: str) -> SshHost:
        return next(h for h in self.hosts if h.name == name)

    def start(self, host: SshHost) -> None:
        """Start ``host``'s sshd (again) and wait until it sends its banner."""
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        argv = [SSHD, "-D", "-e", "-f", str(host.sshd_config)]
        popen = process.spawn(argv, {"PATH": os.environ.get("PATH", "")}, host.log, host.root)
        host.pid, host.start_time = popen.pid, process.start_time(popen.pid)
        _wait_banner(host)

    def stop(self, host: SshHost) -> None:
        """Stop ``host``'s sshd (a paused one is woken first so it can exit)."""
        if host.running():
            if host.name in self.paused:
                self.resume(host)
            process.terminate({host.pid: host.start_time}, 5.0)
        host.pid, host.start_time = 0, None

    def pause(self, host: SshHost) -> None:
        """SIGSTOP: connections are accepted by the kernel, the banner never comes."""
        os.kill(host.pid, signal.SIGSTOP)
        self.paused.add(host.name)

    def resume(self, host: SshHost) -> None:
        os.kill(host.pid, signal.SIGCONT)
        self.paused.discard(host.name)

    def swap_client_key(self, host: SshHost) -> bytes:
        """Let another key in instead of the client's; returns the old content to restore."""
        old = host.authorized_keys.read_bytes()
        stranger = _keygen(self.root / f"stranger-{host.name}", "stranger")
        host.authorized_keys.write_bytes(stranger.with_suffix(".pub").read_bytes())
        return old

    def swap_host_key(self, host: SshHost) -> None:
        """Restart ``host`` with a new host key (``known_hosts`` keeps the old one)."""
        self.stop(host)
        for path in (host.host_key, host.host_key.with_suffix(".pub")):
            path.unlink(missing_ok=True)
        _keygen(host.host_key, host.name)
        self.start(host)

    def trust_current_host_keys(self) -> None:
        """Rewrite ``known_hosts`` with every host's present key."""
        lines = []
        for host in self.hosts:
            kind, key = host.host_key.with_suffix(".pub").read_text().split()[:2]
            lines.append(f"[{host.address}]:{host.port} {kind} {key}\n")
        self.known_hosts.write_text("".join(lines))

    def restore(self) -> None:
        """Every host back to healthy: woken, running, the client key let in, its present
        host key trusted (after a ``swap_host_key`` the new key is kept)."""
        client = self.client_key.with_suffix(".pub").read_bytes()
        for host in self.hosts:
            if host.name in self.paused:
                self.resume(host)
            host.authorized_keys.write_bytes(client)
            if not host.running():
                self.start(host)
        self.trust_current_host_keys()

    def stop_all(self) -> None:
        for host in self.hosts:
            self.stop(host)


def start_hosts(root: Path, count: int, base_port: int) -> SshHosts:
    """``count`` sshd hosts on 127.0.0.2.., ports ``base_port``.., files under ``root``."""
    if not Path(SSHD).is_file() or shutil.which("ssh") is None:
        raise RuntimeError(f"{SSHD} or ssh missing: apt-get install openssh-server")
    root.mkdir(parents=True, exist_ok=True)
    client_key = _keygen(root / "client_ed25519", "gateproof-client")
    hosts = []
    for index in range(count):
        name = f"host-{chr(ord('a') + index)}"
        host = SshHost(name, f"127.0.0.{index + 2}", base_port + index, root / name)
        if process.port_in_use(host.port, host.address):
            raise RuntimeError(f"{host.address}:{host.port} is in use: choose another base port")
        host.root.mkdir(exist_ok=True)
        _keygen(host.host_key, name)
        shutil.copyfile(client_key.with_suffix(".pub"), host.authorized_keys)
        host.sshd_config.write_text(_sshd_config(host))
        hosts.append(host)
    known_hosts = root / "known_hosts"
    ssh_config = root / "ssh_config"
    found = SshHosts(root, hosts, client_key, known_hosts, ssh_config)
    found.trust_current_host_keys()
    ssh_config.write_text(_ssh_config(hosts, client_key, known_hosts))
    try:
        for host in hosts:
            found.start(host)
    except BaseException:
        found.stop_all()
        raise
    return found


def _keygen(path: Path, comment: str) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=KEYGEN_S,
    )
    return path


def _sshd_config(host: SshHost) -> str:
    # StrictModes off: the temp dirs are not laid out like a home directory.
    return (
        f"ListenAddress {host.address}\nPort {host.port}\nHostKey {host.host_key}\n"
        f"PidFile {host.root / 'sshd.pid'}\nAuthorizedKeysFile {host.authorized_keys}\n"
        "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nLogLevel ERROR\nMaxStartups 50\n"
    )


def _ssh_config(hosts: list[SshHost], client_key: Path, known_hosts: Path) -> str:
    addresses = " ".join(h.address for h in hosts)
    # BatchMode: never a prompt. ServerAlive*: a host that stops answering after login
    # ends the command in about 6 s instead of never.
    return (
        f"Host {addresses}\n  User root\n  IdentityFile {client_key}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {known_hosts}\n  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n  CheckHostIP no\n  BatchMode yes\n"
        "  PasswordAuthentication no\n  ServerAliveInterval 3\n  ServerAliveCountMax 2\n"
        "  LogLevel ERROR\n"
    )


def _wait_banner(host: SshHost) -> None:
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        if not host.running():
            raise RuntimeError(f"sshd of {host.name} exited:\n{process.tail(host.log)}")
        try:
            with socket.create_connection((host.address, host.port), timeout=1.0) as conn:
                conn.settimeout(1.0)
                if conn.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"sshd of {host.name} sent no banner in {READY_S} s")
