"""Worker leases: a task left RUNNING by a worker whose lease ran out goes back to the queue
once; a live worker's task is left alone; a task that keeps killing its workers is failed.
(The real kill -9 of a worker in the middle of a task: tests/test_scale_out.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openmsp.core import workers
from openmsp.core.jobs import clear_expired_sessions
from openmsp.core.models import WorkerLease

pytestmark = pytest.mark.django_db
LEASE = dt.timedelta(seconds=30)


def claimed_by(worker_id: str, *, ago: dt.timedelta, claims: int = 1) -> DBTaskResult[Any, Any]:
    row = DBTaskResult.objects.get(pk=clear_expired_sessions.enqueue().id)
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - ago, worker_ids=[f"earlier-{i}" for i in range(claims - 1)]
        + [worker_id],
    )  # fmt: skip
    row.refresh_from_db()
    return row


@pytest.fixture(autouse=True)
def _lease(settings: Any) -> None:
    settings.OPENMSP_WORKER_LEASE_SECONDS = int(LEASE.total_seconds())


def test_a_task_of_a_worker_whose_lease_ran_out_goes_back_to_the_queue_once() -> None:
    workers.renew("dead", now=timezone.now() - LEASE - dt.timedelta(seconds=1))
    task = claimed_by("dead", ago=LEASE * 2)

    assert workers.requeue_orphans() == 1
    task.refresh_from_db()
    assert task.status == "READY"
    assert task.started_at is None
    assert task.worker_ids == ["dead"], "who ran it before stays on record"
    assert workers.requeue_orphans() == 0, "a second reaper finds nothing to hand back"


def test_a_task_of_a_worker_that_never_held_a_lease_is_handed_back_too() -> None:
    task = claimed_by("unknown", ago=LEASE * 2)
    assert workers.requeue_orphans() == 1
    task.refresh_from_db()
    assert task.status == "READY"


def test_a_long_task_of_a_live_worker_is_left_running() -> None:
    workers.renew("alive")
    task = claimed_by("alive", ago=LEASE * 10)
    assert workers.requeue_orphans() == 0
    task.refresh_from_db()
    assert task.status == "RUNNING"


def test_a_task_claimed_just_now_is_left_alone_even_without_a_lease() -> None:
    task = claimed_by("starting", ago=dt.timedelta(seconds=1))
    assert workers.requeue_orphans() == 0
    task.refresh_from_db()
    assert task.status == "RUNNING"


def test_a_task_whose_workers_keep_dying_is_failed_instead_of_retried() -> None:
    task = claimed_by("third", ago=LEASE * 2, claims=workers.MAX_CLAIMS)
    assert workers.requeue_orphans() == 0
    task.refresh_from_db()
    assert task.status == "FAILED"
    assert task.exception_class_path == "openmsp.core.workers.WorkerLost"


@pytest.mark.django_db(transaction=True)  # the worker manages its own connections
def test_the_worker_command_runs_a_requeued_task_and_releases_its_lease() -> None:
    task = claimed_by("dead", ago=LEASE * 2)
    workers.requeue_orphans()
    call_command("worker", batch=True, queue_name="*", startup_delay=False, verbosity=0,
                 worker_id="batch-1")  # fmt: skip
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.worker_ids == ["dead", "batch-1"]
    assert not WorkerLease.objects.filter(worker_id="batch-1").exists()
