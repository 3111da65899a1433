from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fakeserver import TOKEN, FakeServer

AGENT = [sys.executable, "-m", "openmsp_agent"]


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AGENT, *args], capture_output=True, text=True, timeout=120, check=check)


@pytest.fixture
def fast_server(server: FakeServer) -> FakeServer:
    server.state.intervals = {"metrics": 1, "inventory": 3600, "checkin": 60, "command_poll": 1}
    return server


def test_collect_once_prints_a_metrics_sample_and_an_inventory_snapshot() -> None:
    done = cli("collect", "--once")

    output = json.loads(done.stdout)
    assert {s["m"] for s in output["samples"]} >= {
        "cpu.load1",
        "mem.total_bytes",
        "agent.rss_bytes",
    }
    assert len(output["inventory"]["hash"]) == 64
    assert {"os", "packages", "errors"} <= set(output["inventory"]["snapshot"])


def test_enroll_stores_credentials_readable_by_the_owner_only(
    server: FakeServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"

    cli("enroll", "--server", server.url, "--token", TOKEN, "--state-dir", str(state))

    creds = state / "credentials.json"
    assert creds.stat().st_mode & 0o777 == 0o600
    assert json.loads(creds.read_text())["agent_id"] in server.state.agents
    assert TOKEN not in creds.read_text()


def test_enrolling_with_a_bad_token_fails_with_a_clear_message(
    server: FakeServer, tmp_path: Path
) -> None:
    done = cli(
        "enroll",
        "--server",
        server.url,
        "--token",
        "wrong",
        "--state-dir",
        str(tmp_path),
        check=False,
    )

    assert done.returncode == 2
    assert "refused the enrollment token" in done.stderr


def test_status_says_when_the_agent_is_not_enrolled(tmp_path: Path) -> None:
    done = cli("status", "--state-dir", str(tmp_path), check=False)

    assert done.returncode == 1
    assert "Enrolled:             no" in done.stdout


def test_run_enrolls_sends_metrics_and_inventory_runs_commands_and_stops_cleanly_on_sigterm(
    fast_server: FakeServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "OPENMSP_AGENT_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [*AGENT, "run", "--server", fast_server.url, "--state-dir", str(state)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert fast_server.wait_until(lambda s: len(s.agents) == 1)
        agent_id = next(iter(fast_server.state.agents))
        assert fast_server.wait_until(
            lambda s: (
                sum(1 for b in s.batches if b["samples"]) >= 2
                and any(b["inventory"] for b in s.batches)
            ),
            timeout=30,
        )
        command = fast_server.queue_command(agent_id, "echo from-the-server")
        assert fast_server.wait_until(lambda s: command["id"] in s.results, timeout=30)
        assert fast_server.state.results[command["id"]]["stdout"] == "from-the-server\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)

    assert proc.returncode == 0, stderr
    assert "Stopped." in stderr
    sent = {s["m"] for b in fast_server.state.batches for s in b["samples"]}
    assert sent >= {"cpu.percent", "net.rx_bytes_per_s", "mem.total_bytes", "agent.rss_bytes"}
    first_inventory = next(b["inventory"] for b in fast_server.state.batches if b["inventory"])
    assert first_inventory["full"] is True

    status = json.loads(cli("status", "--state-dir", str(state), "--json").stdout)
    assert status["enrolled"]
    assert status["agent_id"] == agent_id
    assert status["last_success_at"]
    assert status["inventory_acked_hash"] == first_inventory["hash"]
