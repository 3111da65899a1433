"""Pings stored in batches (record_pings, and the ASGI app's batcher) mean exactly what the same
pings stored one by one mean; a failing batch costs only the pings that cannot be stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
from django.db import OperationalError

from openmsp.heartbeats import asgi_ping, ping_actions
from openmsp.heartbeats.models import Heartbeat, Ping
from openmsp.heartbeats.ping_actions import Signal
from openmsp.heartbeats.tests.conftest import T0, fresh, make_heartbeat


def signal(kind: str, minutes: float) -> Signal:
    return Signal(kind=kind, at=T0 + dt.timedelta(minutes=minutes))


STORY = [(Ping.Kind.START, 0), (Ping.Kind.SUCCESS, 7), (Ping.Kind.START, 60), (Ping.Kind.FAIL, 61)]


@pytest.mark.django_db
def test_a_batch_is_applied_as_its_pings_one_by_one(client_a):
    batched = make_heartbeat(client_a, "batched", period_seconds=3600)
    single = make_heartbeat(client_a, "single", period_seconds=3600)
    unknown = uuid.uuid4()

    batch = [(batched.ping_key, signal(kind, m)) for kind, m in STORY]
    batch.insert(2, (unknown, signal(Ping.Kind.SUCCESS, 30)))
    stored = ping_actions.record_pings(batch)
    for kind, m in STORY:
        ping_actions.record_ping(single.ping_key, signal(kind, m))

    assert stored[2] is None  # no heartbeat has that key; the others are stored all the same
    assert [p.kind for p in stored if p is not None] == [k for k, _m in STORY]
    a, b = fresh(batched), fresh(single)
    fields = ["state", "last_ping_at", "last_success_at", "last_duration", "alert_after",
              "open_rules", "ping_count"]  # fmt: skip
    assert {f: getattr(a, f) for f in fields} == {f: getattr(b, f) for f in fields}
    assert a.state == Heartbeat.State.FAILED
    assert a.ping_count == 4
    durations = list(
        Ping.objects.filter(heartbeat=a).order_by("at").values_list("duration", flat=True)
    )
    assert durations == [None, dt.timedelta(minutes=7), None, dt.timedelta(minutes=1)]


@pytest.mark.django_db
def test_a_batch_that_crosses_the_prune_mark_prunes(client_a, monkeypatch):
    monkeypatch.setattr(ping_actions, "PRUNE_EVERY", 4)
    monkeypatch.setattr(ping_actions, "KEEP_PINGS", 3)
    hb = make_heartbeat(client_a, "chatty", period_seconds=3600)
    ping_actions.record_pings([(hb.ping_key, signal(Ping.Kind.LOG, m)) for m in range(6)])
    assert Ping.objects.filter(heartbeat=hb).count() == 3  # crossed 4: pruned to the newest three
    assert fresh(hb).ping_count == 6


def _request(key: uuid.UUID) -> tuple[dict[str, Any], Any, Any, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    path = f"/ping/{key}"
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [(b"host", b"127.0.0.1")],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000), "scheme": "http",
             "http_version": "1.1", "asgi": {"version": "3.0"}}  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    return scope, receive, send, sent


def _ping_together(keys: list[uuid.UUID]) -> list[int]:
    requests = [_request(key) for key in keys]

    async def all_at_once() -> None:
        await asyncio.gather(*(asgi_ping.ping_app(s, r, w) for s, r, w, _sent in requests))

    asyncio.run(all_at_once())
    return [next(m["status"] for m in sent if m["type"] == "http.response.start")
            for *_rest, sent in requests]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_concurrent_pings_share_transactions_and_each_is_stored_once(client_a, monkeypatch):
    hbs = [make_heartbeat(client_a, f"job {i}", period_seconds=3600) for i in range(5)]
    sizes: list[int] = []
    real = ping_actions.record_pings

    def counting(batch: Any) -> Any:
        sizes.append(len(batch))
        return real(batch)

    monkeypatch.setattr(asgi_ping, "record_pings", counting)
    keys = [hbs[i % 5].ping_key for i in range(60)] + [uuid.uuid4()]
    statuses = _ping_together(keys)

    assert statuses == [200] * 60 + [404]
    assert sum(sizes) == 61
    assert max(sizes) > 1
    assert len(sizes) <= asgi_ping.BATCH_SLOTS + 60 // 2  # far fewer transactions than pings
    assert sorted(fresh(hb).ping_count for hb in hbs) == [12] * 5
    assert Ping.objects.count() == 60


@pytest.mark.django_db(transaction=True)
def test_when_a_batch_fails_its_pings_are_stored_one_by_one(client_a, monkeypatch):
    hbs = [make_heartbeat(client_a, f"job {i}", period_seconds=3600) for i in range(3)]
    failures = []

    def broken(batch: Any) -> Any:
        failures.append(len(batch))
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(asgi_ping, "record_pings", broken)
    statuses = _ping_together([hb.ping_key for hb in hbs] * 4)
    assert statuses == [200] * 12
    assert Ping.objects.count() == 12  # each stored once, by the one-by-one path
    assert failures  # the batch path was tried and failed


@pytest.mark.django_db(transaction=True)
def test_a_ping_that_cannot_be_stored_is_a_503_not_a_lost_ok(client_a, monkeypatch):
    hb = make_heartbeat(client_a, "job", period_seconds=3600)

    def down(*_args: Any) -> Any:
        raise OperationalError("the database is down")

    monkeypatch.setattr(asgi_ping, "record_pings", down)
    monkeypatch.setattr(asgi_ping, "record_ping", down)
    assert _ping_together([hb.ping_key, hb.ping_key]) == [503, 503]
    assert Ping.objects.count() == 0
