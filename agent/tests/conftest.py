from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fakeserver import TOKEN, FakeServer
from openmsp_agent.config import AgentConfig, Credentials, ensure_state_dir
from openmsp_agent.enroll import enroll
from openmsp_agent.timing import Backoff
from openmsp_agent.transport import HttpTransport


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def config(tmp_path: Path, server: FakeServer) -> AgentConfig:
    state = tmp_path / "state"
    ensure_state_dir(state)
    return AgentConfig(state_dir=state, server_url=server.url)


@pytest.fixture
def credentials(config: AgentConfig, server: FakeServer) -> Credentials:
    transport = HttpTransport(server.url)
    creds = enroll(transport, server=server.url, token=TOKEN, machine_id="test-machine")
    transport.close()
    creds.save(config.credentials_path)
    return creds


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll a condition that no event signals (files, other processes); fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return True
        pause.wait(0.02)
    return predicate()
