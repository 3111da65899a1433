"""The running agent's loops, driven one step at a time (no threads, no server)."""

from __future__ import annotations

import threading
from pathlib import Path

from openmsp_agent.config import AgentConfig, Credentials
from openmsp_agent.outbox import KIND_INVENTORY
from openmsp_agent.runner import Agent


def _agent(tmp_path: Path, jitter: float) -> Agent:
    credentials = Credentials(
        server="http://127.0.0.1:9",  # never contacted: only the loops below run
        agent_id="7b0a6a53-0000-4000-8000-000000000001",
        agent_secret="secret",
        command_public_key="unused",
        jitter_seconds=jitter,
    )
    return Agent(AgentConfig(state_dir=tmp_path), credentials)


def test_the_inventory_is_collected_at_start_not_after_the_jitter(tmp_path: Path) -> None:
    agent = _agent(tmp_path, jitter=53)
    stop = threading.Event()
    stop.set()  # the loop may do only what it does before its first wait

    try:
        agent._inventory_loop(stop)
        queued = agent.outbox.peek()
    finally:
        agent.outbox.close()
        agent.executed.close()

    assert queued is not None
    assert queued.kind == KIND_INVENTORY
    assert queued.payload["os"], "a snapshot of this host, not an empty one"
