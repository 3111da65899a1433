"""A real openmsp-agent, installed into its own virtualenv, against a real `openmsp serve`.

It enrolls with a token made through the REST API, its metrics and inventory of this very machine
arrive, and when the server is stopped for a while and started again, every batch the agent took
meanwhile arrives exactly once: batch sequence numbers have no gap and no repeat, and the CPU
series has no hole over the outage and no sample twice.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e import ROOT, Database, Server, openmsp, wait_for

pytestmark = pytest.mark.slow
PASSWORD = "e2e-password-123456"
METRICS_EVERY = 1  # seconds; the agent's config file overrides the server's 60 s
OUTAGE = 10  # seconds the server stays down


@pytest.fixture(scope="module")
def agent_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("agent-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin/pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(ROOT / "agent"),
        ],
        check=True,
    )
    return venv


class Agent:
    def __init__(self, venv: Path, state: Path) -> None:
        self.venv = venv
        self.state = state
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, server: str, token: str, config: Path) -> None:
        self.proc = subprocess.Popen(
            [str(self.venv / "bin/openmsp-agent"), "run", "--server", server, "--token", token,
             "--state-dir", str(self.state), "--config", str(config)],
        )  # fmt: skip

    def status(self) -> dict[str, Any]:
        out = subprocess.run(
            [
                str(self.venv / "bin/openmsp-agent"),
                "status",
                "--state-dir",
                str(self.state),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dict(json.loads(out))

    def queued(self) -> int:
        return int(self.status()["outbox"]["batches"])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture
def running(
    tmp_path: Path, agent_venv: Path
) -> Iterator[tuple[Database, Server, httpx.Client, Agent]]:
    with Database(tmp_path / "server") as db:
        openmsp(db, "migrate", "--no-input", "-v", "0")
        openmsp(db, "demo")
        openmsp(db, "createadmin", "--email", "e2e@msp.example", "--password", PASSWORD)
        api_token = openmsp(db, "token", "create", "--user", "e2e@msp.example").strip()
        server = Server(db)
        agent = Agent(agent_venv, tmp_path / "agent-state")
        server.start()
        api = httpx.Client(
            base_url=f"{server.base}/api/v1", headers={"Authorization": f"Bearer {api_token}"}
        )
        try:
            yield db, server, api, agent
        finally:
            agent.stop()
            server.kill()
            api.close()


def _asset_of_this_host(api: httpx.Client) -> dict[str, Any] | None:
    items = api.get("/assets", params={"q": socket.gethostname()}).json()["items"]
    return items[0] if items else None


def test_a_real_agent_reports_this_machine_and_loses_nothing_while_the_server_is_down(
    running: tuple[Database, Server, httpx.Client, Agent], tmp_path: Path
) -> None:
    db, server, api, agent = running
    client_id = api.get("/clients", params={"q": "hanbit"}).json()["items"][0]["id"]
    created = api.post("/enrollment-tokens", json={"client_id": client_id, "name": "e2e"})
    assert created.status_code == 201, created.text
    config = tmp_path / "agent.json"
    config.write_text(json.dumps({"intervals": {"metrics": METRICS_EVERY, "checkin": 1}}))
    agent.start(server.base, created.json()["token"], config)

    # Real metrics and inventory of this machine arrive.
    asset = wait_for(lambda: _asset_of_this_host(api), 60, "the agent's asset")
    assert asset["client_id"] == client_id
    wanted = {"cpu.percent", "mem.used_percent", "disk.used_percent", "system.uptime_seconds"}
    wait_for(
        lambda: (
            wanted
            <= {m["name"] for m in api.get(f"/assets/{asset['id']}/metric-names").json()["metrics"]}
        ),
        60,
        f"metrics {sorted(wanted)}",
    )
    inventory = wait_for(
        lambda: api.get(f"/assets/{asset['id']}/inventory").json()["data"] or None,
        30,  # collected at start, not at the agent's jitter offset (up to 59 s)
        "inventory",
    )
    assert inventory["os"], "the OS section is empty"
    assert len(inventory["packages"]) > 20, "dpkg lists packages on this machine"
    points = api.get(f"/assets/{asset['id']}/metrics", params={"name": "mem.used_percent"}).json()
    assert points["resolution"] == "raw"
    assert 0 < points["series"][0]["points"][-1]["v"] <= 100

    # The server goes away; the agent keeps collecting into its outbox.
    server.stop()
    down_at = dt.datetime.now(dt.UTC)
    # The outage lasts at least OUTAGE seconds and until the agent has queued batches.
    wait_for(
        lambda: agent.queued() >= 5 and _since(down_at) >= OUTAGE,
        60,
        "batches queued while the server is down",
        every=0.5,
    )
    server.start()
    up_at = dt.datetime.now(dt.UTC)
    wait_for(lambda: agent.queued() == 0, 120, "the outbox to drain", every=0.5)

    seqs = [row[0] for row in db.query("SELECT seq FROM agent_api_agentbatch ORDER BY seq")]
    assert len(seqs) == len(set(seqs)), "a batch was stored twice"
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a batch is missing"

    cpu = db.query(
        "SELECT s.t FROM metrics_sample s JOIN metrics_series x ON x.id = s.series_id "
        "WHERE x.name = 'cpu.percent' AND x.labels_key = '{\"cpu\":\"total\"}' ORDER BY s.t"
    )
    times = [_instant(row[0]) for row in cpu]
    assert len(times) == len(set(times)), "a sample was stored twice"
    during = [t for t in times if down_at < t < up_at]
    assert len(during) >= OUTAGE // (2 * METRICS_EVERY), (
        f"samples taken during the outage ({down_at:%H:%M:%S.%f}–{up_at:%H:%M:%S.%f}) are "
        f"missing; stored around it: {[f'{t:%H:%M:%S.%f}' for t in times[-15:]]}"
    )
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert max(gaps) < 4 * METRICS_EVERY, f"a hole of {max(gaps):.1f} s in the CPU series"


def _since(moment: dt.datetime) -> float:
    return (dt.datetime.now(dt.UTC) - moment).total_seconds()


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
