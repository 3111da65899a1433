"""The public ping endpoints, `/ping/<key>[/start|/fail|/log|/<exit status>]`, GET, POST or HEAD.

No session, no CSRF token, no other credential than the key in the URL: a crontab line with curl
is all a job needs. The answer "OK" is sent only after the ping and what it changed are
committed, so a job told "OK" never loses its ping to a crash. An unknown key is a plain 404 that
says nothing about which keys exist; a key only ever reaches its own heartbeat, and the answer
carries no tenant data.

Rate limiting per key and per address is issue 7 (not yet: a job pinging in a loop is stored).

These views answer under WSGI (the test client, the test live server, runserver). The `web`
process (ASGI) answers the same URLs with openmsp.heartbeats.asgi_ping before Django's middleware
chain; openmsp/heartbeats/tests/test_asgi_pings.py keeps the two in step.
"""

from __future__ import annotations

import logging
import uuid

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from openmsp.core.context import current_ip
from openmsp.heartbeats.models import BODY_LIMIT, Ping
from openmsp.heartbeats.ping_actions import Signal, record_ping

log = logging.getLogger("openmsp.heartbeats")
METHODS = ("GET", "POST", "HEAD")


def _text(body: str, status: int) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    # Crawlers and link previews should not ping, and proxies must not answer for us.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _body(request: HttpRequest) -> bytes:
    if request.method != "POST":
        return b""
    # One byte more than kept tells us it was cut; the rest is never read into memory here.
    return request.read(BODY_LIMIT + 1)


def _signal(request: HttpRequest, kind: str, exit_status: int | None) -> Signal:
    return Signal(
        kind=kind,
        at=timezone.now(),
        exit_status=exit_status,
        method=str(request.method),
        remote_addr=current_ip() or "",
        user_agent=request.headers.get("User-Agent", ""),
        body=_body(request),
    )


def _ping(
    request: HttpRequest, key: uuid.UUID, kind: str, exit_status: int | None = None
) -> HttpResponse:
    if request.method not in METHODS:
        response = _text("method not allowed", 405)
        response["Allow"] = ", ".join(METHODS)
        return response
    try:
        ping = record_ping(key, _signal(request, kind, exit_status))
    except DatabaseError:
        log.exception("ping for a heartbeat could not be stored")
        return _text("try again later", 503)
    if ping is None:
        return _text("not found", 404)
    return _text("OK", 200)


@csrf_exempt
def success(request: HttpRequest, ping_key: uuid.UUID) -> HttpResponse:
    return _ping(request, ping_key, Ping.Kind.SUCCESS)


@csrf_exempt
def start(request: HttpRequest, ping_key: uuid.UUID) -> HttpResponse:
    return _ping(request, ping_key, Ping.Kind.START)


@csrf_exempt
def fail(request: HttpRequest, ping_key: uuid.UUID) -> HttpResponse:
    return _ping(request, ping_key, Ping.Kind.FAIL)


@csrf_exempt
def log_message(request: HttpRequest, ping_key: uuid.UUID) -> HttpResponse:
    return _ping(request, ping_key, Ping.Kind.LOG)


@csrf_exempt
def exit_status(request: HttpRequest, ping_key: uuid.UUID, status: int) -> HttpResponse:
    if status > 255:
        return _text("the exit status must be 0-255", 400)
    return _ping(request, ping_key, Ping.Kind.SUCCESS if status == 0 else Ping.Kind.FAIL, status)


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /ping/ (a mistyped key): the same 404 an unknown key gets."""
    return _text("not found", 404)
