"""`openmsp serve` on a fresh data directory: migrates, answers /healthz, and its scheduler and
worker processes really run periodic jobs; SIGTERM stops the whole process group."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Database:
    """A throw-away database of the engine the suite runs on, reached without Django."""

    def __init__(self, data_dir: Path) -> None:
        self.pg_url = os.environ.get("OPENMSP_DATABASE_URL")
        self.data_dir = data_dir
        self.name = f"openmsp_e2e_{uuid.uuid4().hex[:8]}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "OPENMSP_DATABASE_URL"}
        env["OPENMSP_DATA_DIR"] = str(self.data_dir)
        if self.pg_url:
            env["OPENMSP_DATABASE_URL"] = self.pg_url.rsplit("/", 1)[0] + "/" + self.name
        return env

    def __enter__(self) -> Database:
        if self.pg_url:
            self._admin(f"CREATE DATABASE {self.name}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pg_url:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def _admin(self, sql: str) -> None:
        import psycopg

        assert self.pg_url is not None
        with psycopg.connect(self.pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(sql.encode())

    def query(self, sql: str) -> list[tuple[object, ...]]:
        if self.pg_url:
            import psycopg

            with psycopg.connect(self.env()["OPENMSP_DATABASE_URL"], autocommit=True) as conn:
                return list(conn.execute(sql))
        with sqlite3.connect(self.data_dir / "openmsp.sqlite3", timeout=20) as conn:
            return list(conn.execute(sql))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Database, subprocess.Popen[bytes]]]:
    port = _free_port()
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
    _wait_for(lambda: _healthy(base), 120, "/healthz to answer 200")
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/accounts/login/").status_code == 200

    # The scheduler created its schedule rows; make one job due and watch the worker run it.
    _wait_for(
        lambda: db.query("SELECT count(*) FROM core_periodicjob")[0][0] >= 3, 30, "schedule rows"
    )
    db.query(
        "UPDATE core_periodicjob SET next_run_at = '2000-01-01 00:00:00+00:00' WHERE name = 'sessions.clear'"
    )
    _wait_for(
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
