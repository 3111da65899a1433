"""`openmsp serve` on a fresh data directory: migrates, answers /healthz, and its scheduler and
worker processes really run periodic jobs; SIGTERM stops the whole process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e import ROOT, Database, free_port, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Database, subprocess.Popen[bytes]]]:
    port = free_port()
    with Database(tmp_path) as db:
        proc = subprocess.Popen(
            [sys.executable, "-m", "openmsp.cli", "serve", "--port", str(port)],
            env=db.env(),
            cwd=ROOT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            yield base, db, proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_migrates_answers_health_and_runs_periodic_jobs_then_stops_cleanly(served) -> None:
    base, db, proc = served
    wait_for(lambda: _healthy(base), 120, "/healthz to answer 200")
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/accounts/login/").status_code == 200

    # The scheduler created its schedule rows; make one job due and watch the worker run it.
    wait_for(
        lambda: db.query("SELECT count(*) FROM core_periodicjob")[0][0] >= 3, 30, "schedule rows"
    )
    # The instant written the way Django stores it on each engine (SQLite: naive UTC text), so
    # the scheduler's conditional claim (WHERE next_run_at = <what it read>) matches it.
    past = "'2000-01-01 00:00:00'" if db.engine == "sqlite" else "'2000-01-01 00:00:00+00'"
    db.query("UPDATE core_periodicjob SET next_run_at = " + past + " WHERE name = 'sessions.clear'")
    wait_for(
        lambda: db.query(
            "SELECT status FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE '%clear_expired_sessions' AND status = 'SUCCESSFUL'"
        ),
        60,
        "the worker to run the job the scheduler enqueued",
    )

    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=40) == 0
    assert not _healthy(base)
