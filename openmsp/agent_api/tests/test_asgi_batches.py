"""`POST /agent/v1/batches` in the web process skips Django's request handler (asgi_batches.py,
ADR 0007); under WSGI and the test client Django's route answers. Both must give the same answer
to every request, and the lean one must store what it acknowledges."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from openmsp import asgi
from openmsp.agent_api import actions, views
from openmsp.agent_api.models import AgentBatch
from openmsp.agent_api.tests.agents import SYSTEM, SignedAgent, iso
from openmsp.metrics.models import Sample

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "/agent/v1/batches"

Answer = tuple[int, dict[str, Any], dict[str, str]]


def call(app: Any, body: bytes, headers: Mapping[str, str], method: str = "POST") -> Answer:
    """One request through an ASGI app, as uvicorn sends it (the body in 64 KiB pieces)."""
    sent: list[dict[str, Any]] = []
    pieces = [body[i : i + 65_536] for i in range(0, len(body), 65_536)] or [b""]
    messages = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
        for i, p in enumerate(pieces)
    ]
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if not any(k == b"content-length" for k, _ in raw):
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "method": method, "path": PATH, "raw_path": PATH.encode(),
             "query_string": b"", "headers": [(b"host", b"127.0.0.1"), *raw],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000), "scheme": "http",
             "http_version": "1.1", "asgi": {"version": "3.0"}}  # fmt: skip

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # no disconnect while the answer is on its way
        raise AssertionError("unreachable")

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    out_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    assert out_headers["content-length"] == str(len(content))
    return start["status"], json.loads(content), out_headers


def lean(body: bytes, headers: Mapping[str, str], method: str = "POST") -> Answer:
    return call(asgi.application, body, headers, method)  # routes POST batches to the lean app


def django(body: bytes, headers: Mapping[str, str], method: str = "POST") -> Answer:
    return call(asgi.agent_application, body, headers, method)


def batch_body(agent: SignedAgent, **extra: Any) -> bytes:
    agent.seq += 1
    payload = {
        "batch_id": str(uuid.uuid4()),
        "seq": agent.seq,
        "sent_at": iso(dt.datetime.now(dt.UTC)),
        "samples": [
            {
                "t": iso(dt.datetime.now(dt.UTC)),
                "m": "cpu.percent",
                "v": 12.5,
                "l": {"cpu": "total"},
            }
        ],
        **extra,
    }
    return json.dumps(payload).encode()


def signed(agent: SignedAgent, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", **agent.headers("POST", PATH, body)}


def same(a: Answer, b: Answer) -> tuple[Any, Any]:
    """The parts of two answers that must agree (request ids differ by design)."""
    keep = ("content-type", "content-security-policy", "permissions-policy")
    return (
        (a[0], a[1], {k: a[2].get(k) for k in keep}),
        (b[0], b[1], {k: b[2].get(k) for k in keep}),
    )


def test_a_new_batch_and_its_resend_get_the_same_answers_and_are_stored_once(agent_a):
    before = Sample.objects.count()  # raw samples are not flushed between tests (unmanaged)
    for _round in range(2):  # the first batch takes the general path, later ones the hot path
        body_lean, body_django = batch_body(agent_a), batch_body(agent_a)
        new_lean = lean(body_lean, signed(agent_a, body_lean))
        new_django = django(body_django, signed(agent_a, body_django))
        a, b = same(new_lean, new_django)
        assert a == b
        assert new_lean[0] == 200
        assert new_lean[1]["duplicate"] is False
        again_lean = lean(body_lean, signed(agent_a, body_lean))
        again_django = django(body_django, signed(agent_a, body_django))
        a, b = same(again_lean, again_django)
        assert a == b
        assert again_lean[1]["duplicate"] is True
    assert AgentBatch.objects.filter(agent_id=agent_a.agent_id).count() == 4
    assert Sample.objects.count() - before == 4  # one sample per batch, none twice


@pytest.mark.parametrize(
    "case",
    ["bad signature", "no credentials", "not json", "schema", "future sample", "too large",
     "declared too large", "revoked"],
)  # fmt: skip
def test_refusals_are_the_same_through_both_apps(agent_a, case):
    def request() -> tuple[bytes, dict[str, str]]:
        body = batch_body(agent_a)
        headers = signed(agent_a, body)
        if case == "bad signature":
            headers["X-OpenMSP-Signature"] = "sha256=" + "0" * 64
        elif case == "no credentials":
            del headers["Authorization"]
        elif case == "not json":
            body = b"{not json"
            headers = signed(agent_a, body)
        elif case == "schema":
            body = json.dumps({"batch_id": "x", "seq": -1, "samples": "many"}).encode()
            headers = signed(agent_a, body)
        elif case == "future sample":
            later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
            body = batch_body(agent_a, samples=[{"t": iso(later), "m": "x", "v": 1, "l": {}}])
            headers = signed(agent_a, body)
        elif case == "too large":
            body = b" " * (views.MAX_BATCH_BYTES + 10)
            headers = signed(agent_a, body)
        elif case == "declared too large":
            headers["Content-Length"] = str(views.MAX_BATCH_BYTES + 1)
        return body, headers

    if case == "revoked":
        actions.revoke_agent(actor=SYSTEM, agent=agent_a.agent)
    before = Sample.objects.count()  # raw samples are not flushed between tests (unmanaged)
    a, b = same(lean(*request()), django(*request()))
    assert a == b
    assert 400 <= a[0] < 500, a
    assert a[1]["detail"]
    assert Sample.objects.count() == before


def test_the_request_id_and_the_headers_of_the_slim_stack_are_kept(agent_a):
    body = batch_body(agent_a)
    headers = {**signed(agent_a, body), "X-Request-ID": "req-123-abc"}
    status, _answer, out = lean(body, headers)
    assert status == 200
    assert out["x-request-id"] == "req-123-abc"
    assert out["content-type"] == "application/json"
    assert "x-frame-options" not in out  # the browser middleware did not run, as before


def test_other_methods_still_go_to_django(agent_a):
    status, answer, out = lean(b"", agent_a.headers("GET", PATH, b""), method="GET")
    assert (status, out["allow"]) == (405, "POST")
    assert "POST" in answer["detail"]


def test_batches_run_on_a_few_long_lived_threads_not_one_per_request(agent_a, monkeypatch):
    seen: set[int] = set()
    real = views.batches

    def recording(request: Any) -> Any:
        seen.add(threading.get_ident())
        return real(request)

    monkeypatch.setattr(views, "batches", recording)
    for _ in range(3 * asgi.BATCH_SLOTS):
        body = batch_body(agent_a)
        assert lean(body, signed(agent_a, body))[0] == 200
    assert 1 <= len(seen) <= asgi.BATCH_SLOTS
    assert threading.get_ident() not in seen  # never on the event loop's thread
