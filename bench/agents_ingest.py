"""N simulated agents checking in metrics batches on PostgreSQL: samples/s, latency, CPU, vs COPY.

    scripts/bench agents_ingest [--agents 2000] [--metrics 40] [--interval 60] [--speedup 1]
                                [--duration 120] [--web-workers 2] [--no-warmup]

Each simulated agent is enrolled for real (same code path as `POST /agent/v1/enroll`) and sends
signed batches of `--metrics` samples every `--interval / --speedup` seconds, starting at its own
jittered offset, for `--duration` seconds. `--speedup 5` with 2,000 agents offers the load of 10,000
agents at the default interval. At the end the run checks that every batch acknowledged with 200
is stored and that no stored batch has its samples twice (a batch the generator gave up on after
its timeout may be stored unacknowledged, as for a real agent, which would resend it), then times
a raw PostgreSQL COPY of the same number of rows into a table of the same shape, in the same
database, for comparison.

First contact is measured on its own: a new agent's first batch creates its series (40 rows
looked up and inserted), every later one only appends samples. Unless `--no-warmup`, every agent
sends its first batch before the timed run (reported as `first_contact_*`), then one interval of
ordinary traffic runs untimed (`warmup_interval_*`): a web worker that has not yet seen an agent
reads its credential and series on the general path, and with several workers the first interval
is when each meets each agent. The timed figures are those of a fleet in its steady state, which
is what the goal is about; `--no-warmup` times a whole fleet appearing at once.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common

MAX_CONNECTIONS = 400  # in all, across the generator's clients

METRICS = [
    ("cpu.percent", {"cpu": "total"}),
    ("cpu.load1", {}),
    ("cpu.load5", {}),
    ("cpu.load15", {}),
    ("mem.used_percent", {}),
    ("mem.available_bytes", {}),
    ("swap.used_percent", {}),
    ("system.uptime_seconds", {}),
    ("system.process_count", {}),
    ("agent.rss_bytes", {}),
] + [("cpu.percent", {"cpu": str(i)}) for i in range(8)] + [
    (name, {"mount": mount})
    for mount in ("/", "/var", "/home")
    for name in ("disk.used_percent", "disk.free_bytes")
] + [
    (name, {"iface": iface})
    for iface in ("eth0", "eth1")
    for name in ("net.rx_bytes_per_s", "net.tx_bytes_per_s", "net.rx_errors", "net.tx_errors")
] + [
    (name, {"device": dev})
    for dev in ("sda", "sdb")
    for name in ("diskio.read_bytes_per_s", "diskio.write_bytes_per_s")
]  # fmt: skip


def enroll_agents(env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """Create a client and enroll *count* agents through the real enrollment action."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmsp.settings")
    import django

    django.setup()
    from django.db import connections

    from openmsp.core.actor import Actor
    from openmsp.tenants import actions as tenant_actions

    client = tenant_actions.create_client(
        actor=Actor.system("bench"), name="Bench Co", code="bench"
    )
    creds = enroll_into([client], count)
    connections.close_all()
    return creds


def enroll_into(clients: list[Any], count: int) -> list[tuple[str, str]]:
    """Enroll *count* agents, spread round-robin over *clients*, through the real enrollment
    action (Django set up); (agent id, secret) of each."""
    from openmsp.agent_api import actions as agent_actions
    from openmsp.agent_api.agent_actions import enroll
    from openmsp.agent_api.schemas import EnrollIn
    from openmsp.core.actor import Actor

    system = Actor.system("bench")
    tokens = [
        agent_actions.create_enrollment_token(actor=system, client=c, name="bench")[1]
        for c in clients
    ]
    creds = []
    for i in range(count):
        e = enroll(
            EnrollIn(
                enrollment_token=tokens[i % len(tokens)],
                machine_id=f"bench-{i}",
                hostname=f"host-{i}",
                os="linux",
                agent_version="bench",
            )
        )
        creds.append((str(e.agent.pk), e.secret))
    return creds


