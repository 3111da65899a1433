"""A real openmsp-agent runs a local check the server gave it: a process-present check on a real
process of this machine. Killing the process fires a Problem; starting it again resolves it.

(systemd does not run in this container, so the stop/start goes through a real process; the
systemd evaluator is unit-tested against a fake `systemctl` in agent/tests/test_checks.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e import Database, Server, wait_for
from tests.test_agent_end_to_end import Agent, _asset_of_this_host, agent_venv, running

pytestmark = pytest.mark.slow
__all__ = ["agent_venv", "running"]  # the fixtures, shared with the other agent end-to-end test


def _problem_state(db: Database, check_id: int) -> str | None:
    rows = db.query(
        "SELECT state FROM alerts_problem WHERE source = 'check' "
        f"AND object_id = '{check_id}' ORDER BY id DESC"
    )
    return str(rows[0][0]) if rows else None


def _results(db: Database, check_id: int) -> list[str]:
    rows = db.query(
        f"SELECT status FROM monitoring_checkresult WHERE for_check_id = {check_id} ORDER BY at"
    )
    return [str(r[0]) for r in rows]


def test_a_real_agent_reports_a_stopped_process_and_its_recovery(
    running: tuple[Database, Server, httpx.Client, Agent], tmp_path: Path
) -> None:
    db, server, api, agent = running
    client_id = api.get("/clients", params={"q": "hanbit"}).json()["items"][0]["id"]
    token = api.post("/enrollment-tokens", json={"client_id": client_id, "name": "e2e"}).json()
    config = tmp_path / "agent.json"
    config.write_text(json.dumps({"intervals": {"metrics": 1, "checkin": 1}}))

    # The "service": a real process under a name of its own.
    name = f"omsp-{uuid.uuid4().hex[:8]}"
    program = tmp_path / name
    os.symlink("/bin/sleep", program)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([str(program), "300"])

    service = start()
    try:
        agent.start(server.base, token["token"], config)
        asset = wait_for(lambda: _asset_of_this_host(api), 30, "the agent's asset")
        created = api.post(
            "/checks",
            json={"client_id": client_id, "asset_id": asset["id"], "name": f"{name} running",
                  "kind": "agent_process", "target": name, "settings": {"name": name},
                  "interval_seconds": 10, "timeout_seconds": 5},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        check_id = created.json()["id"]

        wait_for(lambda: "ok" in _results(db, check_id), 25, "a first OK result from the agent")
        assert _problem_state(db, check_id) is None

        service.kill()
        service.wait()
        wait_for(lambda: _problem_state(db, check_id) == "firing", 15, "the problem to fire")
        shown = api.get(f"/checks/{check_id}").json()
        assert shown["last_status"] == "critical", shown
        assert "0 process" in shown["last_summary"]

        service = start()
        wait_for(lambda: _problem_state(db, check_id) == "resolved", 15, "the problem to resolve")
        assert _results(db, check_id)[-1] == "ok"
        # The agent kept its definitions (checks.json) and reports their version in each batch.
        kept = json.loads((agent.state / "checks.json").read_text())
        assert [i["id"] for i in kept["items"]] == [check_id]
    finally:
        service.kill()
        service.wait()
