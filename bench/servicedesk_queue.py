"""Service desk at scale on PostgreSQL: queue list server time with filters, SLA deadline job.

    scripts/bench servicedesk_queue [--clients 100] [--tickets 100000] [--due 10000]
                                    [--requests 30] [--database NAME]

Seeds `--clients` clients, each with a contract whose SLA targets cover P1-P4 (24x7), and
`--tickets` tickets spread over them and over the last 180 days (statuses, priorities,
assignees, teams, two conversation entries each), in a fresh database. Then:

1. **Queue list.** A staff technician's queue page (`/tickets/`) and the API list
   (`/api/v1/tickets`) are requested through Django's full request stack in this process
   (`django.test.Client`, so the time is the server's: middleware, view, queries, template),
   `--requests` times per filter combination: the default open queue, by client, by priority
   and status, unassigned, by assignee, by team, a subject search, sorted by resolution due, a
   deep page. Goal (issue 5): p95 ≤ 300 ms.
2. **Deadline job.** `--due` of the open tickets get a running first-response clock whose due
   time has passed (the indexed `first_response_due` column, as the clocks leave it); one run
   of the job (`servicedesk.clocks.run_deadlines`) must find and recompute them all. Goal:
   10,000 due tickets in ≤ 5 s. The run is checked: afterwards no ticket is still due, and every
   one of them is marked breached in its `sla_state`.

Seeding uses bulk inserts (what is measured is the reading, not the people's path of creating
tickets, which the tests cover); the clocks are derived by the real engine in step 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common
from bench.heartbeat_pings import named_database

PRIORITIES = ["P1", "P2", "P3", "P4"]
WORDS = [
    *("printer", "VPN", "메일", "email", "로그인", "login", "batch", "배치", "interface"),
    *("인터페이스", "disk", "디스크", "backup", "백업", "slow", "느림", "error", "오류"),
    *("password", "비밀번호", "server", "서버", "network", "네트워크"),
]


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmsp.settings")
    import django

    django.setup()


def seed(clients: int, tickets: int) -> dict[str, Any]:
    """*clients* clients (contract, SLA targets, two teams each), 20 technicians and *tickets*
    tickets over them; the ids of the people, teams and clients."""
    ids = seed_clients(clients)
    seed_tickets(ids, tickets)
    return ids


def seed_clients(clients: int) -> dict[str, Any]:
    """The clients with their contracts and teams, and 20 technicians (password
    `bench-password-1`), through the real actions; their ids."""
    from django.utils import timezone

    from openmsp.accounts import actions as account_actions
    from openmsp.accounts.roles import Role
    from openmsp.core.actor import Actor
    from openmsp.servicedesk.models import Team
    from openmsp.tenants import actions as tenant_actions

    system = Actor.system("bench")
    tech = [
        account_actions.invite_user(
            actor=system, email=f"tech{i}@msp.example", role=Role.TECHNICIAN,
            password="bench-password-1", full_name=f"Tech {i}",  # noqa: S106 (scratch database)
        )
        for i in range(20)
    ]  # fmt: skip
    targets = [
        {
            "priority": p,
            "first_response_minutes": m,
            "resolution_minutes": m * 8,
            "always_open": True,
        }
        for p, m in zip(PRIORITIES, (15, 60, 240, 480), strict=True)
    ]
    client_rows = []
    today = timezone.localdate()
    for i in range(clients):
        client = tenant_actions.create_client(
            actor=system, name=f"Client {i:03d}", code=f"c{i:03d}"
        )
        tenant_actions.create_contract(
            actor=system, client=client, name="Managed services",
            start_date=today - dt.timedelta(days=365), sla_targets=targets, support_hours="24x7",
        )  # fmt: skip
        client_rows.append(client)
    # Teams belong to a client: two per client, a ticket in one of its own client's or in none.
    teams = {
        c.pk: [Team.objects.create(client=c, name=f"Team {i}") for i in range(2)]
        for c in client_rows
    }
    return {
        "technicians": [u.pk for u in tech],
        "teams": [t.pk for pair in teams.values() for t in pair],
        "teams_by_client": {c: [t.pk for t in pair] for c, pair in teams.items()},
        "clients": [c.pk for c in client_rows],
    }


def seed_tickets(ids: dict[str, Any], tickets: int) -> None:
    """*tickets* tickets spread over the seeded clients and the last 180 days (statuses,
    priorities, assignees, teams, two conversation entries each), by bulk inserts."""
    from django.db import connection
    from django.utils import timezone

    from openmsp.servicedesk import actions as desk_actions
    from openmsp.servicedesk.models import Ticket, TicketEntry

    rnd = random.Random(7)
    client_rows = ids["clients"]
    clients = len(client_rows)
    tech = [None, *ids["technicians"]]
    teams = ids["teams_by_client"]
    statuses = desk_actions.statuses_for(None)
    weights = {"new": 3, "open": 5, "waiting": 2, "resolved": 6, "closed": 10}
    choices = [s for s in statuses for _ in range(weights.get(s.category, 1))]
    now = timezone.now()
    rows = []
    for n in range(tickets):
        status = rnd.choice(choices)
        created = now - dt.timedelta(seconds=rnd.randrange(180 * 86400))
        rows.append(
            Ticket(
                client_id=client_rows[n % clients], number=f"T{n + 1:06d}",
                subject=" ".join(rnd.sample(WORDS, 4)), priority=rnd.choice(PRIORITIES),
                status=status, assignee_id=rnd.choice(tech), team_id=rnd.choice([None, *teams[client_rows[n % clients]]]),
                resolved_at=created + dt.timedelta(hours=3) if status.category in ("resolved", "closed") else None,
            )
        )  # fmt: skip
    made = Ticket.objects.bulk_create(rows, batch_size=2000)
    # created_at is auto_now_add: spread it over the period afterwards, in one statement.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE servicedesk_ticket SET created_at = now() - (random() * interval '180 days'),"
            " updated_at = now() - (random() * interval '30 days')"
        )
    entries = []
    for t in made:
        entries.append(
            TicketEntry(
                client_id=t.client_id, ticket=t, kind="reply", body=t.subject, from_customer=True
            )
        )
        entries.append(
            TicketEntry(client_id=t.client_id, ticket=t, kind="note", body="checked the logs; 확인 중")
        )  # fmt: skip
    TicketEntry.objects.bulk_create(entries, batch_size=5000)
    # As autovacuum leaves a live desk's tables within a minute: the seeding rewrote every
    # ticket once (created_at), so until a vacuum half the heap is dead rows and the planner,
    # costing them, scans every subject for a search instead of using its trigram index.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def queue_latencies(ids: dict[str, Any], requests: int) -> dict[str, dict[str, float]]:
    from django.test import Client as HttpClient

    from openmsp.accounts.models import User

    user = User.objects.get(pk=ids["technicians"][0])
    http = HttpClient()
    http.force_login(user)
    client, tech, team = ids["clients"][17], ids["technicians"][3], ids["teams"][34]
    # (label, the queue page's query, the API's query): the same question in each one's words.
    combos = [
        ("open queue (default)", "", "open=true"),
        ("by client", f"client={client}", f"open=true&client_id={client}"),
        ("priority P2 + status open", "priority=P2&status=open", "priority=P2&status=open"),
        ("unassigned", "assignee=none", "open=true&unassigned=true"),
        ("by assignee", f"assignee={tech}", f"open=true&assignee_id={tech}"),
        ("by team", f"team={team}", f"open=true&team_id={team}"),
        ("subject search", "q=VPN", "open=true&q=VPN"),
        (
            "sorted by resolution due",
            "ordering=resolution_due",
            "open=true&ordering=resolution_due",
        ),
        ("all, deep page", "open=0&page=40", "offset=1950&limit=50"),
    ]
    out: dict[str, dict[str, float]] = {}
    for label, page_query, api_query in combos:
        for kind, url in (
            ("page", f"/tickets/?{page_query}"),
            ("api", f"/api/v1/tickets?{api_query}"),
        ):
            first = http.get(url)
            if first.status_code != 200:
                raise SystemExit(f"{url}: HTTP {first.status_code}: {first.content[:300]!r}")
            times = []
            for _ in range(requests):
                began = time.perf_counter()
                response = http.get(url)
                times.append(time.perf_counter() - began)
                assert response.status_code == 200, url
            out[f"{kind}: {label}"] = {
                "p50_ms": round(common.percentile(times, 50) * 1000, 1),
                "p95_ms": round(common.percentile(times, 95) * 1000, 1),
            }
    return out


def deadline_run(due: int) -> dict[str, Any]:
    from django.utils import timezone

    from openmsp.servicedesk import clocks
    from openmsp.servicedesk.models import Ticket

    now = timezone.now()
    open_ids = list(
        Ticket.objects.exclude(status__category__in=["resolved", "closed"])
        .order_by("pk")
        .values_list("pk", flat=True)[:due]
    )
    if len(open_ids) < due:
        raise SystemExit(f"only {len(open_ids)} open tickets; seed more (--tickets)")
    # As the clocks leave a ticket whose first response is running: its due column set. These
    # were created days ago with targets of minutes, so each is overdue by the engine too.
    Ticket.objects.filter(pk__in=open_ids).update(first_response_due=now - dt.timedelta(minutes=1))
    began = time.perf_counter()
    done = clocks.run_deadlines(now)
    seconds = time.perf_counter() - began
    still_due = Ticket.objects.filter(first_response_due__lte=now).count()
    # Each is now either breached (its target passed long ago) or, if created within its
    # target, running with a due time in the future: none may be left untouched.
    states = Ticket.objects.filter(pk__in=open_ids).values_list("sla_state", flat=True)
    clocks_now = [(s.get("first_response") or {}) for s in states]
    breached = sum(1 for c in clocks_now if c.get("state") == "breached")
    later = sum(
        1 for c in clocks_now if c.get("state") == "running" and c.get("due", "") > now.isoformat()
    )
    return {
        "due_tickets": due,
        "recomputed": done,
        "seconds": round(seconds, 2),
        "tickets_per_s": round(done / seconds) if seconds else None,
        "still_due_after": still_due,
        "marked_breached": breached,
        "running_due_later": later,
        "checked": done == due and still_due == 0 and breached + later == due,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database", default="openmsp_bench_servicedesk")
    args = parser.parse_args()

    with named_database(args.database) as url:
        env = {
            **os.environ,
            "OPENMSP_DATABASE_URL": url,
            "OPENMSP_DATA_DIR": tempfile.mkdtemp(),
            "OPENMSP_LOG_LEVEL": "WARNING",
        }
        common.openmsp(["migrate", "-v", "0"], env)
        setup_django(env)
        began = time.perf_counter()
        ids = seed(args.clients, args.tickets)
        seed_seconds = time.perf_counter() - began
        latencies = queue_latencies(ids, args.requests)
        deadlines = deadline_run(args.due)
        from django.db import connections

        connections.close_all()

    worst = max(v["p95_ms"] for v in latencies.values())
    result: dict[str, Any] = {
        "scenario": "servicedesk_queue",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": common.machine(),
        "load_average": os.getloadavg(),
        "args": vars(args),
        "seed_seconds": round(seed_seconds, 1),
        "queue": latencies,
        "queue_worst_p95_ms": worst,
        "queue_goal_met": worst <= 300,
        "deadline_job": deadlines,
        "deadline_goal_met": deadlines["checked"] and deadlines["seconds"] <= 5,
    }
    path = common.save("servicedesk_queue", result)
    for key, value in result.items():
        if key == "queue":
            for label, figures in value.items():
                print(f"  {label:44} p50 {figures['p50_ms']:7} ms  p95 {figures['p95_ms']:7} ms")
        else:
            print(f"{key:36} {value}")
    print(f"(appended to {path})")


if __name__ == "__main__":
    main()