def signed(agent_id: str, secret: str, body: bytes) -> dict[str, str]:
    import hashlib
    import hmac

    stamp = str(int(time.time()))
    message = f"{stamp}.POST./agent/v1/batches.".encode() + body
    return {
        "Authorization": f"Agent {agent_id}",
        "X-OpenMSP-Timestamp": stamp,
        "X-OpenMSP-Signature": "sha256="
        + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


class Load:
    def __init__(
        self, base: str, creds: list[tuple[str, str]], metrics: int, period: float
    ) -> None:
        self.base = base
        self.creds = creds
        self.metrics = (METRICS * (metrics // len(METRICS) + 1))[:metrics]
        self.period = period
        self.latencies: list[float] = []
        self.timeline: list[tuple[float, float]] = []  # (sent at, seconds since the run began)
        self.began = time.monotonic()
        self.statuses: dict[int, int] = {}
        self.samples_acked = 0
        self.acked_batches: list[str] = []
        self.errors = 0
        self.error_kinds: dict[str, int] = {}
        self.seqs = [0] * len(creds)

    def reset_figures(self) -> None:
        """Forget the latencies and counts so far (the acknowledged batches stay: they are
        checked for exactly-once storage at the end like every other)."""
        self.latencies, self.timeline, self.statuses = [], [], {}
        self.samples_acked, self.errors, self.error_kinds = 0, 0, {}

    async def send(self, http: common.KeepAlive, index: int) -> tuple[float, int] | None:
        """One batch from agent *index*: (seconds, status), or None after a transport error."""
        agent_id, secret = self.creds[index]
        self.seqs[index] += 1
        batch_id = str(uuid.uuid4())
        body = self.body(self.seqs[index], batch_id)
        began = time.perf_counter()
        try:
            status, _answer = await http.request(
                "POST", "/agent/v1/batches", signed(agent_id, secret, body), body
            )
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.errors += 1
            kind = f"{type(exc).__name__}: {exc}"[:80]
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
            return None
        if status == 200:
            self.acked_batches.append(batch_id)
        return time.perf_counter() - began, status

    async def first_contact(self, parallel: int) -> dict[str, Any]:
        """Every agent's first batch (which creates its series), *parallel* at a time."""
        http = common.KeepAlive(self.base, MAX_CONNECTIONS)
        gate = asyncio.Semaphore(parallel)
        latencies: list[float] = []
        failed = 0

        async def one(index: int) -> None:
            nonlocal failed
            async with gate:
                sent = await self.send(http, index)
            if sent is None or sent[1] != 200:
                failed += 1
            else:
                latencies.append(sent[0])

        began = time.monotonic()
        try:
            await asyncio.gather(*(one(i) for i in range(len(self.creds))))
        finally:
            await http.close()
        return {
            "first_contact_batches": len(latencies),
            "first_contact_failed": failed,
            "first_contact_seconds": round(time.monotonic() - began, 1),
            "first_contact_p99_ms": round(common.percentile(latencies, 99) * 1000, 1),
        }

    def body(self, seq: int, batch_id: str) -> bytes:
        now = dt.datetime.now(dt.UTC).isoformat()
        samples = [
            {"t": now, "m": name, "v": round(random.random() * 100, 3), "l": labels}
            for name, labels in self.metrics
        ]
        return json.dumps(
            {"batch_id": batch_id, "seq": seq, "sent_at": now, "samples": samples}
        ).encode()

    async def agent(self, http: common.KeepAlive, index: int, until: float) -> None:
        # The server-assigned jitter; no sleep past the end (the run's length is the divisor).
        await asyncio.sleep(min(random.random() * self.period, max(0.0, until - time.monotonic())))
        start = time.monotonic()
        sent_here = 0
        while time.monotonic() < until:
            sent_here += 1
            sent = await self.send(http, index)
            if sent is not None:
                latency, status = sent
                self.latencies.append(latency)
                self.timeline.append((time.monotonic() - latency - self.began, latency))
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 200:
                    self.samples_acked += len(self.metrics)
            next_at = min(start + sent_here * self.period, until)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def run(self, duration: float) -> float:
        # A bare keep-alive client (bench/common.py): httpx's per-request CPU (and httpcore's
        # quadratic matching of queued requests to pooled connections) throttled the offer.
        http = common.KeepAlive(self.base, MAX_CONNECTIONS)
        began = self.began = time.monotonic()
        until = began + duration
        try:
            await asyncio.gather(*(self.agent(http, i, until) for i in range(len(self.creds))))
        finally:
            await http.close()
        return time.monotonic() - began


@dataclass(frozen=True)
class Stored:
    samples: int  # rows in metrics_sample
    samples_of_batches: int  # what the stored batch ids say they carried
    acked_batches_missing: int  # acknowledged (200) batches the server has no record of

    def exactly_once(self) -> bool:
        """Every acknowledged batch is stored, and no stored batch has its samples twice (or
        half). Batches stored but not acknowledged (a client timeout) may exist: the agent
        resends those and is told `duplicate`."""
        return self.acked_batches_missing == 0 and self.samples == self.samples_of_batches


def stored(url: str, acked_batches: list[str]) -> Stored:
    with psycopg.connect(url) as conn:
        samples = conn.execute(b"SELECT count(*) FROM metrics_sample").fetchone()
        by_batches = conn.execute(
            b"SELECT coalesce(sum(sample_count), 0) FROM agent_api_agentbatch"
        ).fetchone()
        found = conn.execute(
            b"SELECT count(*) FROM agent_api_agentbatch WHERE batch_id = ANY(%s::uuid[])",
            [acked_batches],
        ).fetchone()
    return Stored(
        samples=int(samples[0]) if samples else 0,
        samples_of_batches=int(by_batches[0]) if by_batches else 0,
        acked_batches_missing=len(acked_batches) - (int(found[0]) if found else 0),
    )


def copy_rate(url: str, rows: int) -> float:
    """Rows/s of a raw COPY of *rows* rows into an indexed table shaped like metrics_sample
    (client and server CPU together are one core busy for that long: the cost baseline)."""
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(url) as conn:
        conn.execute(
            b"CREATE TEMP TABLE copy_probe (series_id bigint NOT NULL, t timestamptz NOT NULL, "
            b"v double precision NOT NULL)"
        )
        conn.execute(b"CREATE INDEX ON copy_probe (series_id, t)")
        began = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(b"COPY copy_probe (series_id, t, v) FROM STDIN") as copy,
        ):
            for i in range(rows):
                copy.write_row((i % 80_000, now, 1.5))
        conn.commit()
        return rows / (time.perf_counter() - began)


def windows(timeline: list[tuple[float, float]], width: float) -> list[dict[str, float]]:
    """Latency per *width*-second window of the run (by send time): where the slow 1 % sit."""
    buckets: dict[int, list[float]] = {}
    for at, latency in timeline:
        buckets.setdefault(int(at // width), []).append(latency)
    return [
        {
            "from_s": k * width,
            "requests": len(v),
            "p99_ms": round(common.percentile(v, 99) * 1000, 1),
            "max_ms": round(max(v) * 1000, 1),
        }
        for k, v in sorted(buckets.items())
    ]


CHECKPOINT_LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] LOG:  checkpoint "
    r"(?P<what>starting: .*|complete: .*total=(?P<total>[\d.]+) s.*)$"
)


def checkpoints(log: Path, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """PostgreSQL's checkpoints between two instants, from its log (log_checkpoints is on by
    default since 15), as seconds since *since*: the first suspect for write stalls."""
    found: list[dict[str, Any]] = []
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        m = CHECKPOINT_LINE.match(line)
        if not m:
            continue
        at = dt.datetime.fromisoformat(m["at"]).replace(tzinfo=dt.UTC)
        if since <= at <= until:
            what = m["what"]
            entry: dict[str, Any] = {"at_s": round((at - since).total_seconds(), 1)}
            if what.startswith("starting"):
                entry["starting"] = what.removeprefix("starting: ")
            else:
                entry["complete_total_s"] = float(m["total"])
            found.append(entry)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--metrics", type=int, default=40)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--speedup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--pg-log",
        type=Path,
        default=Path("/var/log/postgresql/postgresql-15-main.log"),
        help="PostgreSQL's log, read for the checkpoints during the run",
    )
    parser.add_argument(
        "--warmup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send every agent's first batch (series creation) before the timed run",
    )
    args = parser.parse_args()
    period = args.interval / args.speedup

    with common.scratch_database("openmsp_bench") as url:
        env = {
            **os.environ,
            "OPENMSP_DATABASE_URL": url,
            "OPENMSP_DATA_DIR": tempfile.mkdtemp(),
        }
        env["OPENMSP_LOG_LEVEL"] = "WARNING"
        common.openmsp(["migrate", "-v", "0"], env)
        t0 = time.monotonic()
        creds = enroll_agents(env, args.agents)
        print(f"enrolled {len(creds)} agents in {time.monotonic() - t0:.1f} s")
        with common.web_server(env, args.web_workers) as (base, web):
            load = Load(base, creds, args.metrics, period)
            first = asyncio.run(load.first_contact(parallel=64)) if args.warmup else {}
            if first:
                print(f"first contact: {first}")
                # One interval of ordinary traffic, untimed: each web worker has then seen every
                # agent and its series (what a fleet looks like after the first minute).
                asyncio.run(load.run(period))
                first["warmup_interval_p99_ms"] = round(
                    common.percentile(load.latencies, 99) * 1000, 1
                )
                first["warmup_interval_slow_windows"] = [
                    w for w in windows(load.timeline, 5.0) if w["max_ms"] > 500
                ]
                print(f"warm-up interval: p99 {first['warmup_interval_p99_ms']} ms")
                load.reset_figures()
            web_cpu0, pg_cpu0 = common.tree_cpu_seconds(web), common.postgres_cpu_seconds()
            gen_cpu0 = time.process_time()
            run_began = dt.datetime.now(dt.UTC)
            elapsed = asyncio.run(load.run(args.duration))
            run_ended = dt.datetime.now(dt.UTC)
            web_cpu = common.tree_cpu_seconds(web) - web_cpu0
            pg_cpu = common.postgres_cpu_seconds() - pg_cpu0
            gen_cpu = time.process_time() - gen_cpu0
        kept = stored(url, load.acked_batches)
        copy_rows_per_s = copy_rate(url, max(kept.samples, 100_000))

    offered = args.agents * args.metrics / period
    achieved = load.samples_acked / elapsed  # in the timed run
    acked_in_all = len(load.acked_batches) * len(load.metrics)
    result: dict[str, Any] = {
        "scenario": "agents_ingest",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": common.machine(),
        "args": vars(args),
        "agents_equivalent": round(args.agents * args.speedup),
        "offered_samples_per_s": round(offered),
        "achieved_samples_per_s": round(achieved),
        "requests": len(load.latencies),
        "statuses": load.statuses,
        "transport_errors": load.errors,
        "transport_errors_by_kind": load.error_kinds,
        "latency_p50_ms": round(common.percentile(load.latencies, 50) * 1000, 1),
        "latency_p99_ms": round(common.percentile(load.latencies, 99) * 1000, 1),
        "web_cpu_percent_of_one_core": round(100 * web_cpu / elapsed, 1),
        "postgres_cpu_percent_of_one_core": round(100 * pg_cpu / elapsed, 1),
        "generator_cpu_percent_of_one_core": round(100 * gen_cpu / elapsed, 1),
        **first,
        "samples_acknowledged": acked_in_all,  # first contact included
        "samples_stored": kept.samples,
        "samples_stored_not_acknowledged": kept.samples - acked_in_all,
        "acknowledged_batches_missing": kept.acked_batches_missing,
        "stored_exactly_once": kept.exactly_once(),
        "copy_rows_per_s": round(copy_rows_per_s),
        # CPU cost per 1,000 samples through the whole server path (HTTP, HMAC, validation,
        # idempotency, series lookup, COPY) against a bare COPY of the same rows.
        "server_cpu_ms_per_1000_samples": round(
            1e6 * (web_cpu + pg_cpu) / max(1, load.samples_acked), 1
        ),
        "copy_ms_per_1000_rows": round(1e6 / copy_rows_per_s, 2),
        "cost_ratio_to_copy": round(
            (1e6 * (web_cpu + pg_cpu) / max(1, load.samples_acked)) / (1e6 / copy_rows_per_s), 1
        ),
    }
    timeline = windows(load.timeline, 5.0)
    result["latency_by_5s_window"] = timeline
    result["checkpoints_during_run"] = checkpoints(args.pg_log, run_began, run_ended)
    result["slow_windows"] = [w for w in timeline if w["max_ms"] > 500]
    path = common.save("agents_ingest", result)
    for key, value in result.items():
        print(f"{key:36} {value}")
    print(f"(appended to {path})")


if __name__ == "__main__":
    main()
