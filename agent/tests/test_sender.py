from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import fast_backoff, wait_for
from fakeserver import TOKEN, FakeServer
from openmsp_agent.auth import CredentialStore
from openmsp_agent.collectors.metrics import AgentHealth
from openmsp_agent.config import AgentConfig, Credentials
from openmsp_agent.enroll import enroll
from openmsp_agent.inventory_state import InventoryState
from openmsp_agent.outbox import Outbox
from openmsp_agent.sender import Sender, empty_batch
from openmsp_agent.snapshot import snapshot_hash
from openmsp_agent.transport import HttpTransport, Response, Transport


@dataclass
class Harness:
    sender: Sender
    outbox: Outbox
    inventory: InventoryState
    store: CredentialStore
    transport: Transport
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> Harness:
        self.thread = threading.Thread(target=self.sender.run, args=(self.stop,), daemon=True)
        self.thread.start()
        return self

    def put(self, n: int) -> None:
        self.outbox.put({**empty_batch(), "n": n})
        self.sender.wake.set()

    def put_inventory(self, snapshot: dict[str, dict[str, Any]]) -> None:
        self.outbox.replace_inventory(snapshot)
        self.sender.wake.set()

    def close(self) -> None:
        self.stop.set()
        self.sender.wake.set()
        if self.thread:
            self.thread.join(5)
        self.transport.close()
        self.outbox.close()


def build(
    config: AgentConfig,
    credentials: Credentials,
    url: str,
    *,
    transport: Transport | None = None,
    checkin: float = 3600,
) -> Harness:
    outbox = Outbox(config.outbox_path)
    store = CredentialStore(config.credentials_path, credentials, recheck_seconds=0.05)
    transport = transport or HttpTransport(url, credentials=store.current, timeout=5)
    inventory = InventoryState(config.inventory_path)
    health = AgentHealth(queue_depth=outbox.depth, dropped=lambda: outbox.dropped)
    sender = Sender(
        transport, outbox, inventory, health, store, checkin_seconds=checkin, backoff=fast_backoff
    )
    return Harness(sender, outbox, inventory, store, transport)


@pytest.fixture
def harness(config: AgentConfig, credentials: Credentials, server: FakeServer) -> Iterator[Harness]:
    running = build(config, credentials, server.url).start()
    yield running
    running.close()


def delivered_ns(server: FakeServer) -> list[int]:
    return [b["n"] for b in server.state.batches if "n" in b]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_it_retries_while_the_connection_is_refused_then_delivers_in_order_exactly_once(
    config: AgentConfig, credentials: Credentials, server: FakeServer
) -> None:
    port = free_port()  # nothing listens there yet: connection refused
    harness = build(config, credentials, f"http://127.0.0.1:{port}").start()
    try:
        for n in range(5):
            harness.put(n)
        assert wait_for(lambda: harness.sender.batch_failures >= 3)

        late = FakeServer(port).start()  # the server comes up, knowing this agent
        late.state.agents = dict(server.state.agents)
        try:
            assert late.wait_until(lambda s: len(s.batches) >= 5)
            assert delivered_ns(late) == [0, 1, 2, 3, 4]
            seqs = [b["seq"] for b in late.state.batches]
            assert seqs == sorted(seqs)
            assert wait_for(lambda: harness.outbox.depth() == 0)
            posted = [r for r in late.state.requests if r.path == "/agent/v1/batches"]
            assert len(posted) == 5  # nothing sent twice once accepted
        finally:
            late.stop()
    finally:
        harness.close()


def test_it_backs_off_on_server_errors_and_then_delivers_in_order_exactly_once(
    server: FakeServer, harness: Harness
) -> None:
    server.fail_next("/agent/v1/batches", 503, count=3)
    for n in range(4):
        harness.put(n)

    assert server.wait_until(lambda s: len(s.batches) >= 4)
    assert delivered_ns(server) == [0, 1, 2, 3]
    statuses = [r.status for r in server.state.requests if r.path == "/agent/v1/batches"]
    assert statuses == [503, 503, 503, 200, 200, 200, 200]
    assert wait_for(lambda: harness.outbox.depth() == 0)


