"""Helpers the benchmark scenarios share: throw-away PostgreSQL databases, server processes,
process CPU accounting, percentiles, and the results file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("OPENMSP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
# Several people benchmarking on one PostgreSQL server can tell their scratch databases apart.
DB_PREFIX = os.environ.get("OPENMSP_BENCH_DB_PREFIX", "")


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run; dropped afterwards."""
    name = f"{DB_PREFIX or prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openmsp(args: Sequence[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "openmsp.cli", *args], env=env, check=True, cwd=ROOT)


@contextlib.contextmanager
def web_server(
    env: dict[str, str], workers: int, port: int = 0
) -> Iterator[tuple[str, psutil.Process]]:
    """`openmsp web` with *workers* workers on *port* (a free one if 0), once /healthz answers."""
    port = port or free_port()
    (ROOT / "bench" / "results").mkdir(exist_ok=True)  # not in git: a fresh clone has none
    log = open(ROOT / "bench" / "results" / "web.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openmsp.cli",
            "web",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError("the web server did not become healthy in 60 s")
        yield base, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@contextlib.contextmanager
def platform_process(env: dict[str, str], args: Sequence[str]) -> Iterator[psutil.Process]:
    """One of the platform's processes (`openmsp worker`, `scheduler`, `poller` ...), its output
    in bench/results/<command>.log; stopped (SIGTERM, then SIGKILL) afterwards."""
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    log = open(ROOT / "bench" / "results" / f"{args[0]}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "openmsp.cli", *args], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    try:
        yield psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def tree_rss_bytes(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def postgres_processes() -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["name"]):
        if p.info["name"] and p.info["name"].startswith("postgres"):
            found.append(p)
    return found


def postgres_memory_bytes() -> tuple[int, int]:
    """(RSS summed over PostgreSQL's processes, the same less their shared pages): the first
    counts shared buffers once per backend that touched them, the second leaves them out."""
    rss = private = 0
    for p in postgres_processes():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            m = p.memory_info()
            rss += m.rss
            private += max(0, m.rss - getattr(m, "shared", 0))
    return rss, private


def tree_cpu_seconds(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def postgres_cpu_seconds() -> float:
    total = 0.0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] and p.info["name"].startswith("postgres"):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                t = p.cpu_times()
                total += t.user + t.system
    return total


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, Any]:
    return {
        "cpus": psutil.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def save(scenario: str, result: dict[str, Any], directory: Path | None = None) -> Path:
    out = directory or ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{scenario}.jsonl"
    with path.open("a") as handle:
        handle.write(json.dumps(result, default=str) + "\n")
    return path


class KeepAlive:
    """A bare HTTP/1.1 keep-alive client for load generators: up to `size` connections shared
    by any number of callers; answers must carry Content-Length (ours do).

    httpx spent more CPU per request than the server under test (5 to 14 ms), so the generator,
    not the server, set the pace; this costs tens of microseconds per request."""

    def __init__(self, base: str, size: int) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.free: asyncio.Queue[tuple[Any, Any] | None] = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(None)  # a slot; connected on first use

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        """(status, body); raises OSError (or asyncio.IncompleteReadError) on a broken
        connection, which is then dropped and its slot reconnected on next use."""

        conn = await self.free.get()
        try:
            answer = None
            if conn is not None:
                try:
                    answer = await self._exchange(conn, method, path, headers or {}, body)
                except (OSError, asyncio.IncompleteReadError):
                    # A kept-alive connection the server closed while idle (uvicorn: after
                    # 5 s): try once on a new one, as HTTP clients do.
                    conn[1].close()
                    conn = None
            if answer is None:
                conn = await asyncio.open_connection(self.host, self.port)
                answer = await self._exchange(conn, method, path, headers or {}, body)
        except BaseException:
            if conn is not None:
                conn[1].close()
            self.free.put_nowait(None)
            raise
        self.free.put_nowait(conn)
        return answer

    async def _exchange(
        self, conn: tuple[Any, Any], method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        reader, writer = conn
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value.strip())
        return status, await reader.readexactly(length)

    async def close(self) -> None:
        while not self.free.empty():
            conn = self.free.get_nowait()
            if conn is not None:
                conn[1].close()
