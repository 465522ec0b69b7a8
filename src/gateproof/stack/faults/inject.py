"""How faults get into the running stack, each from outside gateproof's code and each undone
when its context ends: a stand-in's fault switch over HTTP, a signal to a process, a component
stopped or restarted with other arguments or environment, a file of the run dir edited (and
Prometheus or Alertmanager told to reload), Redis reconfigured with CONFIG SET, a copy of
the config or the settings with a mistake, a foreign process on a port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateproof.stack import component_restart
from gateproof.stack.faults.model import Inject, Scene
from gateproof.stack.impostor import impostor
from gateproof.stack.testing import ReferenceStack


def standin(provider: str, **faults: Any) -> Inject:
    """One stand-in's fault switches set over its control API; cleared afterwards."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        control = scene.stack.control(provider)
        control.set_faults(**faults)
        try:
            yield
        finally:
            control.clear()

    return go


def standins(names: tuple[str, ...], **faults: Any) -> Inject:
    """The same switches on several stand-ins (a fallback chain broken end to end)."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        for name in names:
            scene.stack.control(name).set_faults(**faults)
        try:
            yield
        finally:
            for name in names:
                scene.stack.control(name).clear()

    return go


def sigstop(component: str) -> Inject:
    """SIGSTOP the component (its sockets stay open: connections accepted, never answered)."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        pid = component_restart.pid_of(scene.stack, component)
        os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(pid, signal.SIGCONT)

    return go


Change = Callable[[list[str], dict[str, str], Scene], None]


def restarted(component: str, change: Change | None) -> Inject:
    """Stop ``component``; with ``change`` start it again with its argv and environment
    edited in place (None: it stays down). Afterwards it runs again exactly as before,
    recorded in stack.json so ``stack down`` stops it."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        bound = None if change is None else (lambda argv, env: change(argv, env, scene))
        with component_restart.replaced(scene.stack, component, bound):
            yield

    return go


def gateway_config(edit: Callable[[dict[str, Any]], None]) -> Change:
    """A restart change: the gateway on a copy of its deployed config edited by ``edit``
    (what a hand-edited config on the host, or a forgotten deploy, looks like)."""

    def change(argv: list[str], env: dict[str, str], scene: Scene) -> None:
        at = argv.index("--config") + 1
        data = yaml.safe_load(Path(argv[at]).read_text(encoding="utf-8"))
        edit(data)
        copy = scene.work / "gateway-config.yaml"
        copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        argv[at] = str(copy)

    return change


def gateway_env(**values: str) -> Change:
    def change(argv: list[str], env: dict[str, str], scene: Scene) -> None:
        env.update(values)

    return change


def extra_args(*more: str) -> Change:
    def change(argv: list[str], env: dict[str, str], scene: Scene) -> None:
        argv.extend(more)

    return change


def run_file(
    relative: str, change: Callable[[str], str], reload: str | None = None, keep_mtime: bool = False
) -> Inject:
    """A file of the run dir rewritten by ``change`` (bytes and timestamps put back
    afterwards); ``reload`` ("prometheus", "alertmanager") is told to re-read its config
    after each change, as an operator's ``curl -X POST .../-/reload`` does; ``keep_mtime``
    gives the edited file its old timestamps back at once."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        path = scene.stack.run.root / relative
        original, stat = path.read_bytes(), path.stat()
        changed = change(original.decode())
        if changed == original.decode():  # a fault that changes nothing is a catalogue bug
            raise RuntimeError(f"the edit of {relative} changed nothing")
        path.write_text(changed, encoding="utf-8")
        if keep_mtime:  # `touch -r`: the edit leaves the file's times as they were
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        if reload:
            _reload(scene.stack, reload)
        try:
            yield
        finally:
            path.write_bytes(original)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            if reload:
                _reload(scene.stack, reload)

    return go


def _reload(stack: ReferenceStack, component: str) -> None:
    answer = httpx.post(f"{stack.url(component)}/-/reload", timeout=10.0)
    if answer.status_code != 200:
        raise RuntimeError(f"{component} refused the reload: {answer.text[:300]}")
    time.sleep(2.5)  # Prometheus: every rule group evaluated again (1 s interval)


def moved_aside(relative: str) -> Inject:
    """A file or folder of the run dir renamed away (``mv X X.gone``); back afterwards."""
    return _renamed(relative, ".gone", leave_empty=False)


