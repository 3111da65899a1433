"""Running one command's script: its own process group, an optional user, a timeout, capped output."""

from __future__ import annotations

import contextlib
import os
import pwd
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any

from openmsp_agent.encoding import rfc3339

OUTPUT_CAP = 1024 * 1024  # per stream
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
PIPE_GRACE = 2.0  # after the script exits, how long its background children may hold our pipes
ARG_LIMIT = 100 * 1024  # Linux refuses a single argument above 128 KiB; bigger scripts go to stdin
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class UnknownUser(Exception):
    pass


@dataclass(frozen=True)
class Execution:
    exit_code: int | None
    stdout: str
    stderr: str
    started_at: str
    finished_at: str
    truncated: bool
    timed_out: bool = False

    def as_result(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "truncated": self.truncated,
            "refused": None,
            # Not in protocol v1 (proposed): the server accepts it and need not guess from times.
            "timed_out": self.timed_out,
        }


def identity(run_as: str | None) -> dict[str, Any]:
    """Popen arguments that switch to ``run_as``: only when the agent is root, else it runs as itself."""
    if os.geteuid() != 0 or not run_as:
        return {"env": _environment(pwd.getpwuid(os.geteuid()))}
    try:
        account = pwd.getpwnam(run_as)
    except KeyError:
        raise UnknownUser(run_as) from None
    kwargs: dict[str, Any] = {"env": _environment(account)}
    if account.pw_uid != 0:
        kwargs.update(
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=os.getgrouplist(account.pw_name, account.pw_gid),
        )
    return kwargs


def _environment(account: pwd.struct_passwd) -> dict[str, str]:
    env = {
        "PATH": SAFE_PATH,
        "HOME": account.pw_dir,
        "USER": account.pw_name,
        "LOGNAME": account.pw_name,
        "SHELL": account.pw_shell or "/bin/sh",
    }
    if "LANG" in os.environ:
        env["LANG"] = os.environ["LANG"]
    return env


def run_script(
    *,
    interpreter: str,
    script: str,
    timeout: float,
    run_as: str | None = None,
    stop: threading.Event | None = None,
    cap: int = OUTPUT_CAP,
) -> Execution:
    """Run ``interpreter -c script``; kill the whole process group on timeout or agent stop."""
    kwargs = identity(run_as)
    home = kwargs["env"]["HOME"]
    encoded = script.encode()
    via_stdin = len(encoded) > ARG_LIMIT
    argv = [interpreter] if via_stdin else [interpreter, "-c", script]
    started = time.time()
    proc = subprocess.Popen(  # noqa: S603 - running the signed script is the point
        argv,
        stdin=subprocess.PIPE if via_stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so a timeout kills its children too
        cwd=home if os.path.isdir(home) else "/",
        close_fds=True,
        **kwargs,
    )
    capture = _Capture(proc, cap, encoded if via_stdin else None)
    note = capture.pump(deadline=time.monotonic() + timeout, stop=stop, timeout=timeout)
    stderr = capture.text(2)
    if note:
        stderr = f"{stderr}\n[openmsp-agent] {note}".lstrip("\n")
    return Execution(
        exit_code=proc.returncode,
        stdout=capture.text(1),
        stderr=stderr,
        started_at=rfc3339(started),
        finished_at=rfc3339(time.time()),
        truncated=capture.truncated,
        timed_out=capture.timed_out,
    )


class _Capture:
    """Reads both pipes (and feeds stdin) without threads, keeping at most ``cap`` bytes of each."""

    def __init__(self, proc: subprocess.Popen[bytes], cap: int, stdin_data: bytes | None) -> None:
        self.proc = proc
        self.cap = cap
        self.truncated = False
        self.timed_out = False
        self._buffers = {1: bytearray(), 2: bytearray()}
        self._selector = selectors.DefaultSelector()
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._selector.register(proc.stdout, selectors.EVENT_READ, 1)
        self._selector.register(proc.stderr, selectors.EVENT_READ, 2)
        self._stdin = memoryview(stdin_data) if stdin_data is not None else None
        if self._stdin is not None and proc.stdin is not None:
            os.set_blocking(proc.stdin.fileno(), False)
            self._selector.register(proc.stdin, selectors.EVENT_WRITE, 0)

    def pump(self, *, deadline: float, stop: threading.Event | None, timeout: float) -> str | None:
        note: str | None = None
        exited_at: float | None = None
        killed_at: float | None = None
        while self._selector.get_map():
            now = time.monotonic()
            if killed_at is None and (now >= deadline or (stop is not None and stop.is_set())):
                self.timed_out = now >= deadline
                note = (
                    f"killed after {timeout:g} s timeout"
                    if self.timed_out
                    else "killed: agent stopping"
                )
                killed_at = self._signal(signal.SIGTERM, now)
            elif killed_at is not None and now - killed_at >= KILL_GRACE:
                self._signal(signal.SIGKILL, now)
                killed_at = float("inf")  # sent once
            if exited_at is None and self.proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at >= PIPE_GRACE:
                break  # background children still hold the pipes; do not wait for them
            # Wake at least once a second to notice a stop request or an exited script.
            wait = 1.0 if killed_at is not None else min(1.0, max(0.01, deadline - now))
            for key, _ in self._selector.select(timeout=wait):
                self._service(key)
        self._close()
        try:
            self.proc.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL, time.monotonic())
            self.proc.wait()
        return note

    def _service(self, key: selectors.SelectorKey) -> None:
        stream = key.data
        if stream == 0:
            assert self._stdin is not None
            try:
                written = os.write(key.fd, self._stdin[:65536])
            except BrokenPipeError:
                written = len(self._stdin)
            self._stdin = self._stdin[written:]
            if not self._stdin:
                self._selector.unregister(key.fileobj)
                key.fileobj.close()  # type: ignore[union-attr]
            return
        chunk = os.read(key.fd, 65536)
        if not chunk:
            self._selector.unregister(key.fileobj)
            return
        room = self.cap - len(self._buffers[stream])
        if len(chunk) > room:
            self.truncated = True
        if room > 0:
            self._buffers[stream] += chunk[:room]

    def _signal(self, signum: int, now: float) -> float:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)
        return now

    def _close(self) -> None:
        for key in list(self._selector.get_map().values()):
            self._selector.unregister(key.fileobj)
        self._selector.close()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def text(self, stream: int) -> str:
        return bytes(self._buffers[stream]).decode("utf-8", errors="replace")
