"""The platform scaled out on PostgreSQL, under load, through crashes of every kind of process.

Two `openmsp web` behind nginx, two workers, two schedulers, two pollers and a private
PostgreSQL (tests/cluster.py). For about a minute agents send metric batches through the real
agent API, jobs ping their heartbeats, TCP checks run against a loopback server (one against a
closed port fires a problem and a mail), durable jobs are queued, a ticket on a one-minute SLA
clock escalates and last month's report falls due. Meanwhile one web, one worker (in the middle
of a job), one scheduler and one poller are killed with SIGKILL and started again, and PostgreSQL
is stopped as in a crash and started again.

Then every claim is checked on the database and on the real SMTP server: nothing acknowledged
lost, nothing done twice, nothing skipped. The scenario runs once (module fixture); each test
is one of its claims.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import httpx
import pytest

from bench.agents_ingest import signed
from openmsp.notifications.tests.peers import SmtpPeer
from tests.cluster import Cluster, PrivatePostgres, missing_peers
from tests.cluster_seed import NOC, REPORT_TO, TECH
from tests.e2e import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing_peers() is not None, reason=missing_peers() or ""),
]
LEASE = 6  # OPENMSP_WORKER_LEASE_SECONDS in the cluster
SAMPLES_PER_BATCH = 10
DURABLE_JOBS = 30
JOB_SECONDS = 0.6
# Periodic jobs that other code enqueues too (a problem's group due: flush; a group sent: deliver)
ALSO_ENQUEUED_ELSEWHERE = {"notifications.flush", "notifications.deliver"}


class TcpPeer:
    """A loopback service the checks connect to: accepts and closes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@dataclass
