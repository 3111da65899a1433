"""The agent's sender and outbox (real SQLite file, real HTTP) against a real `openmsp serve`,
with the agent's clocks injected so an hour of outage or a wall-clock step runs in seconds.

- the server unreachable for an hour, then back: every batch waits in the outbox, retries back
  off to the 5-minute cap (no retry storm), and after the return all arrive, in order, each
  stored once (batch ids), with every sample at its own time;
- the wall clock stepped +1 h, back, and 5 years off: collection keeps its monotonic rhythm,
  requests signed with a wrong clock are refused (401) and kept, and once the clock is right the
  batches taken meanwhile are sent with their times corrected by the step (monotonic clock and
  boot id stored with each batch); nothing lost, nothing twice, nothing stored at a wrong time;
- a batch whose times cannot be corrected (taken in another boot) and lie in the future is
  refused by the server's documented policy (422 naming the sample), and the agent counts it
  as dropped, reported in its health block;
- a really full disk (a 1 MiB tmpfs; needs root): the oldest batches make room for the newest and
  are counted, what was kept is delivered once and deleted from the still-full disk, and the
  count reaches the server.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from openmsp_agent.auth import CredentialStore
from openmsp_agent.collectors.metrics import AgentHealth
from openmsp_agent.config import AgentConfig, ensure_state_dir
from openmsp_agent.encoding import parse_rfc3339, rfc3339
from openmsp_agent.enroll import enroll
from openmsp_agent.inventory_state import InventoryState
from openmsp_agent.outbox import Outbox
from openmsp_agent.sender import Sender, empty_batch
from openmsp_agent.timing import Backoff, Schedule
from openmsp_agent.transport import HttpTransport, Response

from tests.e2e import Database, Server, openmsp

pytestmark = pytest.mark.slow
PASSWORD = "e2e-password-123456"
YEAR = 365 * 86400.0


class Clocks:
    """The agent's two clocks: monotonic (never stepped) and wall = real time + offset + elapsed."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.base = time.time()
        self.offset = 0.0  # a wall-clock step moves only this
        self.elapsed = 0.0  # simulated time moves both

    def monotonic(self) -> float:
        return self.mono + self.elapsed

    def wall(self) -> float:
        return self.base + self.elapsed + self.offset

    def true_wall(self) -> float:
        return self.base + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


class Counting(HttpTransport):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statuses: list[int | None] = []

    def send(self, method: str, path: str, body: bytes | None = None, **kw: Any) -> Response:
        try:
            response = super().send(method, path, body, **kw)
        except Exception:
            self.statuses.append(None)
            raise
        self.statuses.append(response.status)
        return response


@dataclass
class Host:
    sender: Sender
    outbox: Outbox
    transport: Counting
    clocks: Clocks
    health: AgentHealth
    agent_id: str
    metric: str

    def collect(self, n: int = 3) -> list[str]:
        """One metrics batch with samples at the agent's wall time; their times."""
        t = rfc3339(self.clocks.wall())
        samples = [{"t": t, "m": self.metric, "v": 1.0, "l": {"i": str(i)}} for i in range(n)]
        self.outbox.put(empty_batch(samples))
        return [t] * n

    def stored_times(self, db: Database) -> list[float]:
        rows = db.query(
            "SELECT s.t FROM metrics_sample s JOIN metrics_series x ON x.id = s.series_id "
            f"WHERE x.name = '{self.metric}' ORDER BY s.t"
        )
        return [_instant(row[0]) for row in rows]

    def stored_seqs(self, db: Database) -> list[int]:
        agent = self.agent_id if db.engine == "postgresql" else uuid.UUID(self.agent_id).hex
        rows = db.query(
            f"SELECT seq FROM agent_api_agentbatch WHERE agent_id = '{agent}' "
            "ORDER BY received_at, seq"
        )
        return [int(row[0]) for row in rows]

    def stored_health(self, db: Database) -> str:
        agent = self.agent_id if db.engine == "postgresql" else uuid.UUID(self.agent_id).hex
        rows = db.query(f"SELECT health FROM agent_api_agent WHERE id = '{agent}'")
        return str(rows[0][0])

    def run_for(self, seconds: float, *, step: float = 15.0) -> None:
        """The sender's loop, in simulated time: a step, then sleep until it would wake."""
        end = self.clocks.elapsed + seconds
        while self.clocks.elapsed < end:
            while self.sender.step():
                pass
            self.clocks.advance(step)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Server, str, str]]:
    """One server for the module (setting one up takes a while); each test enrolls its own host
    (an enrollment token is reusable) and looks only at its own rows."""
    with Database(tmp_path_factory.mktemp("server")) as db:
        openmsp(db, "migrate", "--no-input", "-v", "0")
        openmsp(db, "demo")
        openmsp(db, "createadmin", "--email", "e2e@msp.example", "--password", PASSWORD)
        api_token = openmsp(db, "token", "create", "--user", "e2e@msp.example").strip()
        live = Server(db)
        live.start()
        api = httpx.Client(
            base_url=f"{live.base}/api/v1", headers={"Authorization": f"Bearer {api_token}"}
        )
        client_id = api.get("/clients", params={"q": "hanbit"}).json()["items"][0]["id"]
        made = api.post("/enrollment-tokens", json={"client_id": client_id, "name": "faults"})
        assert made.status_code == 201, made.text
        api.close()
        try:
            yield db, live, made.json()["token"], api_token
        finally:
            live.kill()


