"""Worker leases: a task whose worker died goes back to the queue.

django-tasks-db marks a task RUNNING when a worker claims it, and only that worker ever marks it
finished; a worker killed mid-task (kill -9, out of memory, a lost host) would leave it RUNNING
forever. So each `openmsp worker` holds a lease row, renewed by a thread every third of
OPENMSP_WORKER_LEASE_SECONDS, and that same thread hands back to the queue any task RUNNING under a
worker whose lease has run out. Every worker does this for all the others: as long as one worker
lives, nothing claimed stays stuck. The hand-back is a conditional UPDATE keyed on the claim's
`started_at`, so two workers reaping at once requeue a task once.

Tasks are therefore run at least once, never lost; the jobs are written to be idempotent
(ARCHITECTURE.md) for the rare run that is repeated because its worker died after the work but
before recording it. A task that has lost MAX_CLAIMS workers is failed instead of retried, so a
task that kills its worker (memory) cannot take the whole pool down one worker at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from openmsp.core.models import WorkerLease

log = logging.getLogger("openmsp.worker")
MAX_CLAIMS = 3
FORGET_AFTER = dt.timedelta(days=1)


def lease_length() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OPENMSP_WORKER_LEASE_SECONDS)


def renew(worker_id: str, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    process = f"{socket.gethostname()}:{os.getpid()}"[:200]
    WorkerLease.objects.update_or_create(
        worker_id=worker_id,
        defaults={"renewed_at": now, "process": process},
        create_defaults={"renewed_at": now, "process": process, "started_at": now},
    )


def release(worker_id: str) -> None:
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def requeue_orphans(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Hand back tasks RUNNING under a worker whose lease ran out; return how many."""
    now = now or timezone.now()
    cutoff = now - lease_length()
    live = set(
        WorkerLease.objects.filter(renewed_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).only("id", "started_at", "worker_ids", "task_path")
    handed_back = 0
    for task in running.order_by("started_at")[:limit]:
        owner = task.worker_ids[-1] if task.worker_ids else ""
        if owner not in live and hand_back(task, now=now):
            handed_back += 1
            log.warning(
                "task %s (%s) was running under worker %s, whose lease ran out; back in the queue",
                task.pk, task.task_path, owner,
            )  # fmt: skip
    WorkerLease.objects.filter(renewed_at__lt=now - FORGET_AFTER).delete()
    return handed_back


def hand_back(task: DBTaskResult[Any, Any], *, now: dt.datetime | None = None) -> bool:
    """Put a RUNNING task whose run was lost back in the queue, or fail it once MAX_CLAIMS
    workers have lost it. Keyed on the claim's started_at, so it acts once per claim however
    many workers try; returns whether this call put it back."""
    now = now or timezone.now()
    same_claim = DBTaskResult.objects.filter(
        pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
    )
    if len(task.worker_ids) >= MAX_CLAIMS:
        failed = same_claim.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="openmsp.core.workers.WorkerLost",
            traceback=f"{len(task.worker_ids)} workers lost this task; not retried.",
        )
        if failed:
            log.error("task %s (%s) failed: its runs kept being lost", task.pk, task.task_path)
        return False
    return bool(same_claim.update(status=TaskResultStatus.READY, started_at=None))


class LeaseKeeper(threading.Thread):
    """Renews this worker's lease and requeues other workers' orphans, until stopped."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="worker-lease", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        every = lease_length().total_seconds() / 3
        while not self.stopped.wait(every):
            self.round()

    def round(self) -> None:
        try:
            renew(self.worker_id)
            requeue_orphans()
        except Exception:  # the database restarting must not stop the renewals
            log.exception("worker lease round failed; retrying")
        finally:
            connection.close()  # this thread's own connection (back to the pool, if any)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)
        try:
            release(self.worker_id)
        except Exception:
            log.exception("could not release the lease of worker %s", self.worker_id)
