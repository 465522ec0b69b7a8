"""A host through testinfra (``local://`` by default, or any backend: ``ssh://``, ``docker://``).

An ssh host is reached with the ``ssh_config`` setting and ``timeouts.connect_s`` as ssh's
ConnectTimeout; a host that cannot be reached (refused, key refused, host key changed, no
banner in time) is a probe error with ssh's reason, and is not tried again in the same run.

Only plain Linux interfaces are used (``/proc``, ``df``, ``bash``), so the same probe works on
a host without systemd, ``ss`` or ``nc``: resources from ``/proc/loadavg``,
``/proc/meminfo`` and ``df``; listening sockets from ``/proc/net/tcp{,6}``; the owner of a
socket from ``/proc/PID/fd``; TCP reach with bash's ``/dev/tcp`` under ``timeout``.
"""

from __future__ import annotations

import ipaddress
import math
import shlex
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateproof import hostspec
from gateproof.errors import ProbeError, UnreachableError
from gateproof.probes.http import known_dead, remember_dead

SETTING = "hosts"
SSH_SETTINGS = "ssh_config, timeouts.connect_s"
SSH_SCHEMES = ("ssh", "safe-ssh", "paramiko", "")  # "": user@host, paramiko
# Hosts found unreachable in this process (testinfra keeps one Host object per spec).
_DOWN: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
LISTEN = "0A"


@dataclass(frozen=True)
class CpuFigure:
    """A sustained CPU busy figure and where it came from (for the evidence)."""

    percent: float
    source: str


@dataclass(frozen=True)
class Resources:
    cpu_percent: float
    memory_percent: float
    disk_percent: float
    detail: str
    cpu_source: str = ""


@dataclass(frozen=True)
class Reach:
    address: str
    port: int
    reachable: bool
    detail: str


@dataclass(frozen=True)
class Listener:
    address: str  # as text: 127.0.0.1, 0.0.0.0, ::, ::1
    port: int
    inode: str

    @property
    def loopback_only(self) -> bool:
        return ipaddress.ip_address(self.address).is_loopback


def get_host(spec: str, ssh_config: Path | None = None, connect_s: float = 3.0) -> Any:
    """The testinfra host of ``spec``. An ssh host gets ``ssh_config`` (unless the spec names
    its own ``?ssh_config=``) and ``connect_s`` as ssh's ConnectTimeout, which also bounds
    the wait for the server's banner (a hung sshd), rounded up to whole seconds."""
    import testinfra

    extra: dict[str, Any] = {}
    if hostspec.parse(spec).scheme in SSH_SCHEMES:
        extra["timeout"] = max(1, math.ceil(connect_s))
        if ssh_config is not None:
            extra["ssh_config"] = str(ssh_config)
    try:
        return testinfra.get_host(spec, **extra)
    except Exception as exc:
        raise ProbeError(
            f"testinfra cannot use host {shown_spec(spec)!r}: {exc}", setting=SETTING
        ) from None


def shown_spec(spec: str) -> str:
    """A host spec fit for ids and messages: no password, no query (``?ssh_config=...``)."""
    return hostspec.shown(spec)


def host_name(host: Any) -> str:
    """``ssh://root@127.0.0.2:8240`` for an ssh host (user and port kept, password never),
    else testinfra's id (``local``, ``docker://NAME``)."""
    backend = host.backend
    where = getattr(backend, "host", None)
    if backend.NAME in SSH_SCHEMES and where is not None:
        user = f"{where.user}@" if where.user else ""
        port = f":{where.port}" if where.port else ""
        return f"{backend.NAME}://{user}{where.name}{port}"
    return str(backend.get_pytest_id())


def run(host: Any, command: str) -> Any:
    """``host.run(command)``; a backend that cannot run it at all is a probe error.

    A host that could not be reached once in this run is not tried again: the later checks
    on it fail at once with the first reason, so a dead host costs one connect timeout."""
    down = _DOWN.get(host)
    if down is not None:
        raise _unreachable(host, f"{down} (earlier in this run; not tried again)")
    try:
        return host.run(command)
    except Exception as exc:  # the ssh/docker backends raise their own errors
        reason = _reason(exc)
        _DOWN[host] = reason
        raise _unreachable(host, reason) from None


def _unreachable(host: Any, reason: str) -> UnreachableError:
    name = host_name(host)
    timeout = getattr(host.backend, "timeout", None)
    ssh = host.backend.NAME in SSH_SCHEMES
    return UnreachableError(
        f"could not run a command on {name}: {reason}",
        target=name + (f" (ssh ConnectTimeout {timeout} s)" if ssh and timeout else ""),
        setting=f"{SETTING}; {SSH_SETTINGS}" if ssh else SETTING,
        hint="check the host is up, its ssh port, the client key it accepts and its entry "
        f"in known_hosts; reproduce with: {_ssh_reproducer(host.backend)}"
        if ssh
        else "check the host spec and its credentials (testinfra backend)",
    )