@pytest.fixture
def make_host(tmp_path: Path) -> Iterator[Any]:
    made: list[Host] = []

    def make(
        url: str, token: str, clocks: Clocks, *, cap: float = 300.0, state: Path | None = None
    ) -> Host:
        host = _host(state or tmp_path / "agent-state", url, token, clocks, cap=cap)
        made.append(host)
        return host

    yield make
    for host in made:
        host.transport.close()
        host.outbox.close()


def _host(state: Path, url: str, token: str, clocks: Clocks, *, cap: float) -> Host:
    ensure_state_dir(state)
    config = AgentConfig(state_dir=state, server_url=url)
    plain = HttpTransport(url)
    creds = enroll(plain, server=url, token=token, machine_id=f"faults-{uuid.uuid4().hex[:8]}")
    plain.close()
    creds.save(config.credentials_path)
    store = CredentialStore(config.credentials_path, creds)
    transport = Counting(url, credentials=store.current, timeout=5, wall=clocks.wall)
    outbox = Outbox(config.outbox_path, wall=clocks.wall, clock=clocks.monotonic)
    health = AgentHealth(queue_depth=outbox.depth, dropped=lambda: outbox.dropped)
    sender = Sender(
        transport, outbox, InventoryState(config.inventory_path), health, store,
        checkin_seconds=10**9, backoff=lambda: Backoff(base=1.0, cap=cap),
        clock=clocks.monotonic, wall=clocks.wall,
    )  # fmt: skip
    metric = f"test.h{uuid.uuid4().hex[:8]}"
    return Host(sender, outbox, transport, clocks, health, creds.agent_id, metric)