def test_a_429_is_retried_like_a_server_error(server: FakeServer, harness: Harness) -> None:
    server.fail_next("/agent/v1/batches", 429, count=2)
    harness.put(1)

    assert server.wait_until(lambda s: delivered_ns_from(s) == [1])


def delivered_ns_from(state: object) -> list[int]:
    return [b["n"] for b in getattr(state, "batches", []) if "n" in b]


def test_a_revoked_agent_stops_sending_keeps_its_outbox_and_resumes_after_re_enrollment(
    server: FakeServer, harness: Harness, config: AgentConfig
) -> None:
    harness.put(0)
    assert server.wait_until(lambda s: delivered_ns_from(s) == [0])
    server.revoke_all()

    for n in (1, 2, 3):
        harness.put(n)
    assert wait_for(lambda: harness.store.revoked)
    posts_when_revoked = len(server.state.requests)
    harness.put(4)
    assert not wait_for(lambda: len(server.state.requests) > posts_when_revoked, timeout=0.5)
    assert harness.outbox.depth() == 4

    transport = HttpTransport(server.url)  # the operator enrolls the host again
    enroll(transport, server=server.url, token=TOKEN, machine_id="test-machine").save(
        config.credentials_path
    )
    transport.close()

    assert server.wait_until(lambda s: delivered_ns_from(s) == [0, 1, 2, 3, 4])
    assert not harness.store.revoked


def test_a_malformed_batch_is_dropped_and_the_next_one_still_goes(
    server: FakeServer, harness: Harness
) -> None:
    server.fail_next("/agent/v1/batches", 422, count=1)
    harness.put(1)
    harness.put(2)

    assert server.wait_until(lambda s: delivered_ns_from(s) == [2])
    assert wait_for(lambda: harness.outbox.depth() == 0)


def test_other_client_errors_never_drop_the_batch(server: FakeServer, harness: Harness) -> None:
    server.fail_next("/agent/v1/batches", 400, count=2)
    harness.put(1)

    assert server.wait_until(lambda s: delivered_ns_from(s) == [1])


SNAPSHOT_A: dict[str, dict[str, Any]] = {
    "os": {"kernel": "6.1"},
    "packages": {"bash": "5.2", "curl": "7.88"},
}
SNAPSHOT_B: dict[str, dict[str, Any]] = {
    "os": {"kernel": "6.2"},
    "packages": {"bash": "5.2", "vim": "9.0"},
}


def test_the_first_inventory_is_full_and_later_ones_are_diffs_against_the_acknowledged_one(
    server: FakeServer, harness: Harness
) -> None:
    harness.put_inventory(SNAPSHOT_A)
    assert server.wait_until(lambda s: len(s.batches) == 1)
    harness.put_inventory(SNAPSHOT_B)
    assert server.wait_until(lambda s: len(s.batches) == 2)

    first, second = (b["inventory"] for b in server.state.batches)
    assert first["full"] is True
    assert first["snapshot"] == SNAPSHOT_A
    assert second["full"] is False
    assert second["base_hash"] == snapshot_hash(SNAPSHOT_A)
    assert second["hash"] == snapshot_hash(SNAPSHOT_B)
    assert second["changes"]["packages"] == {
        "added": [{"key": "vim", "value": "9.0"}],
        "removed": ["curl"],
        "changed": [],
    }
    assert wait_for(lambda: harness.inventory.acked_hash == snapshot_hash(SNAPSHOT_B))


def test_an_unchanged_inventory_is_not_sent_again(server: FakeServer, harness: Harness) -> None:
    harness.put_inventory(SNAPSHOT_A)
    assert server.wait_until(lambda s: len(s.batches) == 1)
    harness.put_inventory(dict(SNAPSHOT_A))
    harness.put(7)

    assert server.wait_until(lambda s: delivered_ns_from(s) == [7])
    assert len(server.state.batches) == 2