class Load:
    """What the clients sent and what the platform acknowledged with a 2xx."""

    base: str
    agents: list[tuple[str, str]]
    ping_keys: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    acked_batches: list[str] = field(default_factory=list)
    resent: int = 0
    pings_sent: list[str] = field(default_factory=list)
    pings_acked: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def agent(self, index: int) -> None:
        """A real agent's rule: a batch not acknowledged is sent again, with the same id."""
        agent_id, secret = self.agents[index]
        with httpx.Client(base_url=self.base, timeout=10) as http:
            while not self.stop.is_set():
                batch_id = str(uuid.uuid4())
                now = dt.datetime.now(dt.UTC).isoformat()
                body = json.dumps({
                    "batch_id": batch_id, "seq": 1, "sent_at": now,
                    "samples": [{"t": now, "m": "cpu.percent", "v": 1.5, "l": {"cpu": str(i)}}
                                for i in range(SAMPLES_PER_BATCH)],
                }).encode()  # fmt: skip
                while True:
                    try:
                        answer = http.post("/agent/v1/batches", content=body,
                                           headers=signed(agent_id, secret, body))  # fmt: skip
                        if answer.status_code == 200:
                            self.acked_batches.append(batch_id)
                            break
                        self.errors[f"batch {answer.status_code}"] += 1
                    except httpx.TransportError as exc:
                        self.errors[f"batch {type(exc).__name__}"] += 1
                    self.resent += 1
                    time.sleep(0.2)  # the agent's back-off before resending
                self.stop.wait(0.25)

    def pinger(self, index: int) -> None:
        """A cron job pinging; a ping not acknowledged is not repeated (each is one event)."""
        with httpx.Client(base_url=self.base, timeout=10) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                ping = f"run-{index}-{n}"
                key = self.ping_keys[n % len(self.ping_keys)]
                self.pings_sent.append(ping)
                try:
                    answer = http.post(f"/ping/{key}", content=ping.encode())
                    if answer.status_code == 200:
                        self.pings_acked.append(ping)
                    else:
                        self.errors[f"ping {answer.status_code}"] += 1
                except httpx.TransportError as exc:
                    self.errors[f"ping {type(exc).__name__}"] += 1
                self.stop.wait(0.1)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.agent, args=(i,)) for i in range(len(self.agents))]
        threads += [threading.Thread(target=self.pinger, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        return threads


@dataclass
class Outcome:
    cluster: Cluster
    seed: dict[str, Any]
    load: Load
    smtp: SmtpPeer
    killed_worker_id: str
    killed_job: int
    load_began: dt.datetime
    load_ended: dt.datetime
    pg_outage_s: float
    log: list[str]


def _running_durable_job(cluster: Cluster, worker_pid: int) -> tuple[str, int] | None:
    """(worker id, job) of a durable job this worker started under 0.2 s ago, if any."""
    rows = cluster.sql(
        "SELECT l.worker_id, r.args_kwargs FROM django_tasks_database_dbtaskresult r "
        "JOIN core_workerlease l ON r.worker_ids ->> -1 = l.worker_id "
        "WHERE r.status = 'RUNNING' AND r.task_path LIKE %s AND l.process LIKE %s "
        "AND r.started_at > now() - interval '200 milliseconds'",
        ["%durable_job", f"%:{worker_pid}"],
    )
    if not rows:
        return None
    return rows[0][0], int(rows[0][1]["args"][0])


def more_load(load: Load, batches: int) -> None:
    """Let the load run on until *batches* more agent batches are acknowledged."""
    target = len(load.acked_batches) + batches
    wait_for(lambda: len(load.acked_batches) >= target, 60, f"{batches} more batches acked")


def _caught_up(cluster: Cluster, seed: dict[str, Any], since: dt.datetime) -> bool:
    [(firings,)] = cluster.sql("SELECT count(*) FROM servicedesk_slafiring")
    [(checks,)] = cluster.sql(
        "SELECT count(DISTINCT for_check_id) FROM monitoring_checkresult WHERE at > %s",
        [since + dt.timedelta(seconds=32)],
    )
    return bool(firings >= 3 and checks == len(seed["checks"]) + 1)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    tcp = TcpPeer()
    with SmtpPeer() as smtp, PrivatePostgres() as pg:
        env = {
            "OPENMSP_WORKER_LEASE_SECONDS": str(LEASE),
            "OPENMSP_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
            "OPENMSP_SMTP_HOST": "127.0.0.1", "OPENMSP_SMTP_PORT": str(smtp.port),
            "OPENMSP_SMTP_STARTTLS": "false", "OPENMSP_SMTP_SSL": "false",
            "OPENMSP_EMAIL_FROM": "OpenMSP <noc@msp.example>",
            "OPENMSP_NOTIFY_LEASE_SECONDS": "10",
        }  # fmt: skip
        with Cluster(pg, tmp_path_factory.mktemp("cluster"), env) as cluster:
            yield _run_scenario(cluster, pg, smtp, tcp)
    tcp.close()


def _run_scenario(cluster: Cluster, pg: PrivatePostgres, smtp: SmtpPeer, tcp: TcpPeer) -> Outcome:
    log: list[str] = []
    began = time.monotonic()

    def note(what: str) -> None:
        log.append(f"{time.monotonic() - began:6.1f}s {what}")

    cluster.migrate()
    note("migrated")
    cluster.start()
    note("cluster up")
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # a port nothing listens on
    seed = json.loads(cluster.python(
        "import json; from tests.cluster_seed import seed; print(json.dumps(seed("
        f"tcp_port={tcp.port}, closed_port={closed_port}, agents=4, heartbeats=5, checks=6)))"
    ))  # fmt: skip
    note("seeded")
    load = Load(cluster.base, [tuple(a) for a in seed["agents"]], seed["heartbeats"])
    load_began = dt.datetime.now(dt.UTC)
    threads = load.start()

    cluster.python(
        "from tests.cluster_tasks import durable_job\n"
        f"for i in range({DURABLE_JOBS}): durable_job.enqueue(i, {JOB_SECONDS})"
    )
    # last month's report falls due now (its cron says 01:07 daily)
    cluster.sql("UPDATE core_periodicjob SET next_run_at = now() WHERE name = 'reports.monthly'")

    # The poller first: its claimed checks wait for their lease (32 s), the longest to recover.
    cluster.kill("poller-1")
    poller_killed = dt.datetime.now(dt.UTC)
    note("killed poller-1")
    cluster.start_one("poller-1", wait=False)
    cluster.kill("web-1")
    note("killed web-1")
    worker_pid = cluster.pid("worker-1")
    killed_worker_id, killed_job = wait_for(
        lambda: _running_durable_job(cluster, worker_pid), 30,
        "worker-1 to start a durable job", every=0.02,
    )  # fmt: skip
    cluster.kill("worker-1")
    note(f"killed worker-1 in the middle of durable job {killed_job}")
    cluster.start_one("worker-1", wait=False)
    cluster.start_one("web-1")
    note("web-1 back")
    more_load(load, 10)
    cluster.kill("scheduler-1")
    note("killed scheduler-1")
    more_load(load, 20)
    cluster.start_one("scheduler-1", wait=False)
    note("scheduler-1 back")
    outage = pg.restart()
    note(f"PostgreSQL restarted (unreachable {outage:.1f}s)")
    # Under load still until the one-minute SLA clock has run out and every check has run
    # again after its killed poller's lease.
    wait_for(lambda: _caught_up(cluster, seed, poller_killed), 120, "the SLA ladder and checks")
    more_load(load, 10)
    load.stop.set()
    for thread in threads:
        thread.join(timeout=30)
    load_ended = dt.datetime.now(dt.UTC)
    note(f"load stopped: {len(load.acked_batches)} batches, {len(load.pings_acked)} pings acked")

    def settled() -> bool:
        busy = cluster.sql(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE %s AND status <> 'SUCCESSFUL'", ["%durable_job"],
        )[0][0]  # fmt: skip
        [(firings,)] = cluster.sql("SELECT count(*) FROM servicedesk_slafiring")
        [(unsent,)] = cluster.sql(
            "SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'sent'"
        )
        [(reported,)] = cluster.sql(
            "SELECT count(*) FROM reports_report WHERE emailed_at IS NOT NULL"
        )
        last.update(busy_jobs=busy, firings=firings, unsent=unsent, reported=reported)
        last["job_states"] = cluster.sql(
            "SELECT status, count(*) FROM django_tasks_database_dbtaskresult WHERE task_path "
            "LIKE %s GROUP BY status", ["%durable_job"],
        )  # fmt: skip
        last["unfinished"] = cluster.sql(
            "SELECT status, worker_ids, exception_class_path, right(traceback, 600) "
            "FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s "
            "AND status NOT IN ('SUCCESSFUL', 'READY')", ["%durable_job"],
        )  # fmt: skip
        return bool(busy == 0 and firings >= 3 and unsent == 0 and reported == 1)

    last: dict[str, Any] = {}
    try:
        wait_for(settled, 90, "jobs, SLA firings, outbox and the report to settle", every=0.5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen: {last}") from None
    note("settled")
    note("CPU seconds / RSS MiB of each process over the run: " + cluster.usage())
    for name in cluster.procs:  # nothing died on its own (the database restart included)
        assert cluster.running(name), f"{name} exited:\n{cluster.log_of(name)[-3000:]}"
    print("\n".join(log), f"errors seen by clients: {dict(load.errors)}", sep="\n")
    return Outcome(cluster, seed, load, smtp, killed_worker_id, killed_job, load_began,
                   load_ended, outage, log)  # fmt: skip


# --- the claims ----------------------------------------------------------------------------


def test_every_acknowledged_agent_batch_is_stored_exactly_once(outcome: Outcome) -> None:
    c, acked = outcome.cluster, outcome.load.acked_batches
    assert len(acked) > 100, "the agents did send a load"
    assert len(set(acked)) == len(acked)
    stored = dict(c.sql(
        "SELECT batch_id::text, sample_count FROM agent_api_agentbatch"
    ))  # fmt: skip
    assert set(acked) <= set(stored), "an acknowledged batch is missing"
    assert set(stored) == set(acked), "every batch was resent until acknowledged"
    [(samples,)] = c.sql("SELECT count(*) FROM metrics_sample")
    assert samples == len(acked) * SAMPLES_PER_BATCH, "no batch's samples stored twice"
    assert outcome.load.resent > 0, "some batches did meet a fault and were resent"


def test_every_acknowledged_ping_is_stored_exactly_once(outcome: Outcome) -> None:
    bodies = Counter(b for (b,) in outcome.cluster.sql("SELECT body FROM heartbeats_ping"))
    acked = outcome.load.pings_acked
    assert len(acked) > 200
    assert [p for p in acked if bodies[p] != 1] == []
    assert [p for p, n in bodies.items() if n > 1] == [], "no ping stored twice"
    assert set(bodies) <= set(outcome.load.pings_sent)


def test_each_check_ran_once_per_slot_and_none_was_skipped(outcome: Outcome) -> None:
    c = outcome.cluster
    ids = [*outcome.seed["checks"], outcome.seed["failing_check"]]
    for check_id in ids:
        times = [t for (t,) in c.sql(
            "SELECT at FROM monitoring_checkresult WHERE for_check_id = %s ORDER BY at",
            [check_id],
        )]  # fmt: skip
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert len(times) >= 4, f"check {check_id}: {len(times)} runs"
        assert min(gaps) > 5, f"check {check_id} ran twice for one 10 s slot: {gaps}"
        # a killed poller's claims wait for their lease: 2 s time-out + 30 s margin
        assert max(gaps) <= 10 + 32 + 5, f"check {check_id} skipped slots: {gaps}"


def test_a_job_claimed_by_the_killed_worker_is_run_by_another_exactly_once(
    outcome: Outcome,
) -> None:
    c = outcome.cluster
    effects = Counter(j for (j,) in c.sql("SELECT job FROM cluster_job_effect"))
    assert effects == Counter(range(DURABLE_JOBS)), "every job's effect committed once"
    rows = c.sql(
        "SELECT id::text, args_kwargs, worker_ids, status FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE %s", ["%durable_job"],
    )  # fmt: skip
    assert len(rows) == DURABLE_JOBS
    # The PostgreSQL restart may fall in the middle of a job: its worker lives on, the job's
    # transaction is rolled back, and the worker hands it back itself (logged with its id), so
    # that job has one claim more.
    lost_mid_run = set(re.findall(r"task (\S+) lost the database mid-run",
                                  c.log_of("worker-1") + c.log_of("worker-2")))  # fmt: skip
    for task_id, args, workers, status in rows:
        assert status == "SUCCESSFUL", task_id
        expected = 1 + (task_id in lost_mid_run)
        if int(args["args"][0]) == outcome.killed_job:
            assert workers[0] == outcome.killed_worker_id
            assert outcome.killed_worker_id not in workers[1:], workers
            expected += 1
        assert len(workers) == expected, f"job {args['args'][0]} claimed by {workers}"


def test_no_periodic_run_was_enqueued_twice_or_skipped(outcome: Outcome) -> None:
    """Each claim of a due run enqueues one task (run_count counts the claims), the runs of a
    job are one period apart (never two in one period), and no period went without a run longer
    than the faults explain."""
    from openmsp.core.scheduler import REGISTRY

    c = outcome.cluster
    checked = 0
    for name, job in REGISTRY.items():
        if job.every is None or job.every > dt.timedelta(seconds=30):
            continue
        path = job.task_path.replace(":", ".")
        if name in ALSO_ENQUEUED_ELSEWHERE:
            continue
        # one statement, one snapshot: the schedulers keep claiming while this test reads
        [(claims, times, now)] = c.sql(
            "SELECT run_count, (SELECT coalesce(array_agg(enqueued_at ORDER BY enqueued_at), "
            "'{}') FROM django_tasks_database_dbtaskresult WHERE task_path = %s), now() "
            "FROM core_periodicjob WHERE name = %s",
            [path, name],
        )
        assert len(times) == claims, f"{name}: {claims} claims, {len(times)} tasks"
        assert times, f"{name} never ran"
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        every = job.every.total_seconds()
        assert all(g >= every - 1 for g in gaps), f"{name} ran twice in one period: {gaps}"
        # the schedulers still run: the time since the last run counts as a gap too
        since_last = (now - times[-1]).total_seconds()
        longest = max([*gaps, since_last])
        assert longest <= every + outcome.pg_outage_s + 5, f"{name} skipped: {gaps}, {since_last}"
        checked += 1
    assert checked >= 5
    states = dict(c.sql(
        "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
    ))  # fmt: skip
    assert set(states) <= {"SUCCESSFUL", "READY", "RUNNING"}, states


def _mails(smtp: SmtpPeer, to: str) -> list[Message]:
    return [m for m in smtp.messages if to in str(m["To"])]


def test_each_notification_was_mailed_exactly_once(outcome: Outcome) -> None:
    c, smtp = outcome.cluster, outcome.smtp
    ids = Counter(str(m["Message-ID"]) for m in smtp.messages)
    assert [i for i, n in ids.items() if n > 1] == [], "a message was delivered twice"
    [(outbox,)] = c.sql("SELECT count(*) FROM notifications_outboxmessage")
    assert outbox >= 2
    [firing] = [m for m in _mails(smtp, NOC) if str(m["Subject"]).startswith("[FIRING")]
    assert "Closed port" in str(firing.get_payload(decode=False))


def test_each_sla_escalation_fired_once(outcome: Outcome) -> None:
    c = outcome.cluster
    firings = Counter(k for (k,) in c.sql(
        "SELECT key FROM servicedesk_slafiring WHERE ticket_id = %s", [outcome.seed["ticket"]]
    ))  # fmt: skip
    assert len(firings) >= 3, firings
    assert set(firings.values()) == {1}, firings
    [(priority,)] = c.sql(
        "SELECT priority FROM servicedesk_ticket WHERE id = %s", [outcome.seed["ticket"]]
    )
    assert priority == "P3", "the ladder raised the priority once (P4 -> P3), not twice"
    # the notify step mails its technician; the warning goes to the assignee (there is none)
    [mail] = _mails(outcome.smtp, TECH)
    assert str(mail["Subject"]).startswith("[SLA escalation -1 min]")


def test_the_monthly_report_was_generated_and_mailed_once(outcome: Outcome) -> None:
    c = outcome.cluster
    [(reports, emailed)] = c.sql(
        "SELECT count(*), count(emailed_at) FROM reports_report WHERE client_id = %s",
        [outcome.seed["client"]],
    )
    assert (reports, emailed) == (1, 1)
    assert len(_mails(outcome.smtp, REPORT_TO)) == 1
