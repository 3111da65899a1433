"""Heartbeat pings on PostgreSQL: pings/s answered "OK" (each committed before its 200), latency.

    scripts/bench heartbeat_pings [--heartbeats 1000] [--concurrency 64] [--duration 30]
                                  [--web-workers 2] [--start-share 0.5] [--database NAME]

Creates `--heartbeats` heartbeats (one client) in a fresh database, starts a real `openmsp web`
(gunicorn + uvicorn workers, ASGI, per-process connection pool) and lets `--concurrency` simulated
jobs ping it as fast as it answers for `--duration` seconds over keep-alive connections: each job
picks a random heartbeat and sends `/start` (share `--start-share`) or a success ping. A 200 is
only sent after the ping's transaction committed; at the end the run checks that exactly one ping
was committed per "OK" received (nothing acknowledged was lost, nothing stored twice).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common


@contextlib.contextmanager
def named_database(name: str) -> Iterator[str]:
    """A fresh database of this name (dropped first if a previous run left it), dropped after."""
    admin = f"{common.PG_SERVER}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
        conn.execute(f"CREATE DATABASE {name}".encode())
    try:
        yield f"{common.PG_SERVER}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def create_heartbeats(env: dict[str, str], count: int) -> list[str]:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmsp.settings")
    import django

    django.setup()
    from django.db import connections

    from openmsp.core.actor import Actor
    from openmsp.tenants import actions as tenant_actions

    system = Actor.system("bench")
    client = tenant_actions.create_client(actor=system, name="Bench Co", code="bench")
    keys = bulk_heartbeats([client], count)
    connections.close_all()
    return keys


def bulk_heartbeats(clients: list[Any], count: int, period_seconds: int = 60) -> list[str]:
    """*count* heartbeats spread round-robin over *clients* (Django set up); their ping keys."""
    from openmsp.heartbeats.models import Heartbeat

    # bulk_create: the people's path (create_heartbeat, audited) is not what is measured here.
    rows = Heartbeat.objects.bulk_create(
        [
            Heartbeat(
                client=clients[i % len(clients)], name=f"job {i}", period_seconds=period_seconds
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    return [str(hb.ping_key) for hb in rows]


class Load:
    def __init__(self, base: str, keys: list[str], start_share: float) -> None:
        self.base = base
        self.keys = keys
        self.start_share = start_share
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.ok = 0
        self.errors = 0

    async def job(self, http: common.KeepAlive, until: float) -> None:
        """One simulated job: a request, its answer, the next (one connection per job)."""
        while time.monotonic() < until:
            key = random.choice(self.keys)
            suffix = "/start" if random.random() < self.start_share else ""
            await self.ping(http, f"/ping/{key}{suffix}")

    async def ping(self, http: common.KeepAlive, path: str) -> None:
        began = time.perf_counter()
        try:
            status, body = await http.request("GET", path)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.errors += 1
            return
        self.latencies.append(time.perf_counter() - began)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200 and body == b"OK":
            self.ok += 1

    async def paced(self, http: common.KeepAlive, key: str, period: float, until: float) -> None:
        """One scheduled job, as a real one pings: `/start`, then success (after a share of the
        period given by `start_share`), once every *period* seconds from a random phase."""
        await asyncio.sleep(min(random.random() * period, max(0.0, until - time.monotonic())))
        start = time.monotonic()
        runs = 0
        while time.monotonic() < until:
            runs += 1
            if self.start_share > 0:
                await self.ping(http, f"/ping/{key}/start")
                pause = period * self.start_share * random.random()
                await asyncio.sleep(min(pause, max(0.0, until - time.monotonic())))
            await self.ping(http, f"/ping/{key}")
            await asyncio.sleep(max(0.0, min(start + runs * period, until) - time.monotonic()))

    async def run(self, concurrency: int, duration: float) -> float:
        http = common.KeepAlive(self.base, concurrency)
        began = time.monotonic()
        until = began + duration
        try:
            await asyncio.gather(*(self.job(http, until) for _ in range(concurrency)))
        finally:
            await http.close()
        return time.monotonic() - began


def stored_pings(url: str) -> int:
    """Pings committed: each heartbeat's ping_count moves in the ping's own transaction (the log
    itself is pruned to the newest 1,000 per heartbeat, so its rows may be fewer)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            b"SELECT coalesce(sum(ping_count), 0) FROM heartbeats_heartbeat"
        ).fetchone()
        return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heartbeats", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--start-share", type=float, default=0.5)
    parser.add_argument("--database", default="openmsp_bench_heartbeats")
    args = parser.parse_args()

    with named_database(args.database) as url:
        env = {**os.environ, "OPENMSP_DATABASE_URL": url, "OPENMSP_DATA_DIR": tempfile.mkdtemp()}
        env["OPENMSP_LOG_LEVEL"] = "WARNING"
        common.openmsp(["migrate", "-v", "0"], env)
        keys = create_heartbeats(env, args.heartbeats)
        with common.web_server(env, args.web_workers) as (base, web):
            load = Load(base, keys, args.start_share)
            web_cpu0, pg_cpu0 = common.tree_cpu_seconds(web), common.postgres_cpu_seconds()
            gen_cpu0 = time.process_time()
            elapsed = asyncio.run(load.run(args.concurrency, args.duration))
            web_cpu = common.tree_cpu_seconds(web) - web_cpu0
            pg_cpu = common.postgres_cpu_seconds() - pg_cpu0
            gen_cpu = time.process_time() - gen_cpu0
        stored = stored_pings(url)

    result: dict[str, Any] = {
        "scenario": "heartbeat_pings",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": common.machine(),
        "args": vars(args),
        "pings_ok_per_s": round(load.ok / elapsed),
        "requests": len(load.latencies),
        "statuses": load.statuses,
        "transport_errors": load.errors,
        "latency_p50_ms": round(common.percentile(load.latencies, 50) * 1000, 1),
        "latency_p99_ms": round(common.percentile(load.latencies, 99) * 1000, 1),
        "web_cpu_percent_of_one_core": round(100 * web_cpu / elapsed, 1),
        "postgres_cpu_percent_of_one_core": round(100 * pg_cpu / elapsed, 1),
        "generator_cpu_percent_of_one_core": round(100 * gen_cpu / elapsed, 1),
        "server_cpu_ms_per_ping": round(1000 * (web_cpu + pg_cpu) / max(1, load.ok), 2),
        "pings_acknowledged": load.ok,
        "pings_stored": stored,
        "stored_exactly_once": stored == load.ok,
    }
    path = common.save("heartbeat_pings", result)
    for key, value in result.items():
        print(f"{key:36} {value}")
    print(f"(appended to {path})")


if __name__ == "__main__":
    main()
