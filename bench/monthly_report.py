"""Time to generate one client's monthly service report (500 hosts, 5,000 tickets) and the scheduled run for many clients, on PostgreSQL.

Seeds a scratch database with one large client: N hosts (default 500) each with a check and a
problem history (two outages a month, one inside a weekly maintenance window), and M tickets
(default 5,000) spread over the month, each with created / staff reply / resolved events; then
times `reports.actions.generate` for that month (figures, summary, PDF). Then K small clients
(default 100, 5 hosts and 50 tickets each) and times the scheduled run: the periodic job
(`reports.jobs.run`) that only enqueues one durable job per client, then a real worker
(`db_worker --batch`) that runs those jobs, each generating and "mailing" (file transport) one
client's report. Target: ≤ 10 s for the big report; the periodic job itself well under a second
so no other work waits behind it. Finally the MSP dashboard's figures for all the clients.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common

KST = dt.timezone(dt.timedelta(hours=9))
MONTH = dt.date(2026, 10, 1)


def seed_client(code: str, hosts: int, tickets: int) -> Any:
    from openmsp.alerts.models import MaintenanceWindow, Problem, ProblemEvent
    from openmsp.assets.models import Asset
    from openmsp.core.actor import Actor
    from openmsp.servicedesk.models import Ticket, TicketEvent, TicketStatus
    from openmsp.tenants import actions as tenants
    from openmsp.tenants.models import BusinessCalendar

    system = Actor.system("bench")
    client = tenants.create_client(actor=system, name=f"Bench {code}", code=code)
    tenants.create_contract(
        actor=system, client=client, name="MSA", start_date=dt.date(2026, 1, 1),
        calendar=BusinessCalendar.objects.get(client=client), report_recipients=["it@bench.example"],
        sla_targets=[{"priority": "P4", "first_response_minutes": 60, "resolution_minutes": 480}],
    )  # fmt: skip
    assets = Asset.objects.bulk_create(
        Asset(client=client, name=f"{code}-host-{i:04d}", os_name="Ubuntu 24.04")
        for i in range(hosts)
    )
    MaintenanceWindow.objects.create(
        client=client, name="Sunday patching", cron="0 2 * * 0", duration_minutes=120
    )
    problems, events = [], []
    for i, asset in enumerate(assets):
        for day, hour in ((5 + i % 20, 10), (11, 2)):
            start = dt.datetime(2026, 10, day, hour, i % 60, tzinfo=KST)
            problems.append(Problem(
                client=client, fingerprint=f"{code}:{asset.pk}:{day}", source="check",
                object_type="monitoring.check", object_id=f"{asset.pk}", rule="http", asset=asset,
                title=f"{asset.name} down", severity="critical", state="resolved", last_status="ok",
                first_seen_at=start, last_seen_at=start + dt.timedelta(minutes=30),
                resolved_at=start + dt.timedelta(minutes=30),
            ))  # fmt: skip
    Problem.objects.bulk_create(problems, batch_size=2000)
    for p in problems:
        events.append(
            ProblemEvent(
                problem=p, at=p.first_seen_at, kind="fired", state="firing", severity="critical"
            )
        )
        events.append(
            ProblemEvent(
                problem=p, at=p.last_seen_at, kind="resolved", state="resolved", severity="critical"
            )
        )
    ProblemEvent.objects.bulk_create(events, batch_size=5000)

    status = TicketStatus.objects.get(client=None, code="resolved")
    field = Ticket._meta.get_field("created_at")
    field.auto_now_add = False  # seeding history with its own times
    rows = []
    for i in range(tickets):
        opened = dt.datetime(2026, 10, 1, 9, tzinfo=KST) + dt.timedelta(
            minutes=(i * 8641) % (29 * 1440)
        )
        rows.append(Ticket(
            client=client, number=f"{code.upper()}{i:06d}", subject=f"ticket {i}", priority="P4",
            status=status, created_at=opened, resolved_at=opened + dt.timedelta(hours=6),
        ))  # fmt: skip
    Ticket.objects.bulk_create(rows, batch_size=2000)
    field.auto_now_add = True
    tev = []
    for t in rows:
        assert t.resolved_at is not None
        tev.append(TicketEvent(client=client, ticket=t, kind="created", at=t.created_at))
        tev.append(
            TicketEvent(
                client=client,
                ticket=t,
                kind="public_reply_by_staff",
                at=t.created_at + dt.timedelta(minutes=45),
            )
        )
        tev.append(TicketEvent(client=client, ticket=t, kind="resolved", at=t.resolved_at))
    TicketEvent.objects.bulk_create(tev, batch_size=5000)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    with common.scratch_database("openmsp_bench_report") as url:
        env = {**os.environ, "OPENMSP_DATABASE_URL": url, "OPENMSP_DATA_DIR": tempfile.mkdtemp(),
               "OPENMSP_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "openmsp.settings",
               "OPENMSP_DB_POOL_SIZE": "0"}  # fmt: skip
        os.environ.update(env)
        common.openmsp(["migrate", "-v", "0"], env)
        import django

        django.setup()
        from openmsp.core.actor import Actor
        from openmsp.reports import actions, jobs

        big = seed_client("big", args.hosts, args.tickets)
        t0 = time.perf_counter()
        report = actions.generate(actor=Actor.system("bench"), client=big, month=MONTH,
                                  now=dt.datetime(2026, 11, 2, tzinfo=KST))  # fmt: skip
        one = time.perf_counter() - t0
        for i in range(args.clients):
            seed_client(f"c{i:03d}", 5, 50)
        from django.core.management import call_command

        from openmsp.reports import overview
        from openmsp.reports.models import ReportRun

        t0 = time.perf_counter()
        done = jobs.run(now=dt.datetime(2026, 11, 2, 9, tzinfo=KST))
        fan_out = time.perf_counter() - t0
        t0 = time.perf_counter()
        call_command("db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=0,
                     reload=False)  # fmt: skip
        many = time.perf_counter() - t0
        states = {s: ReportRun.objects.filter(state=s).count() for s in ("done", "failed")}
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            rows = overview.clients_at_a_glance(Actor.system("bench"))
            glance = time.perf_counter() - t0
        result = {
            "scenario": "monthly_report", "at": dt.datetime.now(dt.UTC).isoformat(),
            "hosts": args.hosts, "tickets": args.tickets, "report_seconds": round(one, 2),
            "availability_rows": len(report.figures["availability"]["rows"]),
            "pdf_bytes": len(bytes(report.pdf)), "clients": args.clients + 1,
            "scheduled_run_seconds": round(many, 2), "scheduled_run": done,
            "fan_out_seconds": round(fan_out, 3), "runs": states,
            "dashboard_seconds": round(glance, 2), "dashboard_queries": len(queries),
            "dashboard_clients": len(rows),
            "machine": common.machine(),
        }  # fmt: skip
        print(f"one report ({args.hosts} hosts, {args.tickets} tickets): {one:.2f} s")
        print(f"periodic job ({args.clients + 1} clients): {fan_out:.3f} s  {done}")
        print(f"worker ran the per-client jobs: {many:.2f} s  {states}")
        print(f"dashboard ({len(rows)} clients): {glance:.2f} s, {len(queries)} queries")
        print("saved to", common.save("monthly_report", result))


if __name__ == "__main__":
    main()
