"""The scheduler process: enqueues periodic jobs when they fall due, each run exactly once.

Every job has a row in PeriodicJob with an indexed `next_run_at`. A scheduler finds due rows with one
indexed query and claims a run with a conditional UPDATE (`WHERE next_run_at = <the value it read>`);
only one of several schedulers can win that update, so running two schedulers for availability
never runs a job twice, and a crashed scheduler's jobs are simply claimed by the other. The claim and
the enqueued task commit in one transaction, so a run is never claimed without being enqueued.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from django.db import close_old_connections, transaction
from django.utils import timezone

from openmsp.core.models import PeriodicJob

log = logging.getLogger("openmsp.scheduler")


@dataclass(frozen=True)
class Periodic:
    name: str
    task_path: str  # "module:attribute" of a django_tasks Task
    every: dt.timedelta | None = None
    cron: str | None = None  # evaluated in UTC

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        if self.every is not None:
            return moment + self.every
        assert self.cron is not None
        nxt: dt.datetime = croniter(self.cron, moment).get_next(dt.datetime)
        return nxt

    def task(self) -> Any:
        module, attribute = self.task_path.split(":")
        return getattr(__import__(module, fromlist=[attribute]), attribute)


# Later capabilities append their periodic jobs here (in their own apps' ready()).
REGISTRY: dict[str, Periodic] = {}


def register(job: Periodic) -> None:
    REGISTRY[job.name] = job


register(Periodic("audit.purge", "openmsp.core.jobs:purge_audit_log", cron="17 3 * * *"))
register(
    Periodic(
        "sessions.clear", "openmsp.core.jobs:clear_expired_sessions", every=dt.timedelta(hours=1)
    )
)
register(Periodic("tasks.prune", "openmsp.core.jobs:prune_task_results", cron="41 3 * * *"))
register(Periodic("history.prune", "openmsp.core.jobs:prune_history", cron="53 3 * * *"))


def ensure_rows(now: dt.datetime) -> None:
    known = set(PeriodicJob.objects.values_list("name", flat=True))
    for name, job in REGISTRY.items():
        if name not in known:
            PeriodicJob.objects.get_or_create(
                name=name, defaults={"next_run_at": job.next_after(now)}
            )


def run_due(now: dt.datetime, claimer: str) -> list[str]:
    """Enqueue every due job this scheduler wins the claim for; return their names."""
    started = []
    for row in PeriodicJob.objects.filter(next_run_at__lte=now).order_by("next_run_at")[:100]:
        job = REGISTRY.get(row.name)
        if job is None:
            continue  # a job removed from the code: its row waits harmlessly
        # The claim and the task row commit together: a scheduler killed between the two
        # would otherwise have moved the deadline on without enqueueing the run.
        with transaction.atomic():
            won = PeriodicJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
                next_run_at=job.next_after(max(now, row.next_run_at)),
                last_run_at=now,
                last_claimed_by=claimer,
                run_count=row.run_count + 1,
            )
            if won:
                job.task().enqueue()
        if won:
            started.append(row.name)
    return started


def loop(
    stop: threading.Event, *, tick: float = 1.0, on_tick: Callable[[], None] | None = None
) -> None:
    claimer = f"{socket.gethostname()}:{os.getpid()}"
    log.info("scheduler %s started with %d jobs", claimer, len(REGISTRY))
    ensure_rows(timezone.now())
    while not stop.is_set():
        try:
            for name in run_due(timezone.now(), claimer):
                log.info("enqueued %s", name)
        except Exception:  # the database restarting must not kill the scheduler
            log.exception("scheduler tick failed; retrying")
        finally:
            close_old_connections()
        if on_tick is not None:
            on_tick()
        stop.wait(tick)


def run_forever() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    loop(stop)
