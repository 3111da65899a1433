"""`POST /agent/v1/batches` in the `web` process, without Django's request handler (ADR 0007).

A fleet sends the platform most of its requests as metric batches. Through Django's ASGI handler
each one built a request from the ASGI scope, resolved the URL, sent the request signals, and
started a thread of its own for the sync view (Django gives every request a fresh thread-sensitive
context, so a new one-thread executor), then handed the answer back; the view itself is a few SQL
round trips (`batch_sql`). Here the same view runs, unchanged, behind the same middleware the
slim agent stack has (`RequestContextMiddleware`: request id, client IP, response headers), on a
small pool of long-lived threads, each keeping its database connection between batches as a
Django request thread would between requests.

Everything the view decides (authentication, idempotency, validation, refusals, 503 on database
trouble) stays in `views.batches`; this module only moves bytes between ASGI and that view. The
Django route stays for WSGI, runserver and the test client; `tests/test_asgi_batches.py` sends the
same requests through both and asserts identical answers.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from openmsp.agent_api import views
from openmsp.core.asgi_io import read_capped_body
from openmsp.core.middleware import RequestContextMiddleware

Scope = Mapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

log = logging.getLogger("openmsp.agent_api")
PATH = "/agent/v1/batches"

# Headers that WSGI/ASGI servers put into META without the HTTP_ prefix.
_UNPREFIXED = {"CONTENT_LENGTH", "CONTENT_TYPE"}


def _view(request: HttpRequest) -> HttpResponseBase:
    return views.batches(request)


_chain = RequestContextMiddleware(_view)


def _meta(scope: Scope) -> dict[str, str]:
    """META as Django's ASGIRequest builds it, for what the view and the middleware read."""
    client = scope.get("client") or ("", 0)
    meta = {
        "REQUEST_METHOD": str(scope.get("method", "")),
        "PATH_INFO": PATH,
        "QUERY_STRING": bytes(scope.get("query_string", b"")).decode("latin-1"),
        "REMOTE_ADDR": str(client[0]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = bytes(raw_name).decode("latin-1").upper().replace("-", "_")
        key = name if name in _UNPREFIXED else f"HTTP_{name}"
        value = bytes(raw_value).decode("latin-1")
        meta[key] = f"{meta[key]},{value}" if key in meta else value
    return meta


def _request(scope: Scope, body: bytes) -> HttpRequest:
    request = HttpRequest()
    request.method = str(scope.get("method", ""))
    request.path = request.path_info = PATH
    request.META = _meta(scope)
    request._stream = io.BytesIO(body)  # what request.read() reads
    return request


def _respond(scope: Scope, body: bytes) -> HttpResponseBase:
    """One request, as Django's handler would run it: connections checked before and given back
    after (the request_started / request_finished signals' work), unexpected errors logged."""
    close_old_connections()
    try:
        response: HttpResponseBase = _chain(_request(scope, body))
        return response
    except Exception:
        log.exception("agent batch failed")
        return JsonResponse({"detail": "The server failed on this batch; retry later."}, status=500)
    finally:
        close_old_connections()


async def _send(send: Send, response: HttpResponseBase) -> None:
    content = response.content  # type: ignore[attr-defined]
    headers = [
        (name.encode("latin-1"), str(value).encode("latin-1"))
        for name, value in response.items()
        if name.lower() != "content-length"
    ]
    headers.append((b"content-length", str(len(content)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class BatchApp:
    """At most *slots* batches in threads at once; the surplus waits in the event loop (where a
    waiting request costs nothing) rather than in hundreds of threads contending for the GIL and
    the connection pool."""

    def __init__(self, slots: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="openmsp-batch")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The body is read by the view's own limit (413 beyond it), before a thread is taken.
        body = await read_capped_body(receive, views.MAX_BATCH_BYTES)
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self._executor, _respond, scope, body)
        await _send(send, response)
