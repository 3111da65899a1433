"""Helpers for end-to-end tests that run OpenMSP as real processes (not Django's test client).

The database is a throw-away one of the engine the suite runs on: a SQLite file in the test's data
directory, or a new PostgreSQL database next to OPENMSP_DATABASE_URL's, reached without Django.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], T | None], timeout: float, what: str, every: float = 0.2) -> T:
    """Poll *condition* until it returns something truthy; fail naming *what* after *timeout*."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Database:
    def __init__(self, data_dir: Path) -> None:
        self.pg_url = os.environ.get("OPENMSP_DATABASE_URL")
        self.data_dir = data_dir
        self.name = f"openmsp_e2e_{uuid.uuid4().hex[:8]}"

    @property
    def engine(self) -> str:
        return "postgresql" if self.pg_url else "sqlite"

    def env(self) -> dict[str, str]:
        # Real server processes run as in production: with the connection pool.
        unset = {"OPENMSP_DATABASE_URL", "OPENMSP_DB_POOL_SIZE"}
        env = {k: v for k, v in os.environ.items() if k not in unset}
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

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg_url:
            import psycopg

            with psycopg.connect(self.env()["OPENMSP_DATABASE_URL"], autocommit=True) as conn:
                cursor = conn.execute(sql.encode())
                return list(cursor) if cursor.description else []
        with sqlite3.connect(self.data_dir / "openmsp.sqlite3", timeout=20) as conn:
            return list(conn.execute(sql))


def openmsp(db: Database, *args: str) -> str:
    """Run one `openmsp` command against *db*; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "openmsp.cli", *args],
        env=db.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


class Server:
    """`openmsp serve` (web, worker, scheduler) in its own process group; stop and start again."""

    def __init__(self, db: Database, port: int | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "openmsp.cli", "serve", "--port", str(self.port)],
            env=self.db.env(),
            cwd=ROOT,
            start_new_session=True,
        )
        wait_for(self.healthy, timeout, f"{self.base}/healthz to answer 200")

    def healthy(self) -> bool:
        with contextlib.suppress(httpx.TransportError):
            return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
        return False

    def stop(self, timeout: float = 40) -> int:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.proc = None
        return code

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
