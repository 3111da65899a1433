"""The ping endpoints as a lean ASGI app, in front of Django in the `web` process.

Why: under ASGI, every request through Django's middleware chain hops between the event loop and
sync threads about twenty times (each sync middleware twice) and starts a thread for the request
context; a ping does three SQL statements, so those hops were most of its cost (docs/benchmarks.md).
This app answers exactly what openmsp.heartbeats.ping_views answers under WSGI (the tests run both
side by side), stores the ping with the same `record_ping` on a small pool of threads (commits of
concurrent pings overlap; PostgreSQL groups them), and sends "OK" only after the commit.

Skipped on purpose for these URLs, which carry no session and return no data: sessions, CSRF,
authentication, messages, security headers for HTML, ALLOWED_HOSTS.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from openmsp.heartbeats.models import BODY_LIMIT, Ping
from openmsp.heartbeats.ping_actions import Signal, record_ping

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Coroutine[Any, Any, None]]

log = logging.getLogger("openmsp.heartbeats")
PREFIX = "/ping/"
METHODS = ("GET", "POST", "HEAD")
# Below the per-process connection pool (OPENMSP_DB_POOL_SIZE, default 8): Django's own requests
# keep the rest.
PING_THREADS = 4
# The same shapes as openmsp/heartbeats/ping_urls.py (Django's uuid converter: lower-case hex).
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_PATH = re.compile(rf"^/ping/(?P<key>{_UUID})(?:/(?P<suffix>start|fail|log|[0-9]+))?$")
_KINDS: dict[str | None, str] = {
    None: Ping.Kind.SUCCESS,
    "start": Ping.Kind.START,
    "fail": Ping.Kind.FAIL,
    "log": Ping.Kind.LOG,
}
_executor = ThreadPoolExecutor(max_workers=PING_THREADS, thread_name_prefix="openmsp-ping")


def _store(key: uuid.UUID, signal: Signal) -> Ping | None:
    try:
        return record_ping(key, signal)
    finally:
        close_old_connections()  # as at the end of a request: the connection goes back


async def _body(receive: Receive) -> bytes:
    """The first BODY_LIMIT + 1 bytes; the rest is read and dropped, never held."""
    kept = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        if len(kept) <= BODY_LIMIT:
            kept += message.get("body", b"")[: BODY_LIMIT + 1 - len(kept)]
        more = bool(message.get("more_body", False))
    return kept


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _client_ip(scope: Scope) -> str:
    """As openmsp.core.middleware does: X-Forwarded-For only from a trusted proxy."""
    remote = str((scope.get("client") or ("",))[0])
    forwarded = _header(scope, b"x-forwarded-for")
    if forwarded and remote in getattr(settings, "OPENMSP_TRUSTED_PROXIES", []):
        return forwarded.split(",")[-1].strip()
    return remote


async def _answer(send: Send, status: int, text: str, method: str, extra: dict[str, str]) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-robots-tag", b"noindex"),
        *((k.encode(), v.encode()) for k, v in extra.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


async def _decide(scope: Scope, receive: Receive) -> tuple[int, str, dict[str, str]]:
    method = str(scope.get("method", "GET"))
    match = _PATH.match(str(scope.get("path", "")))
    if match is None:
        return 404, "not found", {}
    if method not in METHODS:
        return 405, "method not allowed", {"allow": ", ".join(METHODS)}
    suffix = match.group("suffix")
    exit_status = int(suffix) if suffix is not None and suffix.isdigit() else None
    if exit_status is not None and exit_status > 255:
        return 400, "the exit status must be 0-255", {}
    kind = _KINDS.get(suffix, Ping.Kind.SUCCESS if exit_status == 0 else Ping.Kind.FAIL)
    signal = Signal(
        kind=kind,
        at=timezone.now(),
        exit_status=exit_status,
        method=method,
        remote_addr=_client_ip(scope),
        user_agent=_header(scope, b"user-agent"),
        body=await _body(receive) if method == "POST" else b"",
    )
    loop = asyncio.get_running_loop()
    try:
        ping = await loop.run_in_executor(
            _executor, functools.partial(_store, uuid.UUID(match.group("key")), signal)
        )
    except DatabaseError:
        log.exception("ping for a heartbeat could not be stored")
        return 503, "try again later", {}
    return (200, "OK", {}) if ping is not None else (404, "not found", {})


async def ping_app(scope: Scope, receive: Receive, send: Send) -> None:
    status, text, extra = await _decide(scope, receive)
    await _answer(send, status, text, str(scope.get("method", "GET")), extra)


def with_pings(django_app: Any) -> ASGIApp:
    """The web process's ASGI app: /ping/… here, everything else to Django."""

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PREFIX):
            await ping_app(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return application
