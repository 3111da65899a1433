"""Fixtures of heartbeat stories: what was observed, a heartbeat of each client, pinging it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.heartbeats import actions, ping_actions
from openmsp.heartbeats.models import Heartbeat, Ping
from openmsp.tenants.models import Client

SYSTEM = Actor.system("test")
T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Seoul


class Observed(list[spine.Observation]):
    def rules(self) -> list[tuple[str, str]]:
        return [(o.rule, o.status) for o in self]


@pytest.fixture
def observed() -> Iterator[Observed]:
    """Every observation handed to the spine during the test, in order."""
    seen = Observed()
    spine.register_observation_sink(seen.append)
    try:
        yield seen
    finally:
        spine.unregister_observation_sink(seen.append)


def make_heartbeat(client: Client, name: str = "nightly ERP export", **fields: Any) -> Heartbeat:
    return actions.create_heartbeat(actor=SYSTEM, client=client, name=name, **fields)


@pytest.fixture
def backup_job(client_a: Client) -> Heartbeat:
    """Client A's hourly backup job: every hour, ten minutes' grace."""
    return make_heartbeat(client_a, "hourly backup", period_seconds=3600, grace_seconds=600)


def ping(
    hb: Heartbeat, kind: str = Ping.Kind.SUCCESS, *, at: dt.datetime, **extra: Any
) -> Ping | None:
    return ping_actions.record_ping(hb.ping_key, ping_actions.Signal(kind=kind, at=at, **extra))


@pytest.fixture
def pinger() -> Callable[..., Ping | None]:
    return ping


def fresh(hb: Heartbeat) -> Heartbeat:
    return Heartbeat.objects.get(pk=hb.pk)
