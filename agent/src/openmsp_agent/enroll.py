"""Enrollment: trade a one-time enrollment token for this host's agent id, secret and command key."""

from __future__ import annotations

import base64
import binascii
import json
import socket
import sys
from typing import Any

from openmsp_agent import __version__
from openmsp_agent.config import ConfigError, Credentials, Intervals
from openmsp_agent.transport import Transport, TransportError

ENROLL_PATH = "/agent/v1/enroll"


class EnrollError(Exception):
    """Enrollment failed; ``retryable`` tells whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def os_name() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("win"):
        return "windows"
    return sys.platform


def enroll(transport: Transport, *, server: str, token: str, machine_id: str) -> Credentials:
    body = {
        "enrollment_token": token,
        "machine_id": machine_id,
        "hostname": socket.gethostname(),
        "os": os_name(),
        "agent_version": __version__,
    }
    try:
        response = transport.send("POST", ENROLL_PATH, json.dumps(body).encode())
    except TransportError as exc:
        raise EnrollError(f"Could not reach {server}: {exc}", retryable=True) from exc
    if response.status == 401:
        raise EnrollError(
            f"The server refused the enrollment token ({response.detail()}): it is unknown, "
            "expired, revoked or used up. Create a new token for this client and try again.",
            retryable=False,
        )
    if response.status >= 500 or response.status == 429:
        raise EnrollError(f"Server error {response.status}: {response.detail()}", retryable=True)
    if response.status not in (200, 201):
        raise EnrollError(
            f"Enrollment failed with HTTP {response.status}: {response.detail()}", retryable=False
        )
    return _credentials(server, response.json())


def _credentials(server: str, data: Any) -> Credentials:
    if not isinstance(data, dict):
        raise EnrollError("The enrollment answer is not a JSON object.", retryable=False)
    try:
        key = str(data["command_public_key"])
        if len(base64.b64decode(key, validate=True)) != 32:
            raise ValueError("not 32 bytes")
        return Credentials(
            server=server,
            agent_id=str(data["agent_id"]),
            agent_secret=str(data["agent_secret"]),
            command_public_key=key,
            intervals=Intervals.from_mapping(data.get("intervals"), source="enrollment answer"),
            jitter_seconds=float(data.get("jitter_seconds") or 0.0),
        )
    except (KeyError, TypeError, ValueError, binascii.Error, ConfigError) as exc:
        raise EnrollError(
            f"The enrollment answer is incomplete or invalid: {exc}", retryable=False
        ) from exc