def test_need_full_from_the_server_makes_the_agent_resend_a_full_inventory(
    server: FakeServer, harness: Harness
) -> None:
    harness.put_inventory(SNAPSHOT_A)
    assert server.wait_until(lambda s: len(s.batches) == 1)
    server.forget_inventory()  # e.g. restored from a backup: the diff base is gone

    harness.put_inventory(SNAPSHOT_B)

    assert server.wait_until(lambda s: len(s.batches) == 2)
    statuses = [r.status for r in server.state.requests if r.path == "/agent/v1/batches"]
    assert statuses == [200, 409, 200]
    conflicted, resent = (r.json() for r in server.state.requests[-2:])
    assert conflicted["inventory"]["full"] is False
    assert resent["inventory"] == {
        "full": True,
        "hash": snapshot_hash(SNAPSHOT_B),
        "snapshot": SNAPSHOT_B,
    }
    assert resent["batch_id"] != conflicted["batch_id"]  # not mistaken for a duplicate
    assert wait_for(lambda: not harness.inventory.need_full)


def test_an_empty_batch_checks_in_when_nothing_else_was_sent(
    server: FakeServer, config: AgentConfig, credentials: Credentials
) -> None:
    harness = build(config, credentials, server.url, checkin=0.2).start()
    try:
        assert server.wait_until(lambda s: len(s.batches) >= 1)
        beat = server.state.batches[0]
        assert beat["samples"] == []
        assert beat["inventory"] is None
        assert set(beat["agent"]) == {"rss_bytes", "cpu_percent", "queue_depth", "dropped_batches"}
    finally:
        harness.close()


def test_command_results_are_posted_to_their_command(server: FakeServer, harness: Harness) -> None:
    harness.outbox.put_result("cmd-1", {"exit_code": 0, "stdout": "hi"})
    harness.sender.wake.set()

    assert server.wait_until(lambda s: "cmd-1" in s.results)
    assert server.state.results["cmd-1"] == {"exit_code": 0, "stdout": "hi"}
    assert wait_for(lambda: harness.outbox.depth() == 0)


class ScriptedTransport:
    """The one seam tests may fake: answers from a script instead of the network."""

    def __init__(self, *answers: Response) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str, bytes | None]] = []

    def send(
        self, method: str, path: str, body: bytes | None = None, *, timeout: float | None = None
    ) -> Response:
        self.sent.append((method, path, body))
        return self.answers.pop(0) if self.answers else Response(200, b'{"accepted": true}')

    def close(self) -> None:
        pass


def test_a_duplicate_answer_counts_as_delivered(
    config: AgentConfig, credentials: Credentials
) -> None:
    transport = ScriptedTransport(Response(200, b'{"accepted": true, "duplicate": true}'))
    harness = build(config, credentials, "http://unused", transport=transport)
    harness.put(1)

    assert harness.sender.step()

    assert harness.outbox.depth() == 0
    assert len(transport.sent) == 1
    harness.close()


def test_every_batch_carries_the_agent_health_block(
    config: AgentConfig, credentials: Credentials, tmp_path: Path
) -> None:
    transport = ScriptedTransport()
    harness = build(config, credentials, "http://unused", transport=transport)
    harness.put(1)
    harness.put(2)

    harness.sender.step()

    import json

    body = json.loads(transport.sent[0][2] or b"")
    assert body["agent"]["queue_depth"] == 2
    assert body["seq"] >= 1
    assert body["sent_at"].endswith("Z")
    harness.close()


def test_a_retry_whose_time_has_come_while_the_step_ran_is_not_put_off_for_a_minute(
    server: FakeServer, config: AgentConfig, credentials: Credentials
) -> None:
    now = [100.0]
    outbox = Outbox(config.outbox_path)
    store = CredentialStore(config.credentials_path, credentials)
    transport = HttpTransport(server.url, credentials=store.current, timeout=5)
    health = AgentHealth(queue_depth=outbox.depth, dropped=lambda: outbox.dropped)
    sender = Sender(
        transport, outbox, InventoryState(config.inventory_path), health, store,
        checkin_seconds=3600, backoff=fast_backoff, clock=lambda: now[0],
    )  # fmt: skip
    server.fail_next("/agent/v1/batches", 500)
    outbox.put({**empty_batch(), "n": 1})
    assert not sender.step()

    now[0] += 1.0  # the short backoff is over before the sender goes to sleep
    assert sender._idle_seconds() <= 0.01
    assert sender.step()
    assert delivered_ns_from(server.state) == [1]
    assert sender._idle_seconds() > 1, "nothing queued: no retry to wake for"
    transport.close()
    outbox.close()
