"""Periodic jobs: each due run is claimed by exactly one scheduler and handed to the worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from openmsp.core import scheduler
from openmsp.core.models import PeriodicJob

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def test_it_creates_a_schedule_row_for_every_registered_job() -> None:
    scheduler.ensure_rows(NOW)
    assert set(PeriodicJob.objects.values_list("name", flat=True)) == set(scheduler.REGISTRY)
    assert PeriodicJob.objects.get(name="sessions.clear").next_run_at == NOW + dt.timedelta(hours=1)


def test_a_due_job_is_enqueued_once_even_when_two_schedulers_race() -> None:
    scheduler.ensure_rows(NOW)
    PeriodicJob.objects.filter(name="sessions.clear").update(
        next_run_at=NOW - dt.timedelta(seconds=5)
    )
    first = scheduler.run_due(NOW, "scheduler-a")
    second = scheduler.run_due(NOW, "scheduler-b")
    assert first == ["sessions.clear"]
    assert second == []
    assert DBTaskResult.objects.filter(task_path__endswith="clear_expired_sessions").count() == 1
    row = PeriodicJob.objects.get(name="sessions.clear")
    assert row.last_claimed_by == "scheduler-a"
    assert row.next_run_at == NOW + dt.timedelta(hours=1)


def test_a_stale_claim_loses_to_the_scheduler_that_read_the_current_row() -> None:
    """The conditional UPDATE compares next_run_at with the value this scheduler read."""
    scheduler.ensure_rows(NOW)
    PeriodicJob.objects.filter(name="audit.purge").update(next_run_at=NOW - dt.timedelta(minutes=1))
    stale = PeriodicJob.objects.get(name="audit.purge")
    assert scheduler.run_due(NOW, "fast") == ["audit.purge"]
    won = PeriodicJob.objects.filter(pk=stale.pk, next_run_at=stale.next_run_at).update(
        last_claimed_by="slow"
    )
    assert won == 0


def test_cron_jobs_run_at_their_next_cron_time() -> None:
    job = scheduler.REGISTRY["audit.purge"]  # 03:17 UTC daily
    assert job.next_after(NOW) == dt.datetime(2026, 11, 27, 3, 17, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)  # the worker manages its own connections
def test_the_worker_runs_what_the_scheduler_enqueued() -> None:
    from django.core.management import call_command

    scheduler.ensure_rows(NOW)
    PeriodicJob.objects.filter(name="tasks.prune").update(next_run_at=NOW - dt.timedelta(seconds=1))
    scheduler.run_due(NOW, "test")
    call_command(
        "db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=0, reload=False
    )
    result = DBTaskResult.objects.get(task_path__endswith="prune_task_results")
    assert result.status == "SUCCESSFUL"


class _RefusedTask:
    """A task whose enqueue fails, as when the scheduler dies or the database goes away right
    after the claim."""

    def enqueue(self) -> None:
        raise ConnectionError("lost the database after the claim")


refused_task = _RefusedTask()


def test_a_run_whose_task_cannot_be_enqueued_stays_due_instead_of_being_skipped() -> None:
    job = scheduler.Periodic(
        "test.refused", f"{__name__}:refused_task", every=dt.timedelta(minutes=5)
    )
    scheduler.register(job)
    try:
        PeriodicJob.objects.create(name=job.name, next_run_at=NOW - dt.timedelta(seconds=1))
        with pytest.raises(ConnectionError):
            scheduler.run_due(NOW, "scheduler-a")
        row = PeriodicJob.objects.get(name=job.name)
        assert row.next_run_at == NOW - dt.timedelta(seconds=1), "the claim was rolled back"
        assert row.run_count == 0
    finally:
        del scheduler.REGISTRY[job.name]
