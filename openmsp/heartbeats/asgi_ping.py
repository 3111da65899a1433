"""The ping endpoints as a lean ASGI app, in front of Django in the `web` process.

Why: under ASGI, every request through Django's middleware chain hops between the event loop and
sync threads about twenty times (each sync middleware twice) and starts a thread for the request
context; a ping does three SQL statements, so those hops were most of its cost (docs/benchmarks.md).
This app answers exactly what openmsp.heartbeats.ping_views answers under WSGI (the tests run both
side by side) and sends "OK" only after the ping's commit. Pings that arrive while earlier ones are
being stored wait for the next free batch slot and are then stored together, in one transaction
(`record_pings`): a lone ping is stored at once, and under load the cost of a commit and of the
round trips is shared by every ping of a batch instead of paid per ping.

Skipped on purpose for these URLs, which carry no session and return no data: sessions, CSRF,
authentication, messages, security headers for HTML, ALLOWED_HOSTS.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
import weakref
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from openmsp.core.asgi_io import read_capped_body
from openmsp.heartbeats.models import BODY_LIMIT, Ping
from openmsp.heartbeats.ping_actions import Signal, record_ping, record_pings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Coroutine[Any, Any, None]]

log = logging.getLogger("openmsp.heartbeats")
PREFIX = "/ping/"
METHODS = ("GET", "POST", "HEAD")
# Batches being stored at once, each on its own thread and connection; below the per-process
# connection pool (OPENMSP_DB_POOL_SIZE, default 8): Django's own requests keep the rest.
BATCH_SLOTS = 2
MAX_BATCH = 500  # pings per transaction
# The same shapes as openmsp/heartbeats/ping_urls.py (Django's uuid converter: lower-case hex).
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_PATH = re.compile(rf"^/ping/(?P<key>{_UUID})(?:/(?P<suffix>start|fail|log|[0-9]+))?$")
_KINDS: dict[str | None, str] = {
    None: Ping.Kind.SUCCESS,
    "start": Ping.Kind.START,
    "fail": Ping.Kind.FAIL,
    "log": Ping.Kind.LOG,
}
_executor = ThreadPoolExecutor(max_workers=BATCH_SLOTS, thread_name_prefix="openmsp-ping")
Stored = Ping | None | BaseException


def _store(batch: list[tuple[uuid.UUID, Signal]]) -> list[Stored]:
    """Store a batch in one transaction; if that fails, each ping on its own, so one bad ping
    (or a deadlock victim) costs only its own answer."""
    try:
        try:
            return list(record_pings(batch))
        except DatabaseError:
            if len(batch) == 1:
                raise
            log.warning("a batch of %d pings failed; storing them one by one", len(batch))
        each: list[Stored] = []
        for key, signal in batch:
            try:
                each.append(record_ping(key, signal))
            except DatabaseError as error:
                each.append(error)
        return each
    finally:
        close_old_connections()  # as at the end of a request: the connection goes back


class _Batcher:
    """Hands pings to at most BATCH_SLOTS concurrent transactions, grouping those that wait."""

    def __init__(self) -> None:
        self._waiting: list[tuple[uuid.UUID, Signal, asyncio.Future[Stored]]] = []
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def store(self, key: uuid.UUID, signal: Signal) -> Stored:
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, signal, future))
        if self._active < BATCH_SLOTS:
            self._active += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    results = await loop.run_in_executor(
                        _executor, _store, [(key, signal) for key, signal, _f in batch]
                    )
                except BaseException as error:  # never leave a request waiting for ever
                    results = [error] * len(batch)
                for (_key, _signal, future), result in zip(batch, results, strict=True):
                    if not future.done():  # the client may have gone
                        future.set_result(result)
        finally:
            self._active -= 1


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = (
    weakref.WeakKeyDictionary()
)  # one per event loop (one per worker process in production)


def _batcher() -> _Batcher:
    loop = asyncio.get_running_loop()
    if loop not in _batchers:
        _batchers[loop] = _Batcher()
    return _batchers[loop]


async def _body(receive: Receive) -> bytes:
    return await read_capped_body(receive, BODY_LIMIT)


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
    stored = await _batcher().store(uuid.UUID(match.group("key")), signal)
    if isinstance(stored, DatabaseError):
        log.error("ping for a heartbeat could not be stored: %s", stored)
        return 503, "try again later", {}
    if isinstance(stored, BaseException):
        raise stored
    return (200, "OK", {}) if stored is not None else (404, "not found", {})


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
