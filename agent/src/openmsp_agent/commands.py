"""Signed commands: long-poll for them, verify every one, run the good ones, report every outcome.

A command is refused (reported with ``refused`` and NOT run) when it is unsigned, badly signed,
addressed to another agent, past its ``not_after``, already run (replay), or not runnable here.
Its id is recorded as run BEFORE it starts, so a crash mid-run can never make it run twice.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openmsp_agent.auth import CredentialStore
from openmsp_agent.encoding import canonical_json, parse_rfc3339
from openmsp_agent.executor import UnknownUser, identity, run_script
from openmsp_agent.outbox import Outbox, connect
from openmsp_agent.signatures import VerificationUnavailable, Verifier, verify_in_child
from openmsp_agent.timing import Backoff
from openmsp_agent.transport import Outcome, Transport, TransportError, classify

log = logging.getLogger("openmsp_agent.commands")

REPLAY_MEMORY = 7 * 24 * 3600.0
MAX_PARALLEL = 4


class Refused(Exception):
    """The command must not run; ``reason`` is what the server is told."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ExecutedLog:
    """Ids of commands already run, kept 7 days and at least until their ``not_after`` has passed."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._conn = connect(path)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS executed ("
            " command_id TEXT PRIMARY KEY, executed_at REAL NOT NULL, not_after REAL NOT NULL)"
        )

    def claim(self, command_id: str, not_after: float, *, now: float | None = None) -> bool:
        """Record the id as run; False when it already was (a replay)."""
        now = time.time() if now is None else now
        with self._lock:
            self._conn.execute(
                "DELETE FROM executed WHERE executed_at < ? AND not_after < ?",
                (now - REPLAY_MEMORY, now),
            )
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO executed (command_id, executed_at, not_after) VALUES (?, ?, ?)",
                (command_id, now, not_after),
            )
            return cursor.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def verify(
    command: dict[str, Any],
    *,
    public_key: str,
    agent_id: str,
    executed: ExecutedLog,
    verifier: Verifier = verify_in_child,
    now: float | None = None,
) -> None:
    """Raise Refused unless the command is authentic, ours, current and new; claims its id."""
    signature = command.get("signature")
    if not isinstance(signature, str) or not signature:
        raise Refused("unsigned")
    unsigned = {key: value for key, value in command.items() if key != "signature"}
    try:
        authentic = verifier(public_key, canonical_json(unsigned), signature)
    except VerificationUnavailable as exc:
        raise Refused(f"signature not checked: {exc}") from exc
    if not authentic:
        raise Refused("bad signature")
    if command.get("agent_id") != agent_id:
        raise Refused("addressed to another agent")
    now = time.time() if now is None else now
    try:
        not_after = parse_rfc3339(str(command["not_after"]))
    except (KeyError, ValueError):
        raise Refused("expired: not_after is missing or not an RFC 3339 time") from None
    if not_after <= now:
        raise Refused("expired")
    _check_runnable(command)
    try:
        claimed = executed.claim(str(command["id"]), not_after, now=now)
    except sqlite3.Error as exc:
        raise Refused(
            f"agent state not writable ({exc}); not run to avoid running it twice"
        ) from exc
    if not claimed:
        raise Refused("replay: already run")


def _check_runnable(command: dict[str, Any]) -> None:
    if command.get("kind") != "shell":
        raise Refused(f"unsupported kind {command.get('kind')!r}")
    if not isinstance(command.get("script"), str):
        raise Refused("invalid: script must be a string")
    interpreter = command.get("interpreter") or "/bin/sh"
    if not isinstance(interpreter, str) or not _executable(interpreter):
        raise Refused(f"invalid: interpreter {interpreter!r} not found")
    timeout = command.get("timeout_seconds", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise Refused("invalid: timeout_seconds must be a positive number")
    try:
        identity(command.get("run_as"))
    except UnknownUser:
        raise Refused(
            f"invalid: run_as user {command.get('run_as')!r} does not exist here"
        ) from None


def _executable(path: str) -> bool:
    if os.path.isabs(path):
        return os.path.isfile(path) and os.access(path, os.X_OK)
    return shutil.which(path) is not None


def refusal(reason: str) -> dict[str, Any]:
    return {
        "exit_code": None,
        "stdout": "",
        "stderr": "",
        "started_at": None,
        "finished_at": None,
        "truncated": False,
        "refused": reason,
    }


class CommandPoller:
    """Long-polls ``GET /agent/v1/commands?wait=N`` and hands verified commands to worker threads."""

    def __init__(
        self,
        transport: Transport,
        outbox: Outbox,
        executed: ExecutedLog,
        credentials: CredentialStore,
        *,
        wait_seconds: float = 25.0,
        on_result: Callable[[], None] = lambda: None,
        backoff: Backoff | None = None,
        verifier: Verifier = verify_in_child,
    ) -> None:
        self.transport = transport
        self.outbox = outbox
        self.executed = executed
        self.credentials = credentials
        self.wait_seconds = int(wait_seconds)
        self.on_result = on_result
        self.backoff = backoff or Backoff()
        self._slots = threading.BoundedSemaphore(MAX_PARALLEL)
        self._running: set[threading.Thread] = set()
        self.verifier = verifier

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self.credentials.revoked:
                self.credentials.wait_while_revoked(stop)
                continue
            started = time.monotonic()
            commands = self.poll_once()
            if commands is None:
                stop.wait(self.backoff.next_delay())
                continue
            self.backoff.reset()
            for command in commands:
                self.handle(command, stop)
            if not commands and time.monotonic() - started < 1.0:
                # The server answered at once with nothing: do not turn the long poll into a spin.
                stop.wait(self.wait_seconds)

    def poll_once(self) -> list[dict[str, Any]] | None:
        """The queued commands; None when the poll failed and should be retried later."""
        path = f"/agent/v1/commands?wait={self.wait_seconds}"
        try:
            response = self.transport.send("GET", path, timeout=self.wait_seconds + 30)
        except TransportError as exc:
            log.debug("Command poll failed: %s", exc)
            return None
        outcome = classify(response)
        if outcome is Outcome.REVOKED:
            self.credentials.mark_revoked(response.detail())
            return []
        if outcome is Outcome.AUTH_FAILED and self.credentials.reload_if_changed():
            return []  # re-enrolled while running: poll again at once with the new secret
        if outcome is not Outcome.DELIVERED:
            log.warning("Command poll answered HTTP %s: %s", response.status, response.detail())
            return None
        data = response.json()
        commands = data.get("commands") if isinstance(data, dict) else None
        if not isinstance(commands, list):
            log.warning("Command poll answer has no 'commands' list; ignored.")
            return None
        return [c for c in commands if isinstance(c, dict)]

    def handle(self, command: dict[str, Any], stop: threading.Event) -> None:
        command_id = command.get("id")
        if not isinstance(command_id, str) or not command_id:
            log.error("Ignoring a command without an id: %s", json.dumps(command)[:200])
            return
        credentials = self.credentials.current()
        try:
            verify(
                command,
                public_key=credentials.command_public_key,
                agent_id=credentials.agent_id,
                executed=self.executed,
                verifier=self.verifier,
            )
        except Refused as refused:
            log.warning("Refused command %s: %s", command_id, refused.reason)
            self._report(command_id, refusal(refused.reason))
            return
        self._slots.acquire()
        worker = threading.Thread(
            target=self._execute,
            args=(command, stop),
            name=f"command-{command_id[:8]}",
            daemon=True,
        )
        self._running.add(worker)
        worker.start()

    def _execute(self, command: dict[str, Any], stop: threading.Event) -> None:
        command_id = str(command["id"])
        try:
            log.info("Running command %s as %s", command_id, command.get("run_as") or "agent user")
            try:
                execution = run_script(
                    interpreter=str(command.get("interpreter") or "/bin/sh"),
                    script=str(command["script"]),
                    timeout=float(command.get("timeout_seconds", 60)),
                    run_as=command.get("run_as"),
                    stop=stop,
                )
            except Exception as exc:  # the server must hear about it whatever happened
                log.exception("Command %s could not run", command_id)
                result = {
                    **refusal(""),
                    "refused": None,
                    "stderr": f"[openmsp-agent] could not run: {exc}",
                }
            else:
                log.info("Command %s finished with exit code %s", command_id, execution.exit_code)
                result = execution.as_result()
            self._report(command_id, result)
        finally:
            self._slots.release()
            self._running.discard(threading.current_thread())

    def _report(self, command_id: str, result: dict[str, Any]) -> None:
        self.outbox.put_result(command_id, result)
        self.on_result()

    def join(self, timeout: float) -> None:
        """Wait for running commands (they kill their scripts once ``stop`` is set)."""
        deadline = time.monotonic() + timeout
        for worker in list(self._running):
            worker.join(max(0.0, deadline - time.monotonic()))
