"""The agent's current credentials, and whether the server has cut it off.

A revoked agent stops sending (its outbox is kept) until an operator enrolls it again; the new
``credentials.json`` is noticed here and sending resumes without a restart.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from openmsp_agent.config import ConfigError, Credentials

log = logging.getLogger("openmsp_agent.auth")


class CredentialStore:
    def __init__(
        self, path: Path, credentials: Credentials, *, recheck_seconds: float = 30.0
    ) -> None:
        self.path = path
        self._credentials = credentials
        self._recheck = recheck_seconds
        self._revoked = threading.Event()
        self._lock = threading.Lock()

    def current(self) -> Credentials:
        with self._lock:
            return self._credentials

    @property
    def revoked(self) -> bool:
        return self._revoked.is_set()

    def mark_revoked(self, detail: str) -> None:
        if not self._revoked.is_set():
            log.error(
                "The server refused this agent (%s). Sending and command polling are stopped; "
                "collected data stays in the outbox. Re-enroll with `openmsp-agent enroll "
                "--token <new token>` and the agent resumes by itself.",
                detail,
            )
        self._revoked.set()

    def wait_while_revoked(self, stop: threading.Event) -> None:
        """Block while revoked, re-reading credentials.json until it holds a different secret."""
        while self._revoked.is_set() and not stop.is_set():
            if self.reload_if_changed():
                return
            stop.wait(self._recheck)

    def reload_if_changed(self) -> bool:
        """Pick up credentials.json rewritten by `openmsp-agent enroll`; True when they changed."""
        try:
            fresh = Credentials.load(self.path)
        except ConfigError as exc:
            log.warning("%s", exc)
            return False
        with self._lock:
            if fresh is None or fresh.agent_secret == self._credentials.agent_secret:
                return False
            self._credentials = fresh
        self._revoked.clear()
        log.info("New credentials found in %s; using them.", self.path)
        return True
