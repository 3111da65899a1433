"""Synthetic checks per minute and p99 schedule lag of `openmsp poller` on PostgreSQL.

N TCP checks (default 20,000, one-minute interval) point at a listener on 127.0.0.1 that accepts
and closes (with --http-share, that share of them are HTTP checks of a server on 127.0.0.1, as in
the reference load: one in five); one or more real `openmsp poller` processes run them for --duration seconds. Measured
from the stored results: checks run per minute and the schedule lag (start of a run minus its
slot) of runs after a warm-up. Goal (issue 4): 20,000 checks/min with p99 lag <= 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common


def listener() -> int:
    """A TCP port on 127.0.0.1 that accepts connections and closes them (so the backlog never
    fills, as it would if nobody accepted)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)

    def serve() -> None:
        while True:
            conn, _addr = sock.accept()
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(sock.getsockname()[1])


def seed(
    count: int,
    port: int,
    interval: int,
    *,
    client: Any = None,
    first_pk: int = 1,
    http_url: str | None = None,
    http_share: float = 0.0,
) -> dt.datetime:
    """Create the checks (TCP to *port*; a share *http_share* of them HTTP to *http_url*),
    their ids from *first_pk* on; return when their first slots begin."""
    import django

    django.setup()
    from django.utils import timezone

    from openmsp.monitoring.models import Check
    from openmsp.monitoring.schedule import slot_after
    from openmsp.tenants.models import Client

    if client is None:
        client = Client.objects.create(name="Bench client", code="bench")
    http_every = round(1 / http_share) if http_url and http_share > 0 else 0

    def check(i: int) -> Check:
        if http_url and http_every and i % http_every == 0:
            return Check(pk=i, client=client, name=f"http {i}", kind="http", target=http_url,
                         settings={}, interval_seconds=interval, timeout_seconds=5,
                         next_check_at=slot_after(i, interval, start))  # fmt: skip
        return Check(pk=i, client=client, name=f"tcp {i}", kind="tcp", target="127.0.0.1",
                     settings={"port": port}, interval_seconds=interval, timeout_seconds=5,
                     next_check_at=slot_after(i, interval, start))  # fmt: skip

    # Ids chosen here (a fresh database) so each check's first slot is known at insert time:
    # one bulk INSERT, and the slots start right after it, not while it runs.
    ahead = dt.timedelta(seconds=interval * max(1, 600 // interval))
    began = timezone.now()
    start = began + ahead
    ids = range(first_pk, first_pk + count)
    Check.objects.bulk_create([check(i) for i in ids], batch_size=2000)
    # Bring the slots to the present only now that every check exists (seeding takes seconds).
    from django.db.models import F

    # Whole intervals only, so every check keeps its phase (its later slots follow the same grid).
    elapsed = (timezone.now() - began).total_seconds()
    periods = int(elapsed // interval) + 1
    shift = ahead - dt.timedelta(seconds=interval * periods)
    Check.objects.filter(pk__gte=first_pk, pk__lt=first_pk + count).update(
        next_check_at=F("next_check_at") - shift
    )
    return began + dt.timedelta(seconds=interval * periods)


def measure(since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    from openmsp.monitoring.models import CheckResult

    rows = CheckResult.objects.filter(at__gte=since, at__lt=until)
    lags = sorted(float(lag) for lag in rows.values_list("lag_ms", flat=True) if lag is not None)
    statuses = dict.fromkeys(("ok", "warning", "critical", "unknown"), 0)
    for status in rows.values_list("status", flat=True):
        statuses[status] += 1
    minutes = (until - since).total_seconds() / 60
    return {
        "checks_per_minute": round(len(lags) / minutes),
        "lag_p50_ms": common.percentile(lags, 50) if lags else None,
        "lag_p99_ms": common.percentile(lags, 99) if lags else None,
        "lag_max_ms": lags[-1] if lags else None,
        "statuses": statuses,
        "runs_measured": len(lags),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--pollers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--http-share", type=float, default=0.0, help="e.g. 0.2: one in five")
    args = parser.parse_args()

    with common.scratch_database("openmsp_bench") as url:
        env = {**os.environ, "OPENMSP_DATABASE_URL": url, "OPENMSP_DATA_DIR": tempfile.mkdtemp(),
               "OPENMSP_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "openmsp.settings",
               # The targets are on 127.0.0.1, which the outbound rule refuses (security.md).
               "OPENMSP_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1"}  # fmt: skip
        os.environ.update(env)
        common.openmsp(["migrate", "-v", "0"], env)
        port = listener()
        from django.utils import timezone

        command = [
            sys.executable,
            "-m",
            "openmsp.cli",
            "poller",
            "--concurrency",
            str(args.concurrency),
        ]
        pollers = [subprocess.Popen(command, env=env, cwd=common.ROOT) for _ in range(args.pollers)]
        procs = [psutil.Process(p.pid) for p in pollers]
        http_url = None
        if args.http_share > 0:
            import django

            django.setup()
            from openmsp.monitoring.tests.peers import HttpPeer

            http_url = HttpPeer().url
        first_slots = seed(  # while the pollers start
            args.checks, port, args.interval, http_url=http_url, http_share=args.http_share
        )
        wait = (first_slots - timezone.now()).total_seconds()
        time.sleep(max(0.0, wait))
        started = timezone.now()
        pg0 = common.postgres_cpu_seconds()
        cpu0 = [common.tree_cpu_seconds(p) for p in procs]
        time.sleep(args.duration)
        cpu = sum(common.tree_cpu_seconds(p) - c for p, c in zip(procs, cpu0, strict=True))
        pg_cpu = common.postgres_cpu_seconds() - pg0
        ended = timezone.now()
        for proc in pollers:
            proc.terminate()
        for proc in pollers:
            proc.wait(30)
        figures = measure(started + dt.timedelta(seconds=args.warmup), ended)

    result: dict[str, Any] = {
        "scenario": "checks_poller",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": common.machine(),
        "args": vars(args),
        "offered_checks_per_minute": round(args.checks * 60 / args.interval),
        **figures,
        "poller_cpu_percent_of_one_core": round(100 * cpu / args.duration, 1),
        "postgres_cpu_percent_of_one_core": round(100 * pg_cpu / args.duration, 1),
        # The targets are healthy: a run that is not OK probed nothing real (a refused target).
        "goal_met": bool(
            figures["statuses"]["ok"] == sum(figures["statuses"].values())
            and figures["lag_p99_ms"] is not None
            and figures["lag_p99_ms"] <= 2000
            and figures["checks_per_minute"] >= 0.98 * args.checks * 60 / args.interval
        ),
    }
    path = common.save("checks_poller", result)
    for key, value in result.items():
        print(f"{key:36} {value}")
    print(f"(appended to {path})")


if __name__ == "__main__":
    main()
