"""The agent's only way out: signed HTTP(S) requests to the server, and what their answers mean.

The rest of the agent depends on the ``Transport`` protocol (``send(method, path, body)``), so tests
can swap the network for a fake; ``HttpTransport`` is the real one, built on the standard library to
keep the agent's memory small.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from openmsp_agent import __version__
from openmsp_agent.config import Credentials

log = logging.getLogger("openmsp_agent.transport")

DEFAULT_TIMEOUT = 30.0


class TransportError(Exception):
    """The request did not get an HTTP answer: refused, reset, timed out, TLS failure."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def detail(self) -> str:
        data = self.json()
        if isinstance(data, dict) and "detail" in data:
            return str(data["detail"])
        return self.body[:200].decode("utf-8", "replace")


class Transport(Protocol):
    def send(
        self, method: str, path: str, body: bytes | None = None, *, timeout: float | None = None
    ) -> Response: ...

    def close(self) -> None: ...


def signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, timestamp.method.path.body)>`` as the protocol defines."""
    message = f"{timestamp}.{method}.{path}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def auth_headers(
    credentials: Credentials, method: str, path: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Authorization": f"Agent {credentials.agent_id}",
        "X-OpenMSP-Timestamp": timestamp,
        "X-OpenMSP-Signature": signature(credentials.agent_secret, timestamp, method, path, body),
    }


def make_ssl_context(ca_bundle: Path | None, *, insecure_skip_verify: bool) -> ssl.SSLContext:
    """Verifying context (system store, or the given CA bundle); unverified only when asked."""
    if insecure_skip_verify:
        log.warning(
            "TLS CERTIFICATE VERIFICATION IS DISABLED (--insecure-skip-verify). Anyone on the "
            "network path can impersonate the server. Use this for tests only."
        )
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)


class HttpTransport:
    """Keep-alive HTTP(S) client; one connection per calling thread (http.client is not thread safe)."""

    def __init__(
        self,
        server_url: str,
        *,
        credentials: Callable[[], Credentials | None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        wall: Callable[[], float] = time.time,
    ) -> None:
        parsed = urllib.parse.urlsplit(server_url)
        self._wall = wall
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"server URL {server_url!r} must be http(s)://host[:port][/prefix]")
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self._credentials = credentials
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()
        self._closed = False
        if not self._https:
            log.warning("Server URL %s is plain HTTP: nothing is encrypted.", server_url)

    def send(
        self, method: str, path: str, body: bytes | None = None, *, timeout: float | None = None
    ) -> Response:
        target = self._prefix + path
        signed_path = urllib.parse.urlsplit(target).path
        payload = body or b""
        headers = {
            "User-Agent": f"openmsp-agent/{__version__}",
            "Accept": "application/json",
            "Content-Length": str(len(payload)),
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        credentials = self._credentials() if self._credentials else None
        if credentials is not None:
            headers.update(
                auth_headers(credentials, method, signed_path, payload, now=self._wall())
            )
        return self._request(method, target, payload, headers, timeout or self._timeout)

    def _request(
        self, method: str, target: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        for attempt in (1, 2):
            conn, reused = self._connection()
            try:
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.request(method, target, body=body, headers=headers)
                raw = conn.getresponse()
                data = raw.read()
                response_headers = {name.lower(): value for name, value in raw.getheaders()}
                if raw.will_close:
                    self._drop(conn)
                return Response(raw.status, data, response_headers)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(conn)
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: retry once, fresh
                raise TransportError(f"connection lost: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(conn)
                raise TransportError(_describe(exc)) from exc
        raise AssertionError("unreachable")

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        with self._lock:
            if self._closed:
                raise TransportError("transport closed")
            if self._https:
                conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=self._ssl_context
                )
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._all.add(conn)
        self._local.conn = conn
        return conn, False

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self._lock:
            self._all.discard(conn)
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None

    def close(self) -> None:
        """Close every connection, unblocking any thread waiting in a long poll."""
        with self._lock:
            self._closed = True
            connections = list(self._all)
            self._all.clear()
        for conn in connections:
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            conn.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate verification failed ({exc.verify_message}); "
            "pass --ca-bundle for a private CA"
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


class Outcome(enum.Enum):
    DELIVERED = "delivered"  # 2xx
    DUPLICATE = "duplicate"  # 200 {"duplicate": true}: the server already has it
    RETRY = "retry"  # no answer, 5xx, 429, 408: back off and send the same thing again
    REVOKED = "revoked"  # 401 "agent revoked": stop sending until re-enrolled
    AUTH_FAILED = "auth_failed"  # other 401 (clock skew, stale secret): retry slowly
    NEED_FULL = "need_full"  # 409 need_full: the server wants a full inventory snapshot
    MALFORMED = "malformed"  # 422: the server will never accept this; drop it
    REJECTED = "rejected"  # any other answer: keep it, complain, retry slowly


def classify(response: Response) -> Outcome:
    status = response.status
    if 200 <= status < 300:
        data = response.json()
        if isinstance(data, dict) and data.get("duplicate") is True:
            return Outcome.DUPLICATE
        return Outcome.DELIVERED
    if status >= 500 or status in (408, 429):
        return Outcome.RETRY
    if status == 401:
        return Outcome.REVOKED if "revoked" in response.detail().lower() else Outcome.AUTH_FAILED
    if status == 409:
        data = response.json()
        if isinstance(data, dict) and data.get("need_full") is True:
            return Outcome.NEED_FULL
        return Outcome.REJECTED
    if status == 422:
        return Outcome.MALFORMED
    return Outcome.REJECTED


def retry_after(response: Response) -> float | None:
    """Seconds from a Retry-After header given in seconds (the HTTP-date form is ignored)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
