"""The web process answers pings with a lean ASGI app in front of Django (asgi_ping.py); under
WSGI (the test client, the test live server) Django's ping views answer. Both must say the same
thing for every URL, and both must store the ping before "OK"."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
from django.test import Client as HttpClient

from openmsp.asgi import application
from openmsp.heartbeats.models import BODY_LIMIT, Heartbeat, Ping
from openmsp.heartbeats.tests.conftest import make_heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def asgi(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[bytes, bytes]]:
    """One request through openmsp.asgi.application, as uvicorn would send it."""
    sent: list[dict[str, Any]] = []
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)] or [b""]
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), *raw], "client": ("127.0.0.1", 40000),
             "server": ("127.0.0.1", 8000), "scheme": "http", "http_version": "1.1", "asgi": {"version": "3.0"}}  # fmt: skip

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # no disconnect while the answer is on its way
        raise AssertionError("unreachable")

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(application(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body_out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body_out, dict(start["headers"])


@pytest.fixture
def job(client_a: Any) -> Heartbeat:
    return make_heartbeat(client_a, "export", period_seconds=3600)


CASES = [
    ("GET", ""), ("POST", ""), ("HEAD", ""), ("GET", "/start"), ("GET", "/fail"), ("GET", "/log"),
    ("GET", "/0"), ("GET", "/1"), ("GET", "/255"), ("GET", "/256"), ("GET", "/"), ("GET", "/start/"),
    ("GET", "/other"), ("DELETE", ""), ("PUT", "/start"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "suffix"), CASES)
def test_the_asgi_app_and_the_django_views_give_the_same_answer(job, method, suffix):
    path = f"/ping/{job.ping_key}{suffix}"
    status, body, _ = asgi(method, path)
    django = HttpClient().generic(method, path)
    assert (status, body if method != "HEAD" else b"") == (
        django.status_code,
        django.content if method != "HEAD" else b"",
    )


@pytest.mark.parametrize(
    "path", [f"/ping/{uuid.uuid4()}", "/ping/", "/ping/NOT-A-KEY", "/ping/x/y/z"]
)
def test_unknown_and_malformed_ping_urls_are_the_same_plain_404(path):
    assert asgi("GET", path)[:2] == (404, b"not found")
    assert HttpClient().get(path).content == b"not found"


def test_an_ok_from_the_asgi_app_means_the_ping_is_stored(job):
    status, body, headers = asgi(
        "POST", f"/ping/{job.ping_key}/3", b"disk full", {"User-Agent": "curl/8.5"}
    )
    assert (status, body) == (200, b"OK")
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    ping = Ping.objects.get(heartbeat=job)
    assert (ping.kind, ping.exit_status, ping.body, ping.user_agent, ping.remote_addr) == (
        "fail", 3, "disk full", "curl/8.5", "127.0.0.1",
    )  # fmt: skip
    assert Heartbeat.objects.get(pk=job.pk).state == Heartbeat.State.FAILED


def test_a_long_body_through_the_asgi_app_is_kept_to_the_limit_and_flagged(job):
    assert asgi("POST", f"/ping/{job.ping_key}", b"y" * (BODY_LIMIT * 3))[:2] == (200, b"OK")
    ping = Ping.objects.get(heartbeat=job)
    assert len(ping.body) == BODY_LIMIT
    assert ping.body_truncated


def test_other_urls_still_reach_django(job):
    status, body, _ = asgi("GET", "/healthz")
    assert status == 200
    assert b"ok" in body