def _ssh_reproducer(backend: Any) -> str:
    return shlex.join([*_ssh_argv(backend), "true"])


def _ssh_argv(backend: Any) -> list[str]:
    """The ssh command testinfra runs, reduced to its connection (never a password)."""
    where = backend.host
    parts = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={backend.timeout}"]
    if getattr(backend, "ssh_config", None):
        parts += ["-F", str(backend.ssh_config)]
    if getattr(backend, "ssh_identity_file", None):
        parts += ["-i", str(backend.ssh_identity_file)]
    if where.port:
        parts += ["-p", str(where.port)]
    return [*parts, f"{where.user}@{where.name}" if where.user else where.name]


def on_host(host: Any, command: str) -> str:
    """``command`` as an operator runs it on ``host``: through ssh for an ssh host (for a
    reproducer), as it is for a local one."""
    if host.backend.NAME in ("ssh", "safe-ssh"):
        return shlex.join([*_ssh_argv(host.backend), command])
    return command


def _reason(exc: Exception) -> str:
    """ssh's own words (its stderr) without the banner art of a changed host key."""
    result = exc.args[0] if exc.args else None
    text = str(getattr(result, "stderr", "") or exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "@@@" not in ln]
    return " / ".join(lines[-2:]) if lines else type(exc).__name__


def read(host: Any, path: str) -> str:
    result = run(host, f"cat {shlex.quote(path)}")
    if result.rc != 0:
        raise ProbeError(
            f"cannot read {path} on {host_name(host)}: {result.stderr.strip()}",
            target=host_name(host),
            setting=SETTING,
        )
    return str(result.stdout)


def resources(host: Any, cpu: CpuFigure | None = None) -> Resources:
    """CPU busy % as a sustained figure, memory used % (MemAvailable), disk used % of / as df
    computes it.

    CPU is ``cpu`` when the caller measured it elsewhere (the node exporter's 5-minute average
    through Prometheus), else the 5-minute load average per core: never a sub-second sample,
    which the gate's own work (and a neighbour's burst) inflates to 100% on a small machine.
    """
    cpu = cpu or load_average_cpu(host)
    meminfo = {
        line.split(":")[0]: int(line.split()[1])
        for line in read(host, "/proc/meminfo").splitlines()
        if len(line.split()) >= 2
    }
    memory = 100.0 * (1 - meminfo["MemAvailable"] / meminfo["MemTotal"])
    df = run(host, "df -P -k /").stdout.splitlines()[-1].split()
    used, avail = int(df[2]), int(df[3])
    disk = 100.0 * used / (used + avail) if used + avail else 0.0
    detail = (
        f"cpu {cpu.percent:.0f}% ({cpu.source}); memory {memory:.1f}% "
        f"(MemAvailable {meminfo['MemAvailable']} of {meminfo['MemTotal']} kB); "
        f"disk / {disk:.1f}% (used {used} kB, available {avail} kB, as df computes it)"
    )
    return Resources(cpu.percent, memory, disk, detail, cpu.source)


def load_average_cpu(host: Any) -> CpuFigure:
    """The 5-minute load average in % of the online cores (capped at 100)."""
    out = run(host, "cat /proc/loadavg; getconf _NPROCESSORS_ONLN").stdout.splitlines()
    load5, cores = float(out[0].split()[1]), max(int(out[1].strip() or 1), 1)
    percent = min(100.0 * load5 / cores, 100.0)
    return CpuFigure(percent, f"load average 5m {load5:.2f} on {cores} core(s), /proc/loadavg")


def forget_down_hosts() -> None:
    """Forget the hosts found unreachable (a new run: testinfra keeps its Host objects)."""
    _DOWN.clear()


def tcp_reach(
    host: Any,
    address: str,
    port: int,
    timeout_s: float,
    *,
    known_as: str = "",
    setting: str = SETTING,
) -> Reach:
    """Can ``host`` open a TCP connection to ``address:port`` within ``timeout_s``?

    ``known_as`` is the target as the gate's own probes name it (``redis://h:p``, a URL),
    ``setting`` the key it comes from. On the local host the gate's network path is the
    host's: a target the gate could not connect to this run is not waited for again (one that
    connected but did not answer is tried: TCP may well reach it), and one found dead here is
    not waited for by the gate's probes (a dead component costs one connect timeout per run)."""
    local = host.backend.NAME == "local" and bool(known_as)
    earlier = known_dead(known_as) if local else None
    if isinstance(earlier, UnreachableError):
        return Reach(address, port, False, str(earlier).splitlines()[0])
    target = shlex.quote(f"exec 3<>/dev/tcp/{address}/{port}")
    result = run(host, f"timeout {timeout_s:g} bash -c {target}")
    if result.rc == 0:
        return Reach(address, port, True, "connected")
    if result.rc == 124:
        reach = Reach(address, port, False, f"no answer within {timeout_s:g} s")
    else:
        stderr = result.stderr.strip()
        reason = stderr.splitlines()[-1] if stderr else f"rc {result.rc}"
        reach = Reach(address, port, False, reason)
    if local:
        remember_dead(
            known_as,
            UnreachableError(
                f"could not connect to {address}:{port} from this host: {reach.detail}",
                target=known_as,
                setting=setting,
                hint="start it, or fix the setting. Reproduce with:\n    "
                f"timeout {timeout_s:g} bash -c 'exec 3<>/dev/tcp/{address}/{port}'",
            ),
        )
    return reach