def appended(relative: str, text: str) -> Inject:
    """Lines appended to a log the stack writes; cut back to its old size afterwards."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        path = scene.stack.run.root / relative
        size = path.stat().st_size
        with path.open("a", encoding="utf-8") as log:
            log.write(text)
        try:
            yield
        finally:
            os.truncate(path, size)

    return go


def rotated_without_reopen(relative: str) -> Inject:
    """``mv log log.1; touch log`` without telling the writer; log.1 back afterwards."""
    return _renamed(relative, ".1", leave_empty=True)


def _renamed(relative: str, suffix: str, *, leave_empty: bool) -> Inject:
    """The run-dir path renamed to PATH+suffix (an empty file left in its place when
    ``leave_empty``); renamed back over it afterwards."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        path = scene.stack.run.root / relative
        aside = path.with_name(path.name + suffix)
        path.rename(aside)
        if leave_empty:
            path.touch()
        try:
            yield
        finally:
            aside.replace(path)

    return go


def redis_config(name: str, value: str, flush: bool = False) -> Inject:
    """``redis-cli CONFIG SET name value`` (``FLUSHALL`` first when ``flush``); the old value
    back afterwards. The password goes through REDISCLI_AUTH, never the command line."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        port = scene.stack.port("redis")
        env = {**os.environ, "REDISCLI_AUTH": scene.stack.redis_password}
        old = _redis_cli(port, env, "CONFIG", "GET", name).splitlines()[1]
        if flush:
            _redis_cli(port, env, "FLUSHALL")
        _redis_cli(port, env, "CONFIG", "SET", name, value)
        try:
            yield
        finally:
            _redis_cli(port, env, "CONFIG", "SET", name, old)

    return go


def _redis_cli(port: int, env: dict[str, str], *command: str) -> str:
    done = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def impostor_gateway(scene: Scene) -> Iterator[None]:
    """A plain HTTP server answering 200 "ok" to everything where the gate expects the
    gateway (a wrong service behind the load balancer)."""
    with impostor(free_port()) as url:
        scene.args += ["--gateproof-gateway-url", url]
        yield


def config_copy(edit: Callable[[Path], None]) -> Inject:
    """A copy of the run's config folder with a mistake made by ``edit(folder)``; the gate
    is pointed at it (``--gateproof-config-dir``) and at a clean git history, so PRE-SEC-05
    judges the copy only."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        folder = scene.work / "config"
        shutil.copytree(scene.stack.run.config, folder)
        edit(folder)
        repo = scene.work / "repo"
        git = ["git", "-C", str(repo), "-c", "user.name=f", "-c", "user.email=f@f"]
        repo.mkdir()
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "empty"], check=True)
        scene.args += ["--gateproof-config-dir", str(folder), "--gateproof-source-repo", str(repo)]
        yield

    return go


def settings_copy(edit: Callable[[dict[str, Any], Scene], None]) -> Inject:
    """The run's gateproof settings copied with ``edit`` applied (a host list naming a host
    whose SSH refuses, say); the inner run reads the copy."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        data = yaml.safe_load(scene.stack.settings_path.read_text(encoding="utf-8"))
        edit(data, scene)
        copy = scene.work / "settings.yaml"
        copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        scene.settings = copy
        yield

    return go


def touched(relative: str) -> Inject:
    """A file of the run dir given a modification time of now (a deploy that happened after
    the service last started); its old times back afterwards."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        path = scene.stack.run.root / relative
        stat = path.stat()
        os.utime(path)
        try:
            yield
        finally:
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    return go


def new_run_file(relative: str, text: str, reload: str | None = None) -> Inject:
    """A file added to the run dir (a rule file dropped into Prometheus's rules folder);
    removed afterwards, ``reload`` told each time."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        path = scene.stack.run.root / relative
        path.write_text(text, encoding="utf-8")
        if reload:
            _reload(scene.stack, reload)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            if reload:
                _reload(scene.stack, reload)

    return go


def together(*parts: Inject) -> Inject:
    """Several injections at once, undone in reverse order."""

    @contextmanager
    def go(scene: Scene) -> Iterator[None]:
        with ExitStack() as stack:
            for part in parts:
                stack.enter_context(part(scene))
            yield

    return go