def _instant(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    return parse_rfc3339(str(value))


def test_an_hour_without_the_server_loses_nothing_and_replays_in_order_once(
    server: tuple[Database, Server, str, str], make_host: Any
) -> None:
    db, live, token, _api_token = server
    clocks = Clocks()
    # The agent's simulated hour ends a little before now (its next 5 minutes of simulated
    # retrying take a few real seconds): its signatures are then current for the server.
    clocks.base -= 3600 + 120 + 150
    host = make_host(live.base, token, clocks)
    taken: list[str] = []

    live.stop()
    schedule = Schedule(60, clock=clocks.monotonic)
    for _minute in range(60):  # one batch a minute, for an hour
        clocks.advance(schedule.next_due() - clocks.monotonic())
        taken += host.collect()
        host.run_for(0.1)
    assert host.outbox.depth() == 60, "every batch of the hour waits in the outbox"
    failures = [s for s in host.transport.statuses if s is None]
    assert 12 <= len(failures) <= 30, (
        f"{len(failures)} attempts in an hour: backoff capped at 5 min"
    )

    clocks.advance(120)
    live.start()
    host.run_for(330)  # at most one capped backoff (5 min) until it tries again

    assert host.outbox.depth() == 0
    seqs = host.stored_seqs(db)
    assert seqs == sorted(seqs), "replayed out of order"
    # 60 batches of samples, and the empty check-ins the server's answer asks for.
    assert len(seqs) == len(set(seqs)) >= 60, "each batch stored exactly once"
    stored = host.stored_times(db)
    assert len(stored) == len(taken), "a sample is missing or stored twice"
    assert stored == sorted(parse_rfc3339(t) for t in taken)


def test_wall_clock_steps_are_corrected_and_nothing_is_lost_or_stored_twice(
    server: tuple[Database, Server, str, str], make_host: Any
) -> None:
    db, live, token, _api_token = server
    # Simulated time runs ahead of the server's: keep it short (5 s intervals, 10 s backoff cap)
    # so the agent's correct clock stays within the server's 300 s signature window.
    clocks = Clocks()
    clocks.base -= 60
    host = make_host(live.base, token, clocks, cap=10.0)
    schedule = Schedule(5, clock=clocks.monotonic)
    truth: list[float] = []

    def minute() -> None:
        clocks.advance(schedule.next_due() - clocks.monotonic())
        host.collect()
        truth.extend([clocks.true_wall()] * 3)
        host.run_for(1, step=1)

    minute()
    assert host.outbox.depth() == 0

    for offset in (3600.0, -5 * YEAR):  # NTP steps an hour ahead; later the clock is years behind
        clocks.offset = offset
        for _ in range(5):
            minute()  # collection keeps its pace: the schedule runs on the monotonic clock
        assert host.outbox.depth() >= 5, "batches signed with a wrong clock are kept"
        assert 401 in host.transport.statuses
        clocks.offset = 0.0  # the clock is put right
        host.run_for(15, step=1)
        assert host.outbox.depth() == 0

    stored = host.stored_times(db)
    assert len(stored) == len(truth) == 33, "a sample was lost or stored twice"
    assert max(abs(a - b) for a, b in zip(stored, sorted(truth), strict=True)) < 1.0, (
        "a sample was stored at the wrong clock's time"
    )
    assert host.outbox.dropped == 0
    seqs = host.stored_seqs(db)
    assert len(seqs) == len(set(seqs)) >= 11


def test_a_future_batch_from_another_boot_is_refused_counted_and_reported(
    server: tuple[Database, Server, str, str], make_host: Any
) -> None:
    db, live, token, _api_token = server
    clocks = Clocks()
    host = make_host(live.base, token, clocks)
    host.outbox.boot_id = "previous-boot"
    clocks.offset = 3600.0
    host.collect()  # taken with the clock an hour ahead, before a reboot
    clocks.offset = 0.0
    host.outbox.boot_id = "this-boot"  # after the reboot the step cannot be measured
    host.collect()
    host.run_for(30, step=1)

    assert 422 in host.transport.statuses, "the server's policy: future samples are refused"
    assert host.outbox.depth() == 0
    assert host.outbox.dropped == 1
    assert host.health.block()["dropped_batches"] == 1
    assert len(host.stored_times(db)) == 3, "the good batch was stored"
    host.collect()
    host.run_for(1, step=1)  # the next batch carries the count to the server
    assert "'dropped_batches': 1" in host.stored_health(db).replace('"', "'")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB filesystem (tmpfs), so SQLite meets a real ENOSPC."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({done.stderr.strip()}); the same policy is tested with "
            "SQLite's max_page_count in agent/tests/test_outbox.py"
        )
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_drops_the_oldest_batches_counts_them_and_reports_them(
    server: tuple[Database, Server, str, str], make_host: Any, tiny_disk: Path
) -> None:
    db, live, token, api_token = server
    clocks = Clocks()
    clocks.base -= 150 * 60 + 30  # a backlog of 150 minutes that ends now
    host = make_host(live.base, token, clocks, state=tiny_disk / "state")
    taken = []
    for _ in range(150):  # ~7 KB each while the server is not reached: more than the disk holds
        clocks.advance(60)
        taken.append(host.collect(n=80)[0])

    dropped = host.outbox.dropped
    assert 0 < dropped < 150, "the disk filled up and the oldest batches made room"
    assert host.outbox.depth() == 150 - dropped
    host.run_for(120, step=1)
    assert host.outbox.depth() == 0, "what was kept is delivered"

    stored = host.stored_times(db)
    kept = taken[dropped:]  # the newest, in order
    assert len(stored) == 80 * len(kept)
    assert sorted(set(stored)) == [parse_rfc3339(t) for t in kept], "not the oldest were dropped"
    host.collect()
    host.run_for(1, step=1)
    headers = {"Authorization": f"Bearer {api_token}"}
    found = httpx.get(
        f"{live.base}/api/v1/assets", params={"q": socket.gethostname()}, headers=headers
    ).json()["items"]
    healths = [a["agent"]["health"] for a in found if a.get("agent")]
    assert any(h.get("dropped_batches") == dropped for h in healths), healths