def listeners(host: Any, port: int) -> list[Listener]:
    """Every socket in LISTEN state on ``port`` (IPv4 and IPv6)."""
    found: list[Listener] = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        result = run(host, f"cat {table}")
        if result.rc != 0:
            continue  # no IPv6 on this host
        for line in str(result.stdout).splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != LISTEN:
                continue
            hex_addr, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) == port:
                found.append(Listener(_address(hex_addr, v6), port, fields[9]))
    return found


def _address(hex_addr: str, v6: bool) -> str:
    raw = bytes.fromhex(hex_addr)
    # /proc prints each 32-bit word in host (little-endian) byte order.
    words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
    packed = b"".join(words)
    return str(ipaddress.IPv6Address(packed) if v6 else ipaddress.IPv4Address(packed))


def socket_owners(host: Any, inodes: list[str]) -> list[int]:
    """Pids holding any of the socket ``inodes`` (scans /proc/*/fd; root sees every process)."""
    if not inodes:
        return []
    pattern = "|".join(f"socket:\\[{i}\\]" for i in inodes)
    script = (
        "for d in /proc/[0-9]*; do "
        f"ls -l $d/fd 2>/dev/null | grep -qE {shlex.quote(pattern)} && echo ${{d#/proc/}}; "
        "done; true"
    )
    out = run(host, f"bash -c {shlex.quote(script)}").stdout
    return sorted(int(p) for p in out.split() if p.isdigit())


def process_started(host: Any, pid: int) -> float:
    """Start time of ``pid`` as a Unix timestamp (boot time + start ticks / CLK_TCK)."""
    stat = read(host, f"/proc/{pid}/stat")
    ticks = int(stat.rsplit(")", 1)[1].split()[19])
    btime = next(
        int(line.split()[1])
        for line in read(host, "/proc/stat").splitlines()
        if line.startswith("btime")
    )
    hz = int(run(host, "getconf CLK_TCK").stdout.strip() or 100)
    return btime + ticks / hz


def command_line(host: Any, pid: int) -> str:
    return read(host, f"/proc/{pid}/cmdline").replace("\0", " ").strip()


def command_argv(host: Any, pid: int) -> list[str]:
    """The argument vector of ``pid`` (empty when the process is gone or hidden)."""
    result = run(host, f"tr '\\0' '\\n' < /proc/{int(pid)}/cmdline")
    return [a for a in str(result.stdout).splitlines() if a] if result.rc == 0 else []


def has_systemd(host: Any) -> bool:
    """systemd is the init system (not merely installed): /run/systemd/system exists."""
    return bool(run(host, "test -d /run/systemd/system").rc == 0)


def systemd_service(host: Any, name: str) -> dict[str, str]:
    """ActiveState, SubState, MainPID of a unit, from ``systemctl show``."""
    props = "-p ActiveState -p SubState -p MainPID -p LoadState"
    out = run(host, f"systemctl show {props} {shlex.quote(name)}").stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def process_environ(host: Any, pid: int) -> dict[str, str] | None:
    """The environment ``pid`` was started with (/proc/PID/environ); None when it cannot be
    read (another user's process without root, or the process is gone)."""
    result = run(host, f"tr '\\0' '\\n' < /proc/{int(pid)}/environ")
    if result.rc != 0:
        return None
    return dict(line.split("=", 1) for line in str(result.stdout).splitlines() if "=" in line)


def process_cwd(host: Any, pid: int) -> str | None:
    """The working directory of ``pid`` (where its relative paths resolve)."""
    result = run(host, f"readlink /proc/{int(pid)}/cwd")
    return str(result.stdout).strip() or None if result.rc == 0 else None


def resolved_path(host: Any, path: str, cwd: str | None = None) -> str:
    """``path`` with symlinks and ``..`` resolved on the host (relative to ``cwd``)."""
    command = f"readlink -m {shlex.quote(path)}"
    if cwd and not path.startswith("/"):
        command = f"cd {shlex.quote(cwd)} && {command}"
    result = run(host, command)
    return str(result.stdout).strip() if result.rc == 0 and result.stdout.strip() else path


def port_owners(host: Any, port: int) -> tuple[list[Listener], list[int]]:
    """The sockets listening on ``port`` and the pids that hold them."""
    listening = listeners(host, port)
    return listening, socket_owners(host, [s.inode for s in listening])
