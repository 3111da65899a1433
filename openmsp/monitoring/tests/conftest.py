"""Fixtures of the monitoring tests: the collecting sink and the real peers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openmsp.accounts.models import User
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.monitoring import actions
from openmsp.monitoring.models import Check
from openmsp.monitoring.tests.peers import HttpPeer, Observed, TcpPeer
from openmsp.tenants.models import Client


@pytest.fixture
def observed() -> Iterator[Observed]:
    sink = Observed()
    spine.register_observation_sink(sink)
    yield sink
    spine.unregister_observation_sink(sink)


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    peer = HttpPeer()
    yield peer
    peer.stop()


@pytest.fixture
def tcp_peer() -> Iterator[TcpPeer]:
    peer = TcpPeer()
    yield peer
    peer.close()


def make_check(user: User, client: Client, **fields: Any) -> Check:
    """A check created by *user* the way the API does, then made due at once."""
    fields.setdefault("name", f"{fields['kind']} check")
    fields.setdefault("timeout_seconds", 2)
    check = actions.create_check(actor=Actor(user=user), client=client, **fields)
    return due_now(check)


def due_now(check: Check) -> Check:
    actions.run_soon(actor=Actor.system("test"), check=check)
    check.refresh_from_db()
    return check
